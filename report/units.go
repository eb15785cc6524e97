package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

var byteUnits = []struct {
	suffix string
	mult   float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"B", 1},
}

// ParseBytes parses a byte size: a whole number with an optional unit, as in
// "512", "4KiB", "1MiB", "1.5GiB" or "10MB" (IEC units are powers of 1024,
// SI units powers of 1000). It accepts sizes up to 2^53 bytes and rejects
// zero, negative sizes, unknown units and fractional byte counts.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	num, mult := t, 1.0
	for _, u := range byteUnits {
		if strings.HasSuffix(t, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	if num == "" {
		return 0, fmt.Errorf("%q is not a size (want e.g. 512, 4KiB, 1MiB)", s)
	}
	for _, r := range num {
		if (r < '0' || r > '9') && r != '.' {
			return 0, fmt.Errorf("%q is not a size (want a positive number with an optional unit B, KiB, MiB, GiB, KB, MB, GB)", s)
		}
	}
	x, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size (want e.g. 512, 4KiB, 1MiB)", s)
	}
	v := x * mult
	switch {
	case v <= 0:
		return 0, fmt.Errorf("size %q must be greater than zero", s)
	case v > 1<<53:
		return 0, fmt.Errorf("size %q is too large (at most 8 PiB)", s)
	case v != math.Trunc(v):
		return 0, fmt.Errorf("size %q is not a whole number of bytes", s)
	}
	return int64(v), nil
}

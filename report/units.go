package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
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

// FormatBytes formats a byte count in IEC units: "512 B", "4.0 KiB",
// "10.2 MiB". Negative counts (less retained than at the baseline) keep
// their sign.
func FormatBytes(x float64) string {
	sign := ""
	if x < 0 {
		sign, x = "-", -x
	}
	const unit = 1024
	if x < unit {
		return sign + strconv.FormatFloat(math.Round(x), 'f', -1, 64) + " B"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB"}
	i := -1
	for x >= unit && i < len(units)-1 {
		x /= unit
		i++
	}
	return fmt.Sprintf("%s%.1f %s", sign, x, units[i])
}

func formatCount(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return strconv.FormatInt(int64(x), 10)
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

func formatNS(x float64) string {
	d := time.Duration(x)
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	case d >= 10*time.Microsecond:
		return d.Round(time.Microsecond).String()
	default:
		return d.Round(10 * time.Nanosecond).String()
	}
}

func formatMetric(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return strconv.FormatInt(int64(x), 10)
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

// FormatMetric formats a value of the named metric in its unit, as every
// view shows it: bytes in IEC units for the byte metrics, durations for
// nanosecond metrics (names ending in _ns), whole counts as integers, and
// anything else with four significant digits.
func FormatMetric(metric string, x float64) string {
	switch {
	case metric == RetainedBytes || metric == PeakHeapBytes:
		return FormatBytes(x)
	case metric == RetainedObjects || metric == Entries || metric == CyclesToRelease || metric == CleanupsRun:
		return formatCount(x)
	case strings.HasSuffix(metric, "_ns"):
		return formatNS(x)
	}
	return formatMetric(x)
}

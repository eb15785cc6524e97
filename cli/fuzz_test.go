package cli

import (
	"errors"
	"testing"

	"github.com/weakscope/weakscope/scenario"
)

// FuzzSettings feeds the --gogc and --gomemlimit list parsers arbitrary
// text: they must return a usage error or settings whose every value the
// runtime setting parsers accept, never panic.
func FuzzSettings(f *testing.F) {
	for _, s := range [][2]string{{"50,100,off", ""}, {"", "64MiB,off"}, {"banana", ""}, {"", "1PiB"}, {"-1", "0"}, {",", " , "}, {"100", "1.5GiB"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, gogc, gomemlimit string) {
		sets, err := settings(gogc, gomemlimit)
		if err != nil {
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Fatalf("settings(%q, %q): %v is not a usage error", gogc, gomemlimit, err)
			}
			return
		}
		for _, s := range sets {
			if s.GOGC != "" {
				if _, err := scenario.ParseGOGC(s.GOGC); err != nil {
					t.Fatalf("accepted GOGC %q that ParseGOGC rejects", s.GOGC)
				}
			}
			if s.GOMEMLIMIT != "" {
				if _, err := scenario.ParseMemLimit(s.GOMEMLIMIT); err != nil {
					t.Fatalf("accepted GOMEMLIMIT %q that ParseMemLimit rejects", s.GOMEMLIMIT)
				}
			}
		}
	})
}

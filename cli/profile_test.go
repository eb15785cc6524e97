package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// A variant's heap profile holds what the scenario allocated and still
// holds, not the process's start-up (fonts, encoders, the command line):
// its heaviest function is the scenario's own.
func TestHeapProfilesShowTheScenario(t *testing.T) {
	t.Setenv("GORACE", "atexit_sleep_ms=0")
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	if code := Run([]string{"run", "report-cache", "--out", out, "--progress", "never"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	// The strong variant holds the reports. The weak variant holds next to
	// nothing: its values are gone and cache.WeakValues gave its table
	// back, so no function of the scenario or the cache may hold more
	// than a few KiB (the profile is sampled, every 512 KiB by default).
	for variant, want := range map[string]string{"strong": "catalogue.newObject", "weak": ""} {
		p := readProfile(t, filepath.Join(out, "report-cache", variant+".heap.pb.gz"))
		if _, err := os.Stat(filepath.Join(out, "report-cache", variant+".baseline.heap.pb.gz")); err == nil {
			t.Errorf("%s: the baseline profile was published beside the difference", variant)
		}
		inuse := -1
		for i, st := range p.SampleType {
			if st.Type == "inuse_space" {
				inuse = i
			}
		}
		// Flat in-use bytes by the function that allocated them.
		flat := map[string]int64{}
		for _, s := range p.Sample {
			if len(s.Location) > 0 && len(s.Location[0].Line) > 0 {
				flat[s.Location[0].Line[0].Function.Name] += s.Value[inuse]
			}
		}
		top, most := "", int64(0)
		for fn, v := range flat {
			if v > most {
				top, most = fn, v
			}
		}
		if want != "" && !strings.Contains(top, want) {
			t.Errorf("%s: heaviest function %s (%d B), want %s; all: %v", variant, top, most, want, flat)
		}
		if want == "" {
			var held int64
			for fn, v := range flat {
				if strings.Contains(fn, "github.com/weakscope/weakscope/scenario") {
					held += v
				}
			}
			if held > 64<<10 {
				t.Errorf("%s: the scenario and the cache still hold %d B: %v", variant, held, flat)
			}
		}
		for fn, v := range flat {
			for _, startup := range []string{"latex", "gob", "font", "cobra", "pflag"} {
				if strings.Contains(fn, startup) && v > 0 {
					t.Errorf("%s: start-up allocation %s (%d B) in the profile", variant, fn, v)
				}
			}
		}
	}
}

// readProfile parses the pprof profile at path.
func readProfile(t *testing.T, path string) *profile.Profile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

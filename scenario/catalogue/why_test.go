package catalogue_test

import (
	"context"
	"strings"
	"testing"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario"
)

// variantOf returns one variant's result.
func variantOf(t *testing.T, res report.ScenarioResult, variant string) report.VariantResult {
	t.Helper()
	for _, v := range res.Variants {
		if v.Variant == variant {
			return v
		}
	}
	t.Fatalf("%s has no variant %s", res.Name, variant)
	return report.VariantResult{}
}

// retention returns the retention paths of a variant.
func retention(t *testing.T, res report.ScenarioResult, variant string) []report.RetentionPath {
	t.Helper()
	v := variantOf(t, res, variant)
	if v.RetentionError != "" {
		t.Fatalf("%s/%s: %s", res.Name, variant, v.RetentionError)
	}
	return v.Retention
}

// With Why, the leaking variants name their real cause and the variants
// that released everything have no paths.
func TestWhyNamesTheCause(t *testing.T) {
	for _, tc := range []struct {
		scenario, leaks, releases string
		rootKind                  string
		contains                  []string // in order, in every path
	}{
		// The object with the finalizer is not a root; what it points to
		// is, and the cycle leads back to it.
		{"finalizer-cycle", "finalizer", "cleanup", "finalizer", []string{"finalizer special on object", "→ catalogue.object"}},
		// The map holds the value strongly, and the value points back.
		{"weak-keys", "value-points-back", "independent", "stack", []string{"cache.WeakKeys[", "→ catalogue.annotation", "→ catalogue.object"}},
		// The cleanup's argument holds the object it is attached to.
		{"capture-leak", "captures-object", "correct", "cleanup", []string{"cleanup special", "→ catalogue.resource", "→ catalogue.object"}},
		// A strong cache is a strong cache: the path goes through it.
		{"report-cache", "strong", "weak", "stack", []string{"scenario.measureVariant", "scenario.storeSubject[int,catalogue.object]", "cache.Strong[", "→ catalogue.object"}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			sc, _ := scenario.Lookup(tc.scenario)
			opts := small(sc)
			opts.Params.Objects = 200
			opts.Why = true
			res, err := scenario.Run(context.Background(), sc, opts)
			if err != nil {
				t.Fatal(err)
			}
			paths := retention(t, res, tc.leaks)
			if len(paths) != 3 {
				t.Fatalf("%s: %d retention paths, want 3: %+v", tc.leaks, len(paths), paths)
			}
			for _, p := range paths {
				if !p.Found || p.RootKind != tc.rootKind {
					t.Errorf("%s: root %q (found %v), want %q: %s", tc.leaks, p.RootKind, p.Found, tc.rootKind, p.Path)
				}
				rest := p.Path
				for _, want := range tc.contains {
					i := strings.Index(rest, want)
					if i < 0 {
						t.Errorf("%s: path lacks %q (in order): %s", tc.leaks, want, p.Path)
						break
					}
					rest = rest[i+len(want):]
				}
				for _, st := range p.Steps {
					if st.Addr == 0 || st.Size == 0 {
						t.Errorf("%s: step without address or size: %+v", tc.leaks, st)
					}
				}
				// The object watched, named by its type (the witness's
				// is that of the pointer to it).
				if last := p.Steps[len(p.Steps)-1]; last.Type != "catalogue.object" {
					t.Errorf("%s: last step %+v, want the watched catalogue.object", tc.leaks, last)
				}
			}
			if got := retention(t, res, tc.releases); len(got) != 0 {
				t.Errorf("%s released everything but has retention paths: %+v", tc.releases, got)
			}
		})
	}
}

// Without Why, a failed expectation brings retention paths; a passing run
// has none.
func TestWhyOnFailedExpectation(t *testing.T) {
	sc, _ := scenario.Lookup("report-cache")
	opts := small(sc)
	opts.Params.Objects = 200
	res, err := scenario.Run(context.Background(), sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range res.Variants {
		if len(v.Retention) != 0 {
			t.Errorf("%s has retention paths in a passing run without Why", v.Variant)
		}
	}

	// The second run, in a worker process, carries the paths back.
	opts.Isolate = scenario.IsolateProcess
	opts.WorkerEnv = []string{"GORACE=atexit_sleep_ms=0"}
	failing := *sc
	failing.Expectations = []scenario.Expectation{{Text: "fails on purpose", Check: func(scenario.Measured, scenario.Params) (bool, string) {
		return false, "forced"
	}}}
	res, err = scenario.Run(context.Background(), &failing, opts)
	if err != nil {
		t.Fatal(err)
	}
	if paths := retention(t, res, "strong"); len(paths) != 3 || !strings.Contains(paths[0].Path, "cache.Strong[") {
		t.Errorf("strong after a failed expectation: %+v", paths)
	}
	if paths := retention(t, res, "weak"); len(paths) != 0 {
		t.Errorf("weak released everything but has paths: %+v", paths)
	}
}

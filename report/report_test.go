package report_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weakscope/weakscope/report"
)

func TestParseBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"512", 512}, {"4KiB", 4096}, {"1MiB", 1 << 20}, {"1.5GiB", 3 << 29},
		{"10MB", 10_000_000}, {"64 MiB", 64 << 20}, {"8B", 8}, {"1TiB", 1 << 40},
	} {
		got, err := report.ParseBytes(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "0", "-1KiB", "12XB", "abc", "1e3", "KiB", "0.5", "1PiB", "99999999TiB", "1..5KiB", "NaN"} {
		if got, err := report.ParseBytes(bad); err == nil {
			t.Errorf("ParseBytes(%q) = %d, want an error", bad, got)
		}
	}
}

func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{"512", "4KiB", "1.5GiB", "-1", "12XB", "0", "1e99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := report.ParseBytes(s)
		if err != nil {
			if n != 0 {
				t.Errorf("ParseBytes(%q) = %d with error %v", s, n, err)
			}
			return
		}
		if n <= 0 || n > 1<<53 {
			t.Errorf("ParseBytes(%q) = %d, outside 1..2^53", s, n)
		}
		// What it accepts it accepts again in the canonical form.
		if m, err := report.ParseBytes(strings.TrimSpace(s)); err != nil || m != n {
			t.Errorf("ParseBytes(%q) = %d but trimmed gives %d, %v", s, n, m, err)
		}
	})
}

func TestFormatBytes(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0 B"}, {512, "512 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"}, {10.2 * (1 << 20), "10.2 MiB"}, {-2048, "-2.0 KiB"},
	} {
		if got := report.FormatBytes(tc.in); got != tc.want {
			t.Errorf("FormatBytes(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestReadFileErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, content, want string
		schema              bool
	}{
		{"empty.json", "", "invalid JSON", false},
		{"garbage.json", "not json at all", "invalid JSON", false},
		{"truncated.json", `{"schema": "weakscope/results/v1", "scenarios": [`, "invalid JSON", false},
		{"other.json", `{"schema": "weakscope/results/v9"}`, `unknown schema "weakscope/results/v9"`, true},
		{"none.json", `{"scenarios": []}`, `no "schema" field`, true},
	} {
		_, err := report.ReadFile(write(tc.name, tc.content))
		if err == nil || !strings.Contains(err.Error(), tc.name) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming the file and saying %q", tc.name, err, tc.want)
		}
		if errors.Is(err, report.ErrSchema) != tc.schema {
			t.Errorf("%s: errors.Is(err, ErrSchema) = %v, want %v", tc.name, !tc.schema, tc.schema)
		}
	}
	if _, err := report.ReadFile(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
}

func TestResultsRoundTrip(t *testing.T) {
	r := &report.Results{Schema: report.Schema, ToolVersion: "test", Scenarios: []report.ScenarioResult{{
		Name: "s", Params: report.Params{Objects: 3, Size: 8},
		Expectations: []report.Expectation{{Text: "x", Pass: true, Detail: "d"}},
		Variants:     []report.VariantResult{{Variant: "weak", Runs: 1, Metrics: map[string]float64{report.RetainedBytes: 42}}},
	}}}
	name := filepath.Join(t.TempDir(), "results.json")
	if err := r.WriteFile(name); err != nil {
		t.Fatal(err)
	}
	got, err := report.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if got.Scenarios[0].Variants[0].Metrics[report.RetainedBytes] != 42 || got.Scenarios[0].Params.Objects != 3 {
		t.Errorf("round trip lost data: %+v", got.Scenarios[0])
	}
	if r.Failed() {
		t.Error("Failed() with all expectations passing")
	}
	r.Scenarios[0].Expectations[0].Pass = false
	if !r.Failed() {
		t.Error("Failed() false with a failing expectation")
	}
	entries, _ := os.ReadDir(filepath.Dir(name))
	if len(entries) != 1 {
		t.Errorf("WriteFile left %d files behind, want only results.json", len(entries))
	}
}

func TestWriteFileAtomicKeepsOldContentOnFailure(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	if err := report.WriteFileAtomic(name, []byte("old")); err != nil {
		t.Fatal(err)
	}
	// A directory in the way makes the rename fail.
	blocked := filepath.Join(dir, "d")
	if err := os.MkdirAll(filepath.Join(blocked, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteFileAtomic(blocked, []byte("new")); err == nil {
		t.Fatal("writing over a non-empty directory succeeded")
	}
	if b, _ := os.ReadFile(name); string(b) != "old" {
		t.Errorf("content = %q, want old", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("%d entries after a failed write, want 2 (no temp file left)", len(entries))
	}
}

// A symbolic link is written through: the link stays, its target gets the
// new content.
func TestWriteFileAtomicThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real", "summary.md")
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.md")
	if err := os.Symlink(filepath.Join("real", "summary.md"), link); err != nil {
		t.Fatal(err)
	}
	chain := filepath.Join(dir, "chain.md")
	if err := os.Symlink("link.md", chain); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteFileAtomic(chain, []byte("new")); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{link, chain} {
		if fi, err := os.Lstat(l); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is no longer a link: %v %v", l, fi, err)
		}
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("target holds %q, want the new content", b)
	}
	// A dangling link: its target is created.
	dangling := filepath.Join(dir, "dangling.md")
	if err := os.Symlink(filepath.Join(dir, "real", "later.md"), dangling); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteFileAtomic(dangling, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "real", "later.md")); string(b) != "x" {
		t.Errorf("dangling link's target holds %q", b)
	}
}

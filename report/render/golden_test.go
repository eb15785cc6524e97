package render_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/golden/<name>. With -update it rewrites
// the file instead. On a mismatch it reports the first differing line and
// writes got to testdata/golden/<name>.got for a full diff.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		_ = os.Remove(path + ".got")
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		_ = os.Remove(path + ".got")
		return
	}
	gotLines, wantLines := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	line := 0
	for line < len(gotLines) && line < len(wantLines) && bytes.Equal(gotLines[line], wantLines[line]) {
		line++
	}
	at := func(lines [][]byte) string {
		if line >= len(lines) {
			return "(end of file)"
		}
		s := string(lines[line])
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		return s
	}
	if err := os.WriteFile(path+".got", got, 0o644); err != nil {
		t.Error(err)
	}
	t.Errorf("%s differs from %s (%d bytes, want %d) first at line %d:\n got: %s\nwant: %s\nwrote %s.got: diff -u %s %s.got; go test -update accepts it",
		name, path, len(got), len(want), line+1, at(gotLines), at(wantLines), path, path, path)
}

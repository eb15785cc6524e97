package cli

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A weakscope binary built as users build it keeps its DWARF, and --why
// then names every step field by field: the weak-keys leak reads as a
// value whose owner field points back at its key.
func TestWhyNamesFieldsWithDWARF(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build weakscope with")
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "weakscope")
	if out, err := exec.Command(goTool, "build", "-o", exe, "../cmd/weakscope").CombinedOutput(); err != nil {
		t.Fatalf("building weakscope: %v\n%s", err, out)
	}
	cmd := exec.Command(exe, "run", "--why", "weak-keys", "--objects", "200", "--no-profiles", "--progress", "never", "--out", filepath.Join(dir, "out"))
	cmd.Env = append(cmd.Environ(), "GORACE=atexit_sleep_ms=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("weakscope run --why: %v\n%s", err, out)
	}
	var path string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "  weak-keys/value-points-back: ") {
			path = line
			break
		}
	}
	// The map that holds the entry is one shard's, a field of a generic
	// type; with 200 objects over the shards it may be a small map, whose
	// header points straight at its one group.
	for _, want := range []string{
		"stack scenario.measureVariant", "→ catalogue.weakKeysSubject.m (", "→ cache.WeakKeys[catalogue.object,*catalogue.annotation].c (",
		".table.shards (", "].m (", ".dirPtr (",
		".slots[", "].elem.val (", "→ catalogue.annotation.owner (32 B) → catalogue.object (48 B)",
	} {
		if !strings.Contains(path, want) {
			t.Errorf("the leak's path lacks %q:\n%s", want, path)
		}
	}
}

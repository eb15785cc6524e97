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
	// type, and the dump shows its header pointing straight at one
	// 352-byte group (a map of eight entries or fewer; one group of this
	// map type is 352 bytes). Such a group has no malloc header, and Go's
	// DWARF names its type only by its shape
	// (noalg.map.group[go.shape.uintptr]...), so inspect cannot name the
	// steps inside the map field by field (it takes the group for a
	// directory); the path itself is complete.
	for _, want := range []string{
		"stack scenario.measureVariant", "→ catalogue.weakKeysSubject.m (", "→ cache.WeakKeys[catalogue.object,*catalogue.annotation].c (",
		".table.shards (", "].m (", "catalogue.object (48 B)",
	} {
		if !strings.Contains(path, want) {
			t.Errorf("the leak's path lacks %q:\n%s", want, path)
		}
	}
}

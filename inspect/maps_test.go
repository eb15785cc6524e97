package inspect_test

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/weakscope/weakscope/inspect"
)

// bigMap is large enough for a directory of tables; it is registered as a
// global, since "go test" binaries have no symbol table.
var bigMap map[int]*node

func init() { inspect.NameGlobal("registered.bigMap", &bigMap) }

// A path through a large map names its header, directory, table and group
// array, in that order, after the global that holds the map.
func TestRetentionMapInternals(t *testing.T) {
	bigMap = make(map[int]*node)
	t.Cleanup(func() { bigMap = nil })
	for i := range 5000 {
		bigMap[i] = newNode()
	}
	target := uintptr(unsafe.Pointer(bigMap[1234]))
	p := pathsOf(t, target)[0]
	checkEnds(t, p, target)
	s := p.String()
	rest := s
	for _, want := range []string{"bigMap (", "→ map header+0x10 (48 B)", "→ map directory", "→ map table+0x10 (32 B)", "→ map[int]*inspect_test.node groups+0x", "→ object ("} {
		i := strings.Index(rest, want)
		if i < 0 {
			t.Fatalf("path lacks %q (in order): %s", want, s)
		}
		rest = rest[i+len(want):]
	}
}

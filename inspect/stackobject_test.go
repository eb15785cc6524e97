package inspect_test

import (
	"runtime"
	"strings"
	"testing"
	"weak"

	"github.com/weakscope/weakscope/inspect"
)

type stackHeld struct {
	_ *stackHeld
	_ [64]byte
}

// An object kept alive only by a stack object (an array whose address is
// taken but does not escape) gets a path from that frame: precise where
// the runtime's dump lists the word (Go 1.26 does, here), marked
// conservative where only the stack scan finds it (see
// TestConservativeStackScan for that).
func TestStackObjectPath(t *testing.T) {
	// An array whose address is taken but does not escape: a stack
	// object, whose pointers the frame's pointer map does not list.
	var held [3]*stackHeld
	wp := fill(&held)
	p, err := inspect.WhyAlive(wp)
	runtime.KeepAlive(&held)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Found || p.Root.Kind != inspect.RootStack || !strings.Contains(p.Root.Name, "TestStackObjectPath") {
		t.Errorf("path %v (root %+v), want one from this test's frame", p, p.Root)
	}
}

// fill puts a new object in the first slot of arr and returns a weak
// pointer to it; the object is then held by arr alone.
//
//go:noinline
func fill(arr *[3]*stackHeld) weak.Pointer[stackHeld] {
	b := &stackHeld{}
	arr[0] = b
	return weak.Make(b)
}

package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestSmoke runs every measurement once, at a small size, so that the
// project's test command keeps the suite working without paying for it.
func TestSmoke(t *testing.T) {
	var out, errs bytes.Buffer
	if err := run([]string{"-rounds", "1", "-sizes", "200", "-benchtime", "1x"}, &out, &errs); err != nil {
		t.Fatalf("%v\n%s", err, errs.String())
	}
	for _, want := range []string{
		"BenchmarkPut/n=200/holder=alloc+weak.Make+AddCleanup-",
		"BenchmarkGet/n=200/holder=WeakCache-cleanup-",
		"BenchmarkGetParallel/n=200/holder=otter-",
		"BenchmarkBytesPerEntry/n=200/holder=handrolled-",
		"BenchmarkCyclesToEmpty/n=200/holder=WeakValues-sweep-",
		"BenchmarkContains/n=200/holder=WeakSet-cleanup-",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q", want)
		}
	}
	if !strings.Contains(errs.String(), "| 200 | Put | WeakValues-cleanup |") {
		t.Errorf("the ratio table lacks WeakValues' Put:\n%s", errs.String())
	}
}

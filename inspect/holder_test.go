package inspect_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"weak"

	"github.com/weakscope/weakscope/inspect"
)

type entry struct {
	_ *entry
	_ [64]byte
}

// store is a holder that keeps its entries strongly.
type store struct{ m map[int]*entry }

// A test that drops the holder together with the object proves nothing;
// WithHolder turns that into a failure that says so.
func TestWithHolder(t *testing.T) {
	ctx := context.Background()

	// The trap: the cache goes with its entry, so the entry is collected
	// although the cache would have kept it forever.
	dropped := &store{m: map[int]*entry{}}
	e := &entry{}
	dropped.m[1] = e
	wp, wh := weak.Make(e), weak.Make(dropped)
	e, dropped = nil, nil
	_, err := inspect.WaitCollected(ctx, wp, inspect.WithHolder("the store", wh))
	if !errors.Is(err, inspect.ErrHolderCollected) || !strings.Contains(err.Error(), "the store") {
		t.Errorf("object collected with its holder: %v, want ErrHolderCollected naming the holder", err)
	}

	// Kept alive, the same holder keeps its entry: the test now fails for
	// the right reason.
	kept := &store{m: map[int]*entry{}}
	e = &entry{}
	kept.m[1] = e
	wp, wh = weak.Make(e), weak.Make(kept)
	e = nil
	_, err = inspect.WaitCollected(ctx, wp, inspect.WithHolder("the store", wh), inspect.WithMaxCycles(3))
	if !errors.Is(err, inspect.ErrStillReachable) {
		t.Errorf("object in a live strong holder: %v, want ErrStillReachable", err)
	}
	runtime.KeepAlive(kept)

	// A live holder that let go of its entry passes.
	emptied := &store{m: map[int]*entry{}}
	e = &entry{}
	emptied.m[1] = e
	wp, wh = weak.Make(e), weak.Make(emptied)
	e = nil
	delete(emptied.m, 1)
	if _, err := inspect.WaitCollected(ctx, wp, inspect.WithHolder("the store", wh)); err != nil {
		t.Errorf("object released by a live holder: %v", err)
	}
	runtime.KeepAlive(emptied)
}

package scenario

import (
	"context"
	"testing"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/report"
)

// nullSubject holds nothing, so that whatever the protocol leaves live is
// weakscope's own bookkeeping.
type nullSubject struct{}

func (nullSubject) Populate() {}
func (nullSubject) Release()  {}
func (nullSubject) Len() int  { return 0 }

// The heap weakscope's protocol itself needs for one variant (the sampler
// and its timeline, the runner's state) is small next to what the
// scenarios measure: at most 5% of the smallest peak heap in the default
// catalogue, weak-ref's 1.3 MiB (a worker holding one object).
func TestBookkeepingHeap(t *testing.T) {
	ctx := context.Background()
	if _, err := inspect.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	before := inspect.Read().HeapLiveBytes
	v := Variant{Name: "null", New: func(Params) Subject { return nullSubject{} }}
	vr, err := measureVariant(ctx, job{Params: Params{Objects: 1, Size: 1}, MaxCycles: DefaultOptions().MaxCycles}, v)
	if err != nil {
		t.Fatal(err)
	}
	var most uint64
	for _, r := range vr.Timeline {
		most = max(most, r.HeapLiveBytes)
	}
	bookkeeping := int64(most) - int64(before)
	const limit = 64 << 10 // 5% of 1.3 MiB
	t.Logf("bookkeeping: %s live at most during a variant (%d readings)", report.FormatBytes(float64(bookkeeping)), len(vr.Timeline))
	if bookkeeping > limit {
		t.Errorf("weakscope's own bookkeeping reached %s during a null variant, want ≤ %s", report.FormatBytes(float64(bookkeeping)), report.FormatBytes(limit))
	}
}

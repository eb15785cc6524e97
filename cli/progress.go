package cli

import (
	"io"
	"os"
	"sync"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/weakscope/weakscope/report"
)

// progressMode is the --progress flag: auto shows a bar only when stderr is
// a terminal, so CI logs stay clean.
type progressMode string

const (
	progressAuto   progressMode = "auto"
	progressAlways progressMode = "always"
	progressNever  progressMode = "never"
)

func parseProgress(s string) (progressMode, error) {
	switch m := progressMode(s); m {
	case progressAuto, progressAlways, progressNever:
		return m, nil
	}
	return "", usagef("--progress: unknown value %q (accepted: auto, always, never)", s)
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progress is one bar over all the variant runs of a run, naming the one
// under way. The zero progress (nil bar) does nothing.
type progress struct {
	p     *mpb.Progress
	bar   *mpb.Bar
	total int64

	mu      sync.Mutex
	current string
	started bool
}

// newProgress returns a progress bar on w for total variant runs, or a
// no-op one when mode and w say not to show it.
func newProgress(w io.Writer, mode progressMode, total int) *progress {
	if mode == progressNever || (mode == progressAuto && !isTerminal(w)) || total == 0 {
		return &progress{}
	}
	// mpb only refreshes on its own when w is a terminal; "always" asks
	// for a bar on whatever stderr is.
	pr := &progress{p: mpb.New(mpb.WithOutput(w), mpb.WithWidth(30), mpb.WithAutoRefresh()), total: int64(total)}
	pr.bar = pr.p.AddBar(int64(total),
		mpb.PrependDecorators(decor.Name("weakscope "), decor.CountersNoUnit("%d/%d variants")),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
			pr.mu.Lock()
			defer pr.mu.Unlock()
			return pr.current
		})),
		mpb.BarFillerClearOnComplete(),
	)
	return pr
}

// start is scenario.Options.Progress: a variant is about to run, so the
// previous one is done.
func (pr *progress) start(scenario, variant string, set report.Setting) {
	if pr.bar == nil {
		return
	}
	pr.mu.Lock()
	pr.current = scenario + "/" + variant + set.Tag()
	advance := pr.started
	pr.started = true
	pr.mu.Unlock()
	if advance {
		pr.bar.Increment()
	}
}

// finish completes the bar (or drops it when the run failed) and waits for
// it to be drawn for the last time.
func (pr *progress) finish(ok bool) {
	if pr.bar == nil {
		return
	}
	if ok {
		pr.mu.Lock()
		pr.current = "done"
		pr.mu.Unlock()
		pr.bar.SetCurrent(pr.total)
	} else {
		pr.bar.Abort(true)
	}
	pr.p.Wait()
}

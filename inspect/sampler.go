package inspect

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Sampler records a timeline of readings: one per GC cycle, automatic cycles
// included, plus the labelled readings taken with [Sampler.Mark].
//
// It learns that a cycle has ended from a sentinel: a small unreachable
// object with a cleanup, which the collector finds dead in the next cycle.
// The cleanup takes the reading, arms a new sentinel and hands the reading
// to the Sampler's goroutine. The cycle counter (/gc/cycles/total), not the
// sentinel, is the truth: when cycles end faster than the sentinel is
// re-armed (back-to-back cycles, or a sentinel allocated while a cycle was
// marking, which that cycle therefore keeps), the next reading records in
// [Sample.Missed] how many cycles it covers without a reading of their own.
// Nothing is dropped silently: over the life of a Sampler, the per-cycle
// readings plus the sum of their Missed counts equal the cycles that ran.
//
// The zero Sampler is not usable; call [NewSampler]. Its methods are safe for
// concurrent use.
type Sampler struct {
	cfg samplerConfig

	mu       sync.Mutex
	running  bool
	timeline []Sample
	last     uint64 // cycle of the last per-cycle reading (or of Start)
	arm      *armer
	syncs    chan chan struct{} // Sync's requests to the goroutine
	done     chan struct{}      // closed by Stop
	exited   chan struct{}      // closed by the goroutine

	fallbacks int // cycles Sync had to read itself
}

// NewSampler returns a Sampler that is not yet running.
func NewSampler(opts ...Option) *Sampler {
	s := &Sampler{}
	for _, o := range opts {
		o.applySampler(&s.cfg)
	}
	return s
}

// armer is what the sentinel's cleanup receives. It must not point to the
// sentinel (the cleanup would keep it alive) and does not point to the
// Sampler: a stopped Sampler's last sentinel only keeps this alive.
type armer struct {
	runs     atomic.Uint64 // sentinel cleanups that have run
	stopped  atomic.Bool
	phase    atomic.Pointer[string]
	readings chan Sample
}

// sentinel has a pointer field so the tiny allocator never batches it with
// other objects, which would delay its collection indefinitely.
type sentinel struct {
	_ *sentinel
}

func (a *armer) rearm() {
	if a.stopped.Load() {
		return
	}
	runtime.AddCleanup(new(sentinel), sentinelDied, a)
}

// sentinelDied runs on the runtime's cleanup goroutine after the cycle that
// found the sentinel dead. It takes the reading right there, before anything
// that waits for cleanups to catch up (such as Settle or Sync) goes on, and
// leaves the bookkeeping to the Sampler's goroutine.
func sentinelDied(a *armer) {
	a.runs.Add(1)
	r := Read()
	r.Phase = *a.phase.Load()
	a.rearm()
	select {
	case a.readings <- r:
	default: // the Sampler is behind; its next reading counts this cycle as missed
	}
}

// Start begins recording. The first reading in the timeline is a mark
// labelled "start". Calling Start on a running Sampler does nothing; after
// Stop, Start begins a new timeline.
func (s *Sampler) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return
	}
	s.running = true
	s.timeline = make([]Sample, 0, max(s.cfg.capacity, 16))
	s.arm = &armer{readings: make(chan Sample, 64)}
	first := s.mark("start")
	s.last = first.Cycle
	s.syncs = make(chan chan struct{})
	s.done = make(chan struct{})
	s.exited = make(chan struct{})
	go s.loop(s.arm.readings, s.syncs, s.done, s.exited)
	s.arm.rearm()
}

// loop is the Sampler's goroutine. Being the only receiver of the readings
// and of Sync's requests, it handles them in order: a reading the sentinel
// took before a Sync is recorded before that Sync looks at the timeline.
func (s *Sampler) loop(readings <-chan Sample, syncs <-chan chan struct{}, done <-chan struct{}, exited chan<- struct{}) {
	defer close(exited)
	for {
		select {
		case r := <-readings:
			s.mu.Lock()
			s.record(r)
			s.mu.Unlock()
		case reply := <-syncs:
			s.mu.Lock()
			s.drain()
			if s.record(s.withProbe(Read(), *s.arm.phase.Load())) {
				s.fallbacks++
			}
			s.mu.Unlock()
			close(reply)
		case <-done:
			return
		}
	}
}

// drain records the readings the sentinel has already handed over. s.mu
// must be held.
func (s *Sampler) drain() {
	for {
		select {
		case r := <-s.arm.readings:
			s.record(r)
		default:
			return
		}
	}
}

// record adds r to the timeline as the reading of its cycle, unless that
// cycle is already recorded, and reports whether it did. s.mu must be held.
func (s *Sampler) record(r Sample) bool {
	if r.Cycle <= s.last {
		return false
	}
	r = s.withProbe(r, r.Phase)
	r.Missed = r.Cycle - s.last - 1
	s.timeline = append(s.timeline, r)
	s.last = r.Cycle
	return true
}

func (s *Sampler) withProbe(r Sample, phase string) Sample {
	r.Phase = phase
	if s.cfg.probe != nil {
		r.Probe = s.cfg.probe()
	}
	return r
}

// mark labels the readings from now on with phase and returns a mark
// reading, added to the timeline while the Sampler runs. s.mu must be held.
func (s *Sampler) mark(phase string) Sample {
	if s.running {
		s.arm.phase.Store(&phase)
	}
	r := s.withProbe(Read(), phase)
	r.Mark = true
	if s.running {
		s.timeline = append(s.timeline, r)
	}
	return r
}

// Mark takes a reading now, labels it phase, and makes phase the label of
// the per-cycle readings taken after it. While the Sampler runs, the reading
// is added to the timeline; it does not count as the reading of a cycle.
func (s *Sampler) Mark(phase string) Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mark(phase)
}

// Sync makes sure the GC cycle that had most recently completed when Sync
// was called has a reading in the timeline, so that a caller who has just
// forced a cycle with runtime.GC can rely on it being there. It waits until
// the cleanups queued so far have run (the sentinel's among them) and the
// Sampler has recorded what the sentinel read; if the cycle still has no
// reading — its sentinel was allocated while that cycle was marking, so the
// cycle kept it — Sync takes the reading itself. It returns ctx.Err() if ctx
// is done first, and nil at once when the Sampler is not running.
func (s *Sampler) Sync(ctx context.Context) error {
	if _, err := catchUp(ctx, time.Time{}); err != nil {
		return err
	}
	s.mu.Lock()
	if !s.running {
		s.mu.Unlock()
		return nil
	}
	syncs, exited := s.syncs, s.exited
	s.mu.Unlock()
	reply := make(chan struct{})
	select {
	case syncs <- reply:
	case <-exited:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-reply:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stop stops recording and returns the timeline: the readings in the order
// they were taken, ending with a mark labelled "stop". Before it returns it
// records the cycles that ended since the last per-cycle reading, so the
// cycles between Start and Stop are all accounted for. Calling Stop on a
// Sampler that is not running returns nil.
func (s *Sampler) Stop() []Sample {
	s.mu.Lock()
	if !s.running {
		s.mu.Unlock()
		return nil
	}
	s.arm.stopped.Store(true)
	close(s.done)
	exited := s.exited
	s.mu.Unlock()
	<-exited

	s.mu.Lock()
	defer s.mu.Unlock()
	s.drain()
	for {
		// A cycle that has no reading yet gets one now; loop in case
		// another cycle ends before the stop mark.
		s.record(s.withProbe(Read(), *s.arm.phase.Load()))
		stop := s.mark("stop")
		if stop.Cycle <= s.last {
			break
		}
		s.timeline = s.timeline[:len(s.timeline)-1]
	}
	s.running = false
	tl := s.timeline
	s.timeline = nil
	return tl
}

// SentinelCleanups returns how many cleanups the Sampler's own sentinels have
// run since Start. They are counted in /gc/cleanups/executed like any other
// cleanup; subtract them to count only the cleanups of the code under study.
func (s *Sampler) SentinelCleanups() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.arm == nil {
		return 0
	}
	return s.arm.runs.Load()
}

// CycleCounts returns, for a timeline returned by [Sampler.Stop], how many
// GC cycles have a reading of their own and how many were missed. Their sum
// is the number of cycles that ended while the Sampler ran.
func CycleCounts(timeline []Sample) (sampled, missed uint64) {
	for _, r := range timeline {
		if !r.Mark {
			sampled++
			missed += r.Missed
		}
	}
	return sampled, missed
}

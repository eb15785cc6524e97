package scenario

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/report"
)

var nan = math.NaN()

// Isolation says where variants run.
type Isolation string

const (
	// IsolateProcess runs each variant in a fresh child process: a clean
	// heap, and per-process runtime settings.
	IsolateProcess Isolation = "process"
	// IsolateNone runs variants in the calling process, one after another.
	IsolateNone Isolation = "none"
)

// Options control a run. Start from [DefaultOptions].
type Options struct {
	// Params override the scenarios' defaults; zero fields keep them.
	Params Params
	// Repeat is how many times each variant runs; the result holds the
	// median and the range of each metric.
	Repeat int
	// Settings are the settings to run every variant under: GOGC,
	// GOMEMLIMIT, and the toolchain (see Toolchains); nil means one run
	// under the environment's settings. An expectation is evaluated, and
	// named, per setting.
	Settings []report.Setting
	// Isolate says where variants run.
	Isolate Isolation
	// ProfileDir, when set, receives two runtime heap profiles per
	// variant: <scenario>/<variant>[-<setting>].heap.pb.gz at the
	// measurement point, and the one at the baseline reading beside it
	// (see [BaselineProfile]). Everything the process held before the
	// variant began — its start-up, the program's own packages — is in
	// both, so "go tool pprof -diff_base BASELINE PROFILE" shows only what
	// the variant allocated and still holds; weakscope's command line
	// replaces each pair with that difference. Paths in the result are
	// relative to ProfileDir.
	ProfileDir string
	// Worker is the command line that starts a worker process for
	// IsolateProcess: the program and its arguments. That program must
	// call [HandleWorker] and register the same scenarios. Nil means this
	// executable, which must have called HandleWorker.
	Worker []string
	// Toolchains are the command lines of the workers built with other Go
	// toolchains, by toolchain name: a variant whose setting names a
	// toolchain ([report.Setting.Go]) runs in that worker, which must
	// call [HandleWorker] and register the same scenarios (the same
	// program built with that toolchain). Every toolchain a setting names
	// needs one, and process isolation.
	Toolchains map[string][]string
	// WorkerEnv is added to the worker's environment.
	WorkerEnv []string
	// Timeout bounds one variant's run (a worker that hangs is killed).
	Timeout time.Duration
	// MaxCycles bounds the GC cycles forced to settle after the release.
	MaxCycles int
	// Progress, if set, is called before each variant runs.
	Progress func(scenario, variant string, setting report.Setting)
	// Why finds, for every variant, what keeps the objects it released
	// alive if any still are: the retention paths of up to three of them,
	// from a heap dump of the process that ran it, which stops the world
	// for as long as the dump takes. Without Why, paths are found only for
	// the variants of a setting where an expectation failed, in one more
	// run of each.
	Why bool
}

// DefaultOptions returns the options of a plain "weakscope run".
func DefaultOptions() Options {
	return Options{Repeat: 1, Isolate: IsolateProcess, Timeout: 2 * time.Minute, MaxCycles: 20}
}

// Run measures every variant of sc under every setting and checks the
// expectations. With IsolateProcess (the default) each variant runs in a
// child process that finds sc by its name, so sc must be registered and
// the program must serve workers (see [HandleWorker]). A variant that cannot be measured (its worker crashed or
// timed out) gets a result with Error set, and the run goes on; the error
// returned is for problems that stop the whole run, such as ctx being done.
func Run(ctx context.Context, sc *Scenario, opts Options) (report.ScenarioResult, error) {
	opts = withDefaults(opts)
	for _, set := range opts.Settings {
		if set.Machine != "" {
			return report.ScenarioResult{Name: sc.Name}, fmt.Errorf("setting %q names a machine: a run measures on its own", set)
		}
		if set.Go == "" {
			continue
		}
		if opts.Isolate != IsolateProcess {
			return report.ScenarioResult{Name: sc.Name}, fmt.Errorf("setting %q names a toolchain: it runs in a worker built with it, so it needs process isolation", set)
		}
		if len(opts.Toolchains[set.Go]) == 0 {
			return report.ScenarioResult{Name: sc.Name}, fmt.Errorf("setting %q names a toolchain that Options.Toolchains has no worker for", set)
		}
	}
	if opts.Isolate == IsolateProcess && len(opts.Worker) == 0 && needsOwnWorker(opts.Settings) {
		if err := canStartWorker(); err != nil {
			return report.ScenarioResult{Name: sc.Name}, err
		}
	}
	if opts.Isolate == IsolateProcess {
		if reg, _ := Lookup(sc.Name); reg == nil || !slices.Equal(reg.VariantNames(), sc.VariantNames()) {
			return report.ScenarioResult{Name: sc.Name}, fmt.Errorf("scenario %q is not registered: a worker process finds its scenario by name, so register it with scenario.Register from init, or run it with Options.Isolate = scenario.IsolateNone", sc.Name)
		}
	}
	p := sc.Params(opts.Params)
	res := report.ScenarioResult{
		Name: sc.Name, Description: sc.Description, Explanation: sc.Explanation, Params: p,
	}
	settings := opts.Settings
	if len(settings) == 0 {
		settings = []report.Setting{{}}
	}
	for _, set := range settings {
		measured := Measured{}
		first, failed := len(res.Variants), false
		for _, v := range sc.Variants {
			if opts.Progress != nil {
				opts.Progress(sc.Name, v.Name, set)
			}
			vr, err := runRepeated(ctx, sc, v, p, set, opts)
			if err != nil {
				return res, err
			}
			res.Variants = append(res.Variants, vr)
			if vr.Error == "" {
				measured[v.Name] = vr.Metrics
			}
		}
		for _, e := range sc.Expectations {
			ex := report.Expectation{Text: e.Text}
			if len(settings) > 1 || set != (report.Setting{}) {
				ex.Setting = set.String()
			}
			if len(measured) < len(sc.Variants) {
				ex.Detail = "not evaluated: a variant could not be measured"
			} else {
				ex.Pass, ex.Detail = e.Check(measured, p)
				// Only a real verdict is worth explaining: a variant
				// that could not be measured has nothing to dump.
				failed = failed || !ex.Pass
			}
			res.Expectations = append(res.Expectations, ex)
		}
		if failed && !opts.Why {
			if err := explainFailure(ctx, sc, p, set, opts, res.Variants[first:]); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// explainFailure runs each measured variant once more, asking for the
// retention paths of what it still holds, and adds them to its result: an
// expectation that failed usually means something was kept that should
// have gone, and the paths say what kept it.
func explainFailure(ctx context.Context, sc *Scenario, p Params, set report.Setting, opts Options, results []report.VariantResult) error {
	for i := range results {
		vr := &results[i]
		if vr.Error != "" {
			continue
		}
		v, _ := sc.Variant(vr.Variant)
		j := job{Scenario: sc.Name, Variant: vr.Variant, Params: p, Setting: set, MaxCycles: opts.MaxCycles, Why: true}
		r, err := runJob(ctx, j, v, opts)
		if err != nil {
			return err
		}
		if r.Error != "" {
			vr.RetentionError = "the run to find retention paths failed: " + r.Error
			continue
		}
		vr.Retention, vr.RetentionError = r.Retention, r.RetentionError
	}
	return nil
}

// needsOwnWorker reports whether some variant runs in this program's own
// worker, rather than in one built with a toolchain a setting names.
func needsOwnWorker(settings []report.Setting) bool {
	return len(settings) == 0 || slices.ContainsFunc(settings, func(s report.Setting) bool { return s.Go == "" })
}

func withDefaults(o Options) Options {
	d := DefaultOptions()
	if o.Repeat < 1 {
		o.Repeat = d.Repeat
	}
	if o.Isolate == "" {
		o.Isolate = d.Isolate
	}
	if o.Timeout <= 0 {
		o.Timeout = d.Timeout
	}
	if o.MaxCycles <= 0 {
		o.MaxCycles = d.MaxCycles
	}
	return o
}

// runRepeated runs one variant Repeat times and folds the runs into one
// result: the median of each metric, its range, and the first run's
// timeline and profile.
func runRepeated(ctx context.Context, sc *Scenario, v Variant, p Params, set report.Setting, opts Options) (report.VariantResult, error) {
	var runs []report.VariantResult
	for i := range opts.Repeat {
		j := job{Scenario: sc.Name, Variant: v.Name, Params: p, Setting: set, MaxCycles: opts.MaxCycles}
		if opts.ProfileDir != "" && i == 0 {
			j.Profile = profilePath(opts.ProfileDir, sc.Name, v.Name, set)
		}
		j.Why = opts.Why && i == 0
		r, err := runJob(ctx, j, v, opts)
		if err != nil {
			return report.VariantResult{}, err
		}
		if r.Error != "" {
			return r, nil
		}
		if r.Profile != "" {
			if rel, err := filepath.Rel(opts.ProfileDir, r.Profile); err == nil {
				r.Profile = filepath.ToSlash(rel)
			}
		}
		runs = append(runs, r)
	}
	return fold(runs), nil
}

// runJob runs one job, of variant v, where opts says: in this process or in
// a worker (which finds the variant by its name in the catalogue).
func runJob(ctx context.Context, j job, v Variant, opts Options) (report.VariantResult, error) {
	if opts.Isolate == IsolateNone {
		return runInProcess(ctx, j, v)
	}
	return runInWorker(ctx, j, opts)
}

func profilePath(dir, scenario, variant string, set report.Setting) string {
	name := variant
	if set != (report.Setting{}) {
		name += "-" + strings.NewReplacer(" ", "-", "=", "", "/", "-").Replace(set.String())
	}
	return filepath.Join(dir, scenario, name+".heap.pb.gz")
}

func fold(runs []report.VariantResult) report.VariantResult {
	out := runs[0]
	out.Runs = len(runs)
	if len(runs) == 1 {
		return out
	}
	out.Metrics, out.Min, out.Max = map[string]float64{}, map[string]float64{}, map[string]float64{}
	out.Samples = map[string][]float64{}
	for name := range runs[0].Metrics {
		var xs []float64
		for _, r := range runs {
			if x, ok := r.Metrics[name]; ok {
				xs = append(xs, x)
			}
		}
		out.Samples[name] = slices.Clone(xs)
		slices.Sort(xs)
		out.Metrics[name] = median(xs)
		out.Min[name], out.Max[name] = xs[0], xs[len(xs)-1]
	}
	for _, r := range runs {
		out.Settled = out.Settled && r.Settled
	}
	return out
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// job is one variant run, as sent to a worker.
type job struct {
	Scenario  string         `json:"scenario"`
	Variant   string         `json:"variant"`
	Params    Params         `json:"params"`
	Setting   report.Setting `json:"setting"`
	Profile   string         `json:"profile,omitempty"`
	MaxCycles int            `json:"max_cycles"`
	// Why asks for the retention paths of the released objects that are
	// still alive at the end.
	Why bool `json:"why,omitempty"`
}

// runInProcess runs a job in this process, applying its setting for the
// duration.
func runInProcess(ctx context.Context, j job, v Variant) (report.VariantResult, error) {
	restore, err := applySetting(j.Setting)
	if err != nil {
		return report.VariantResult{}, err
	}
	defer restore()
	return measureVariant(ctx, j, v)
}

// applySetting sets GOGC and the memory limit in this process and returns
// a function that restores the previous values.
func applySetting(s report.Setting) (restore func(), err error) {
	var undo []func()
	if s.GOGC != "" {
		pct, err := ParseGOGC(s.GOGC)
		if err != nil {
			return nil, err
		}
		old := debug.SetGCPercent(pct)
		undo = append(undo, func() { debug.SetGCPercent(old) })
	}
	if s.GOMEMLIMIT != "" {
		limit, err := ParseMemLimit(s.GOMEMLIMIT)
		if err != nil {
			return nil, err
		}
		old := debug.SetMemoryLimit(limit)
		undo = append(undo, func() { debug.SetMemoryLimit(old) })
	}
	return func() {
		for _, f := range slices.Backward(undo) {
			f()
		}
	}, nil
}

// ParseGOGC parses a GOGC value: a percentage ≥ 0 or "off" (returned as -1,
// as debug.SetGCPercent takes it).
func ParseGOGC(s string) (int, error) {
	if s == "off" {
		return -1, nil
	}
	bad := fmt.Errorf("%q is not a GOGC value (want a whole percentage ≥ 0, or off)", s)
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, bad
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, bad
	}
	return n, nil
}

// ParseMemLimit parses a GOMEMLIMIT value: a size such as 64MiB, or "off"
// (no limit, returned as math.MaxInt64).
func ParseMemLimit(s string) (int64, error) {
	if s == "off" {
		return math.MaxInt64, nil
	}
	n, err := report.ParseBytes(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a GOMEMLIMIT value (want a size such as 64MiB, or off)", s)
	}
	return n, nil
}

// measure runs the protocol for the job's variant, found by name in the
// catalogue: what a worker process does. A job for another toolchain than
// this program's is refused: its result would be recorded under the wrong
// one.
func measure(ctx context.Context, j job) (report.VariantResult, error) {
	if j.Setting.Go != "" && goRelease(runtime.Version()) != j.Setting.Go {
		return report.VariantResult{}, fmt.Errorf("this worker was built with %s, not with %s as the job asks", runtime.Version(), j.Setting.Go)
	}
	sc, err := Lookup(j.Scenario)
	if err != nil {
		return report.VariantResult{}, err
	}
	v, ok := sc.Variant(j.Variant)
	if !ok {
		return report.VariantResult{}, fmt.Errorf("scenario %s has no variant %q (valid: %s)", sc.Name, j.Variant, strings.Join(sc.VariantNames(), ", "))
	}
	return measureVariant(ctx, j, v)
}

// goRelease is a Go version without the experiments a build may append
// ("go1.27.3 X:nodwarf5").
func goRelease(v string) string {
	release, _, _ := strings.Cut(v, " ")
	return release
}

// timed runs f and returns the wall time and the process's CPU time it took
// (no CPU time where the platform cannot say).
func timed(f func()) (wall, cpu time.Duration) {
	cpu0, _ := processCPU()
	start := time.Now()
	f()
	wall = time.Since(start)
	cpu1, _ := processCPU()
	return wall, cpu1 - cpu0
}

// timelineCapacity is room for the readings of a default-sized variant (22
// to 52 in the default catalogue), so that recording them does not
// allocate; longer runs grow the timeline. It is most of weakscope's own
// heap during a variant (TestBookkeepingHeap), so it is not made larger.
const timelineCapacity = 64

// subjectFault records the first panic in a subject's code, which ends the
// variant with an error row instead of the process.
type subjectFault struct{ msg atomic.Pointer[string] }

// call runs f, a call of the subject's method, and reports whether no
// panic has happened in the subject's code so far.
func (g *subjectFault) call(method string, f func()) bool {
	defer g.catch(method)
	f()
	return g.msg.Load() == nil
}

// catch, deferred, records a panic of the subject's method.
func (g *subjectFault) catch(method string) {
	if r := recover(); r != nil {
		msg := fmt.Sprintf("%s panicked: %v", method, r)
		g.msg.CompareAndSwap(nil, &msg)
	}
}

// newSubject calls v.New, recording a panic.
func (g *subjectFault) newSubject(v Variant, p Params) Subject {
	defer g.catch("New")
	return v.New(p)
}

// result is the error row for a variant whose subject panicked.
func (g *subjectFault) result(v Variant, j job) (report.VariantResult, bool) {
	msg := g.msg.Load()
	if msg == nil {
		return report.VariantResult{}, false
	}
	return report.VariantResult{Variant: v.Name, Holder: v.Holder, Setting: j.Setting, Runs: 1, Error: *msg}, true
}

// measureVariant runs the protocol for variant v of j's scenario. A panic
// in the subject's code (New, Populate, Release, Len, Quiesce, Measure)
// ends it with a result whose Error says so.
func measureVariant(ctx context.Context, j job, v Variant) (report.VariantResult, error) {
	var fault subjectFault
	// subj is never assigned after this, so the closures below copy it
	// rather than move it to the heap, where it would be one more step on
	// every retention path.
	subj := fault.newSubject(v, j.Params)
	if vr, failed := fault.result(v, j); failed {
		return vr, nil
	}
	if subj == nil {
		return report.VariantResult{Variant: v.Name, Holder: v.Holder, Setting: j.Setting, Runs: 1, Error: "New returned a nil Subject"}, nil
	}
	if w, ok := subj.(Witnesser); ok && j.Why {
		w.WatchReleased()
	}
	// Len runs on the sampler's goroutine too, where a panic would end
	// the process.
	subjLen := func() (n int) {
		defer fault.catch("Len")
		return subj.Len()
	}
	probe := inspect.WithProbe(subjLen)
	s := inspect.NewSampler(probe, inspect.WithCapacity(timelineCapacity))
	s.Start()
	defer s.Stop() // for the error returns; stopping twice is harmless
	if _, err := inspect.Settle(ctx, probe); err != nil {
		return report.VariantResult{}, err
	}
	base := s.Mark("baseline")
	baseSentinels := s.SentinelCleanups()
	// A profile that cannot be written (a full disk) costs the variant its
	// profile, not its measurement: the result says why.
	var profileErr error
	if j.Profile != "" {
		// What the runtime's profile holds now is the process's own, not
		// the variant's: the baseline of the difference (see ProfileDir).
		// Writing it leaves garbage only, which the next settle collects
		// before anything is read.
		profileErr = writeProfile(BaselineProfile(j.Profile))
	}

	s.Mark("populate")
	wall, cpu := timed(func() { fault.call("Populate", subj.Populate) })
	s.Mark("populated")
	if vr, failed := fault.result(v, j); failed {
		return vr, nil
	}
	if _, err := inspect.Settle(ctx, probe); err != nil {
		return report.VariantResult{}, err
	}
	held := s.Mark("held")

	s.Mark("release")
	// Let the sampler finish recording the last cycle first: its probe may
	// call weak.Pointer.Value, and a Value that runs while the next cycle
	// is marking keeps the object alive through that cycle.
	if err := s.Sync(ctx); err != nil {
		return report.VariantResult{}, err
	}
	// The length and the cycle count at the release: what the cycles to
	// release are counted from, even if an automatic cycle (under a tight
	// GOMEMLIMIT the collector runs back to back) releases everything
	// before the settle below takes its first look.
	before := releasePoint{length: subjLen(), cycle: inspect.Read().Cycle}
	w, c := timed(func() { fault.call("Release", subj.Release) })
	wall, cpu = wall+w, cpu+c
	if vr, failed := fault.result(v, j); failed {
		return vr, nil
	}
	quiesce := func() {}
	if q, ok := subj.(Quiescer); ok {
		quiesce = func() { fault.call("Quiesce", q.Quiesce) }
	}
	released, err := settleAfterRelease(ctx, s, subjLen, quiesce, before, j.MaxCycles)
	if err != nil {
		return report.VariantResult{}, err
	}
	if vr, failed := fault.result(v, j); failed {
		return vr, nil
	}
	final := s.Mark("measure")
	sentinels := s.SentinelCleanups() - baseSentinels

	vr := report.VariantResult{
		Variant: v.Name, Holder: v.Holder, Setting: j.Setting, Runs: 1, Settled: released.settled, Volatile: v.Volatile,
	}
	if j.Profile != "" && profileErr == nil {
		profileErr = writeProfile(j.Profile)
	}
	switch {
	case profileErr != nil:
		vr.ProfileError = profileErr.Error()
		os.Remove(j.Profile)
		os.Remove(BaselineProfile(j.Profile))
	case j.Profile != "":
		vr.Profile = j.Profile
	}
	tl := s.Stop()

	peak := uint64(0)
	for _, r := range tl {
		peak = max(peak, r.HeapObjectBytes)
	}
	ran := (final.CleanupsExecuted + final.FinalizersExecuted) - (base.CleanupsExecuted + base.FinalizersExecuted)
	m := map[string]float64{
		report.RetainedBytes:   float64(int64(final.HeapLiveBytes) - int64(base.HeapLiveBytes)),
		report.RetainedObjects: float64(int64(final.HeapObjects) - int64(base.HeapObjects)),
		report.Entries:         float64(final.Probe),
		report.CyclesToRelease: float64(released.cycles),
		report.CleanupsRun:     float64(int64(ran) - int64(sentinels)),
		report.PeakHeapBytes:   float64(peak),
		report.WallNS:          float64(wall.Nanoseconds()),
		"held_bytes":           float64(int64(held.HeapLiveBytes) - int64(base.HeapLiveBytes)),
		"settle_cycles":        float64(released.total),
		"automatic_cycles":     float64(released.automatic),
	}
	if _, ok := processCPU(); ok {
		m[report.CPUNS] = float64(cpu.Nanoseconds())
	}
	if me, ok := subj.(Measurer); ok && !fault.call("Measure", func() { me.Measure(m) }) {
		vr, _ := fault.result(v, j)
		return vr, nil
	}
	if j.Why {
		// Last: the dump and its parsing allocate about as much as the
		// heap, and the GC cycles that follow must show neither in the
		// timeline nor in the subject's own metrics (cleanups that ran).
		vr.Retention, vr.RetentionError = retention(ctx, subj)
	}
	runtime.KeepAlive(subj)
	vr.Metrics = m
	vr.Timeline = tl
	return vr, nil
}

type releaseResult struct {
	cycles    int // GC cycles, forced or not, from the release until the holder reached its final length
	total     int // cycles forced
	automatic int // cycles the runtime ran on its own between the release and the end of the settle
	settled   bool
}

// releasePoint is the holder's length and the GC cycle count just before
// the release.
type releasePoint struct {
	length int
	cycle  uint64
}

// settleAfterRelease settles the heap with inspect.Settle, letting the
// holder's own per-cycle work catch up after each cycle (see Quiescer) and
// recording each cycle in the sampler, until two cycles in a row change
// neither the live object count nor the holder's length, or the budget
// runs out. Cycles are counted with the runtime's counter from the
// release, so automatic cycles count too: one that ran before the first
// forced cycle, and released everything, is not missed (which would give
// 0), and under a collector running back to back the count includes the
// cycles that completed before the change could be seen.
func settleAfterRelease(ctx context.Context, s *inspect.Sampler, subjLen func() int, quiesce func(), at releasePoint, maxCycles int) (releaseResult, error) {
	// The holder's length, and the cycle count when it last changed.
	last, changedAt := at.length, at.cycle
	look := func() {
		if n := subjLen(); n != last {
			last, changedAt = n, inspect.Read().Cycle
		}
	}
	look()
	after := func(ctx context.Context) error {
		quiesce()
		if err := s.Sync(ctx); err != nil {
			return err
		}
		look()
		return nil
	}
	r, err := inspect.Settle(ctx,
		inspect.WithMaxCycles(maxCycles),
		// A cycle of a large heap and its cleanups may take seconds.
		inspect.WithTimeout(time.Duration(maxCycles)*inspect.DefaultTimeout),
		inspect.WithProbe(func() int { return last }),
		inspect.WithAfterCycle(after))
	elapsed := int(inspect.Read().Cycle - at.cycle)
	return releaseResult{cycles: int(changedAt - at.cycle), total: r.Cycles, automatic: max(elapsed-r.Cycles, 0), settled: r.Settled}, err
}

// BaselineProfile is where a variant's heap profile at the baseline reading
// is written, for the profile written to path: the same name with
// ".baseline" before ".heap.pb.gz".
func BaselineProfile(path string) string {
	return strings.TrimSuffix(path, ".heap.pb.gz") + ".baseline.heap.pb.gz"
}

func writeProfile(name string) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&b, 0); err != nil {
		return fmt.Errorf("writing heap profile: %w", err)
	}
	return report.WriteFileAtomic(name, b.Bytes())
}

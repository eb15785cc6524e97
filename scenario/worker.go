package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/weakscope/weakscope/report"
)

// WorkerArg is the hidden argument with which Run starts a worker: a
// command line that serves one (such as package cli's) accepts it as a
// command of its own.
const WorkerArg = "__worker"

// workerEnv marks a process that Run started as a worker; its value is the
// version of the protocol between the two.
const workerEnvVar = "WEAKSCOPE_WORKER"

// WorkerProfileRate is runtime.MemProfileRate in a worker that writes heap
// profiles: one sample per 16 KiB allocated on average.
const WorkerProfileRate = 16 << 10

// servesWorkers is set by HandleWorker: this program can be started as a
// worker, so Run may use IsolateProcess with the default worker command.
var servesWorkers atomic.Bool

// HandleWorker makes this program able to run its scenarios' variants in
// child processes, the default isolation. Call it at the very start of
// main, before anything else happens (package cli's Main and Run do, and
// scenariotest.Main does in a test binary's TestMain).
//
// In a process that [Run] started as a worker, HandleWorker reads the job,
// runs the one variant asked for, sends the result back and exits the
// process, so main goes no further: it is not run again in the child.
// Anywhere else it returns at once, and from then on Run may start this
// program as a worker. Without it, Run with IsolateProcess returns an error
// that says so instead of starting a program that would not serve it.
func HandleWorker() {
	if os.Getenv(workerEnvVar) == "" {
		servesWorkers.Store(true)
		return
	}
	os.Unsetenv(workerEnvVar) // anything the variant starts is no worker
	out, err := WorkerOutput()
	if err == nil {
		err = serveWorker(context.Background(), os.Stdin, out, watchParent)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "weakscope worker:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// ServesWorkers reports whether HandleWorker has been called in this
// process, so that Run may start it again as a worker.
func ServesWorkers() bool { return servesWorkers.Load() }

// watchParent ends this worker when the job pipe from its parent closes:
// the parent holds it open until the worker has exited, so an end of file
// means that the parent died (by SIGKILL, say) and nobody waits for the
// result. It is the portable half of dieWithParent.
func watchParent(in io.Reader) {
	go func() {
		io.Copy(io.Discard, in)
		fmt.Fprintln(os.Stderr, "weakscope worker: the parent process is gone; stopping")
		os.Exit(3)
	}()
}

// errNotServing is returned by Run for process isolation in a program that
// cannot be a worker.
var errNotServing = errors.New("process isolation starts this program again as a worker, but it does not serve workers: " +
	"call scenario.HandleWorker() first thing in main (cli.Main does), or scenariotest.Main(m) from TestMain in a test; " +
	"or run in this process with Options.Isolate = scenario.IsolateNone")

// errInWorker is returned by Run in a process started as a worker whose main
// did not hand it to HandleWorker.
var errInWorker = errors.New("this process was started as a weakscope worker, but its main ran scenario.Run instead of serving the job: " +
	"call scenario.HandleWorker() first thing in main")

// canStartWorker says whether Run may start the default worker command.
func canStartWorker() error {
	if os.Getenv(workerEnvVar) != "" {
		return errInWorker
	}
	if !servesWorkers.Load() {
		return errNotServing
	}
	return nil
}

// ServeWorker is the body of a worker process (HandleWorker calls it): it reads one job as JSON from
// in, runs it in this process and writes the result as JSON to out. The
// parent starts it with the variant's GOGC and GOMEMLIMIT in the
// environment, so the whole process runs under that setting.
func ServeWorker(ctx context.Context, in io.Reader, out io.Writer) error {
	return serveWorker(ctx, in, out, nil)
}

// serveWorker is ServeWorker; after reading the job it hands in to
// afterJob, if set.
func serveWorker(ctx context.Context, in io.Reader, out io.Writer, afterJob func(io.Reader)) error {
	var j job
	if err := json.NewDecoder(in).Decode(&j); err != nil {
		return fmt.Errorf("worker: reading job: %w", err)
	}
	if afterJob != nil {
		afterJob(in)
	}
	if j.Profile != "" {
		// The default rate (a sample per 512 KiB allocated) leaves a
		// variant that holds a megabyte with a handful of samples, or none.
		// The process is the worker's alone, so the cost is the variant's
		// own; the buckets live outside the Go heap, so no reading moves.
		runtime.MemProfileRate = WorkerProfileRate
	}
	// The setting is already in the environment; do not apply it twice.
	r, err := measure(ctx, j)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(r)
}

// runInWorker runs a job in a fresh child process. The job goes to the
// child on stdin, the result comes back on a pipe of its own (fd 3), so
// nothing the child prints can corrupt it. A child that fails, is killed or
// outlives the timeout yields a result with Error set.
func runInWorker(ctx context.Context, j job, opts Options) (report.VariantResult, error) {
	argv, arg0 := opts.Worker, ""
	if j.Setting.Go != "" {
		argv = opts.Toolchains[j.Setting.Go]
	}
	if len(argv) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return report.VariantResult{}, fmt.Errorf("finding this executable to start a worker: %w", err)
		}
		// Keep the name we were started under: a multi-call binary (such
		// as a test binary serving several commands) dispatches on it.
		argv, arg0 = []string{exe, WorkerArg}, os.Args[0]
	}
	in, err := json.Marshal(j)
	if err != nil {
		return report.VariantResult{}, err
	}
	wctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	cmd := exec.CommandContext(wctx, argv[0], argv[1:]...)
	if arg0 != "" {
		cmd.Args[0] = arg0
	}
	env, err := workerEnviron(os.Environ(), j.Setting)
	if err != nil {
		return report.VariantResult{}, err
	}
	cmd.Env = append(append(env, workerEnvVar+"=1"), opts.WorkerEnv...)
	// The job goes on a pipe that stays open until the worker has exited
	// (Wait closes it): its end tells an orphaned worker to stop.
	jobPipe, err := cmd.StdinPipe()
	if err != nil {
		return report.VariantResult{}, err
	}
	dieWithParent(cmd)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	pr, pw, err := os.Pipe()
	if err != nil {
		return report.VariantResult{}, err
	}
	cmd.ExtraFiles = []*os.File{pw}
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		jobPipe.Close()
		return report.VariantResult{}, fmt.Errorf("starting worker: %w", err)
	}
	pw.Close()
	// A worker that died before reading its job shows in Wait's error.
	_, _ = jobPipe.Write(in)
	out, readErr := io.ReadAll(pr)
	pr.Close()
	waitErr := cmd.Wait()

	failed := func(why string) (report.VariantResult, error) {
		if ctx.Err() != nil {
			return report.VariantResult{}, ctx.Err()
		}
		msg := why
		if tail := lastLine(stderr.String()); tail != "" {
			msg += ": " + tail
		}
		return report.VariantResult{Variant: j.Variant, Setting: j.Setting, Runs: 1, Error: msg}, nil
	}
	switch {
	case errors.Is(wctx.Err(), context.DeadlineExceeded):
		return failed(fmt.Sprintf("worker timed out after %v", opts.Timeout))
	case waitErr != nil:
		return failed("worker " + waitErr.Error())
	case readErr != nil:
		return failed("reading worker result: " + readErr.Error())
	}
	var r report.VariantResult
	if err := json.Unmarshal(out, &r); err != nil {
		return failed("worker sent no valid result")
	}
	return r, nil
}

// workerEnviron returns env with GOGC and GOMEMLIMIT set for the setting, in
// the runtime's own syntax: a percentage or off, and a plain byte count or
// off. (The runtime reads neither SI units nor fractions such as 1.5GiB,
// which the flags accept.)
func workerEnviron(env []string, s report.Setting) ([]string, error) {
	out := env[:0:0]
	for _, kv := range env {
		if (s.GOGC != "" && strings.HasPrefix(kv, "GOGC=")) || (s.GOMEMLIMIT != "" && strings.HasPrefix(kv, "GOMEMLIMIT=")) {
			continue
		}
		out = append(out, kv)
	}
	if s.GOGC != "" {
		pct, err := ParseGOGC(s.GOGC)
		if err != nil {
			return nil, err
		}
		v := "off"
		if pct >= 0 {
			v = strconv.Itoa(pct)
		}
		out = append(out, "GOGC="+v)
	}
	if s.GOMEMLIMIT != "" {
		limit, err := ParseMemLimit(s.GOMEMLIMIT)
		if err != nil {
			return nil, err
		}
		v := "off"
		if limit != math.MaxInt64 {
			v = strconv.FormatInt(limit, 10)
		}
		out = append(out, "GOMEMLIMIT="+v)
	}
	return out, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// WorkerOutput returns the pipe a worker writes its result to: fd 3, which
// runInWorker passes to the child.
func WorkerOutput() (io.WriteCloser, error) {
	f := os.NewFile(3, "weakscope-result")
	if f == nil {
		return nil, errors.New("worker: no result pipe (fd 3); workers are started by weakscope itself")
	}
	// What the variant starts must not inherit the pipe: the parent reads
	// it to the end, and a grandchild holding it open would keep it waiting.
	closeOnExec(f)
	return f, nil
}

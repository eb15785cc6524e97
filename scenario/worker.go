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
	"strconv"
	"strings"

	"github.com/weakscope/weakscope/report"
)

// WorkerArg is the hidden argument with which cmd/weakscope starts a worker.
const WorkerArg = "__worker"

// ServeWorker is the body of a worker process: it reads one job as JSON from
// in, runs it in this process and writes the result as JSON to out. The
// parent starts it with the variant's GOGC and GOMEMLIMIT in the
// environment, so the whole process runs under that setting.
func ServeWorker(ctx context.Context, in io.Reader, out io.Writer) error {
	var j job
	if err := json.NewDecoder(in).Decode(&j); err != nil {
		return fmt.Errorf("worker: reading job: %w", err)
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
	env, err := workerEnv(os.Environ(), j.Setting)
	if err != nil {
		return report.VariantResult{}, err
	}
	cmd.Env = append(env, opts.WorkerEnv...)
	cmd.Stdin = bytes.NewReader(in)
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
		return report.VariantResult{}, fmt.Errorf("starting worker: %w", err)
	}
	pw.Close()
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

// workerEnv returns env with GOGC and GOMEMLIMIT set for the setting, in
// the runtime's own syntax: a percentage or off, and a plain byte count or
// off. (The runtime reads neither SI units nor fractions such as 1.5GiB,
// which the flags accept.)
func workerEnv(env []string, s report.Setting) ([]string, error) {
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
	return f, nil
}

package cli

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/weakscope/weakscope/internal/tmpfs"
	"github.com/weakscope/weakscope/scenario"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// listFiles returns every file and directory below dir, relative to it.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Every kind of bad input gives exit 2, one line on stderr that names the
// flag or file and what would be accepted, nothing on stdout, and no file.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := write("empty.json", nil)
	garbage := write("garbage.json", bytes.Repeat([]byte("\x00garbage\xff"), 10<<20)) // 100 MB
	wrongSchema := write("schema.json", []byte(`{"schema":"weakscope/results/v0","scenarios":[]}`))
	missing := write("missing-fields.json", []byte(`{"schema":"weakscope/results/v1","scenarios":[{"variants":[{"metrics":{}}]}]}`))
	negative := write("negative.json", []byte(`{"schema":"weakscope/results/v1","scenarios":[{"name":"s","variants":[{"variant":"v","metrics":{"entries":-3}}]}]}`))
	aFile := write("a-file", []byte("x"))
	out := filepath.Join(dir, "out")

	for _, tc := range []struct {
		args []string
		want string // must appear in the one-line message
	}{
		{[]string{"run", "no-such"}, `unknown scenario "no-such" (valid: report-cache`},
		{[]string{"run", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"run", "--objects", "0"}, `--objects: want a whole number from 1 to 100000000, got "0"`},
		{[]string{"run", "--objects", "-5"}, `--objects: want a whole number`},
		{[]string{"run", "--objects", "1e99"}, `--objects: want a whole number`},
		{[]string{"run", "--objects", "abc"}, `--objects: want a whole number`},
		{[]string{"run", "--size", "0"}, `--size: "0" is not a size from 1 B to 1GiB`},
		{[]string{"run", "--size", "12XB"}, `--size: "12XB" is not a size`},
		{[]string{"run", "--size", "-1KiB"}, `--size: "-1KiB" is not a size`},
		{[]string{"run", "--repeat", "0"}, `--repeat: want a whole number from 1 to 1000, got "0"`},
		{[]string{"run", "--gogc", "banana"}, `--gogc: "banana" is not a GOGC value (want a whole percentage ≥ 0, or off)`},
		{[]string{"run", "--gogc", "100,50,100"}, `--gogc: 100 is named twice`},
		{[]string{"run", "--gomemlimit", "1PiB"}, `--gomemlimit: "1PiB" is not a GOMEMLIMIT value (want a size such as 64MiB, or off)`},
		{[]string{"run", "--format", "xml"}, `--format: unknown format "xml" (accepted: table, markdown, csv, json, bench)`},
		{[]string{"run", "--out", aFile}, "--out: " + aFile + " exists and is not a directory"},
		{[]string{"run", "--out", filepath.Join(dir, "no", "such", "dir")}, "--out: parent directory " + filepath.Join(dir, "no", "such") + " does not exist"},
		{[]string{"run", "--objects", "100000000", "--size", "1GiB"}, "--objects/--size: report-cache needs about"},
		{[]string{"run", "--max-heap", "lots"}, `--max-heap: "lots" is not a size`},
		{[]string{"run", "--go", "go1.27"}, `--go: "go1.27" is a language version, not a release (name a release, such as go1.27.0)`},
		{[]string{"run", "--go", "latest"}, `--go: "latest" is not a Go toolchain (accepted: Go releases such as go1.26.8 or go1.27rc1)`},
		{[]string{"check", "--baseline", empty, "--go", "go1.27.3,go1.27.3"}, `--go: go1.27.3 is named twice`},
		{[]string{"report", negative, wrongSchema}, negative + ": invalid results"},
		{[]string{"check", "--baseline", negative, "--results", empty}, "entries = -3"},
		{[]string{"report", empty}, empty + ": invalid JSON"},
		{[]string{"report", garbage}, garbage + ": invalid JSON"},
		{[]string{"report", wrongSchema}, wrongSchema + `: not a weakscope results file: unknown schema "weakscope/results/v0"`},
		{[]string{"report", missing}, missing + ": invalid results: scenarios[0] has no name"},
		{[]string{"report", negative}, negative + ": invalid results: scenario s variant v has entries = -3"},
		{[]string{"check", "--baseline", empty}, empty + ": invalid JSON"},
		{[]string{"check", "--baseline", negative}, "entries = -3"},
		{[]string{"check", "--baseline", garbage, "--count", "-1"}, `--count: want a whole number from 1 to 1000, got "-1"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			before := listFiles(t, dir)
			args := append(tc.args, "--out", out)
			if tc.args[0] == "check" || slices.Contains(tc.args, "--out") {
				args = tc.args
			}
			var stdout, stderr bytes.Buffer
			code := Run(args, &stdout, &stderr)
			msg := stderr.String()
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr %q", code, exitUsage, msg)
			}
			if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "weakscope: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("stderr %q, want one line containing %q", msg, tc.want)
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
			if after := listFiles(t, dir); len(after) != len(before) {
				t.Errorf("files changed: %v → %v", before, after)
			}
		})
	}
}

// readOnlyDir returns a directory that refuses new files: a read-only
// tmpfs when running as root (for whom permissions do not apply), a
// directory without write permission otherwise.
func readOnlyDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return tmpfs.Mount(t, "64k", "ro")
}

// Every output is tried before anything runs, and refused with the flag
// and the path that cannot be written.
func TestOutputsNotWritable(t *testing.T) {
	ro := readOnlyDir(t)
	base := filepath.Join(t.TempDir(), "base.json")
	var stdout, stderr bytes.Buffer
	if code := Run([]string{"check", "--baseline", base, "--update", "weak-ref", "--count", "1"}, &stdout, &stderr); code != 0 {
		t.Fatalf("writing a baseline: exit %d: %s", code, stderr.String())
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "weak-ref", "--out", ro}, "--out: cannot write in " + ro},
		{[]string{"run", "weak-ref", "--out", filepath.Join(ro, "new")}, "--out: cannot write in " + ro},
		{[]string{"check", "--baseline", filepath.Join(ro, "b.json"), "--update", "weak-ref"}, "--baseline: cannot write in " + ro},
		{[]string{"check", "--baseline", base, "--summary", filepath.Join(ro, "s.md"), "weak-ref"}, "--summary: cannot write in " + ro},
		{[]string{"check", "--baseline", base, "--junit", filepath.Join(ro, "j.xml"), "weak-ref"}, "--junit: cannot write in " + ro},
		{[]string{"report", "../testdata/results.json", "--out", ro}, "--out: cannot write in " + ro},
	} {
		stdout.Reset()
		stderr.Reset()
		code := Run(tc.args, &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), tc.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q, want exit 2 and one line with %q", tc.args, code, stderr.String(), tc.want)
		}
		if stdout.Len() > 0 {
			t.Errorf("%v: something ran before the refusal:\n%s", tc.args, stdout.String())
		}
	}
}

// An interrupted run exits 130 within a couple of seconds, leaves the
// previous complete results as they were, and leaves no worker behind.
// slowEnv registers the slow-test scenario, in this test binary and its
// workers, for the runs that are ended early.
const slowEnv = "WEAKSCOPE_TEST_SLOW"

func init() {
	if os.Getenv(slowEnv) == "" {
		return
	}
	scenario.Register(&scenario.Scenario{
		Name:        "slow-test",
		Description: "a variant that works for a minute, to be interrupted",
		Defaults:    scenario.Params{Objects: 1, Size: 1},
		Variants:    []scenario.Variant{{Name: "minute", New: func(scenario.Params) scenario.Subject { return slowSubject{} }}},
	})
}

// slowSubject stands for a variant that allocates for a long time: a
// worker that outlived its parent would still be at it.
type slowSubject struct{}

func (slowSubject) Populate() { time.Sleep(time.Minute) }
func (slowSubject) Release()  {}
func (slowSubject) Len() int  { return 0 }

// However a run ends early — Ctrl-C, a CI runner's SIGTERM, a closed
// terminal's SIGHUP, or SIGKILL of the parent — its workers go with it and
// the previous results stay as they were; a run killed outright leaves a
// staging directory that the next run removes.
func TestInterruptLeavesPreviousResults(t *testing.T) {
	for _, tc := range []struct {
		sig     syscall.Signal
		code    int    // -1: killed by the signal itself
		message string // on stderr
	}{
		{syscall.SIGINT, 130, "weakscope: interrupted; nothing was written"},
		{syscall.SIGTERM, 143, "weakscope: terminated (SIGTERM); nothing was written"},
		{syscall.SIGHUP, 129, "weakscope: hung up (SIGHUP); nothing was written"},
		{syscall.SIGKILL, -1, ""},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			// A complete previous run.
			var stdout, stderr bytes.Buffer
			if code := Run([]string{"run", "weak-ref", "--isolate", "none", "--out", out, "--progress", "never"}, &stdout, &stderr); code != 0 {
				t.Fatalf("first run: exit %d: %s", code, stderr.String())
			}
			before := listFiles(t, out)
			prev, err := os.ReadFile(filepath.Join(out, "results.json"))
			if err != nil {
				t.Fatal(err)
			}

			// A run whose variant takes a minute, ended once it has started
			// its worker: this test binary, started as "weakscope" (see
			// TestMain).
			mark := fmt.Sprintf("WEAKSCOPE_INTERRUPT_TEST=%d-%d", os.Getpid(), time.Now().UnixNano())
			cmd := exec.Command(os.Args[0], "run", "slow-test", "--out", out, "--progress", "always")
			cmd.Args[0] = "weakscope"
			cmd.Env = append(os.Environ(), mark, "GORACE=atexit_sleep_ms=0", slowEnv+"=1")
			var errBuf bytes.Buffer
			cmd.Stderr = &errBuf
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for len(workersWith(mark)) == 0 {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("no worker started within 30s; stderr: %s", errBuf.String())
				}
				time.Sleep(10 * time.Millisecond) // polling for a process to appear, bounded above
			}
			start := time.Now()
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			err = cmd.Wait()
			took := time.Since(start)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
				t.Fatalf("run ended by %v: %v, want exit %d; stderr: %s", tc.sig, err, tc.code, errBuf.String())
			}
			if took > 2*time.Second {
				t.Errorf("exit took %v after %v, want ≤ 2s", took, tc.sig)
			}
			if tc.message != "" && !strings.Contains(errBuf.String(), tc.message) {
				t.Errorf("stderr %q, want %q", errBuf.String(), tc.message)
			}
			// Workers are killed with their context, or die with their
			// parent; give the kernel a moment to reap them.
			deadline = time.Now().Add(time.Second)
			for len(workersWith(mark)) > 0 {
				if time.Now().After(deadline) {
					t.Fatalf("workers still running a second after %v: %v", tc.sig, workersWith(mark))
				}
				time.Sleep(10 * time.Millisecond)
			}
			if now, _ := os.ReadFile(filepath.Join(out, "results.json")); !bytes.Equal(now, prev) {
				t.Error("results.json changed")
			}
			after := listFiles(t, out)
			if tc.sig == syscall.SIGKILL {
				// The killed run could not remove its staging directory;
				// the next run does, and leaves one run's files.
				if strings.Join(after, " ") == strings.Join(before, " ") {
					t.Logf("SIGKILL left no staging directory (killed before it wrote one?)")
				}
				if code := Run([]string{"run", "weak-ref", "--isolate", "none", "--out", out, "--progress", "never"}, &stdout, &stderr); code != 0 {
					t.Fatalf("run after SIGKILL: exit %d: %s", code, stderr.String())
				}
				after = listFiles(t, out)
			}
			if strings.Join(after, " ") != strings.Join(before, " ") {
				t.Errorf("out changed: %v → %v", before, after)
			}
		})
	}
}

// workersWith lists the pids of worker processes whose environment holds
// mark.
func workersWith(mark string) []string {
	var pids []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cmdline, err := os.ReadFile(filepath.Join(p, "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte("__worker")) {
			continue
		}
		env, err := os.ReadFile(filepath.Join(p, "environ"))
		if err == nil && bytes.Contains(env, []byte(mark)) {
			pids = append(pids, filepath.Base(p))
		}
	}
	return pids
}

// failingWriter fails every write, as stdout redirected to /dev/full does.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// A command whose output cannot be written fails: "list > /dev/full".
func TestStdoutWriteFails(t *testing.T) {
	for _, args := range [][]string{{"list"}, {"version"}, {"list", "--format", "json"}, {"report", "../testdata/results.json"}} {
		var stderr bytes.Buffer
		code := Run(args, failingWriter{}, &stderr)
		if code != exitFailed || !strings.Contains(stderr.String(), "no space left on device") {
			t.Errorf("%v to a full device: exit %d, stderr %q", args, code, stderr.String())
		}
	}
}

// When the files cannot be written, the measured table is still printed.
func TestTableSurvivesUnwritableFiles(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	// A directory where results.json must go: publishing it fails.
	if err := os.MkdirAll(filepath.Join(out, "results.json", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := Run([]string{"run", "weak-ref", "--isolate", "none", "--out", out, "--progress", "never"}, &stdout, &stderr)
	if code != exitFailed || !strings.Contains(stderr.String(), "the results above were not saved") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "weak-ref") || !strings.Contains(stdout.String(), "PASS weak-ref") {
		t.Errorf("no table on stdout:\n%s", stdout.String())
	}
}

// A named pipe with no writer is refused, not waited on forever; a pipe
// that delivers is read.
func TestFIFOInput(t *testing.T) {
	old := pipeTimeout
	pipeTimeout = 300 * time.Millisecond
	defer func() { pipeTimeout = old }()
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	for _, args := range [][]string{{"report", fifo}, {"check", "--baseline", fifo, "weak-ref"}} {
		var stdout, stderr bytes.Buffer
		code := Run(args, &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), "nothing to read within 300ms") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr.String())
		}
	}
	// A pipe with a writer delivers a results file. (A new pipe: the
	// readers given up on above still wait on the first, as they would
	// until the process ends.)
	data, err := os.ReadFile("../testdata/results.json")
	if err != nil {
		t.Fatal(err)
	}
	fifo = filepath.Join(t.TempDir(), "fifo2")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			f.Write(data)
			f.Close()
		}
	}()
	var stdout, stderr bytes.Buffer
	if code := Run([]string{"report", fifo, "--format", "csv"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "report-cache") {
		t.Errorf("a pipe that delivers: exit %d, stderr %q", code, stderr.String())
	}
}

// --why refuses up front when the heap dump cannot fit in TMPDIR.
func TestWhyNeedsRoom(t *testing.T) {
	dir := tmpfs.Mount(t, "1m")
	t.Setenv("TMPDIR", dir)
	var stdout, stderr bytes.Buffer
	code := Run([]string{"run", "--why", "report-cache", "--out", filepath.Join(t.TempDir(), "out")}, &stdout, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "--why: the heap dump of report-cache needs about") || !strings.Contains(stderr.String(), dir) {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// The real /dev/full, where there is one.
func TestStdoutDevFull(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	defer f.Close()
	var stderr bytes.Buffer
	if code := Run([]string{"list"}, f, &stderr); code != exitFailed || !strings.Contains(stderr.String(), "writing standard output") {
		t.Errorf("list > /dev/full: exit %d, stderr %q", code, stderr.String())
	}
}

// An output directory that fills up during the run: the table is printed,
// the error says the results were not saved, and nothing half-written is
// left in it.
func TestOutDirFills(t *testing.T) {
	out := tmpfs.Mount(t, "64k")
	var stdout, stderr bytes.Buffer
	code := Run([]string{"run", "weak-ref", "report-cache", "--isolate", "none", "--out", out, "--progress", "never"}, &stdout, &stderr)
	if code != exitFailed || !strings.Contains(stderr.String(), "no space left on device") || !strings.Contains(stderr.String(), "the results above were not saved") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "report-cache") || !strings.Contains(stdout.String(), "PASS weak-ref") {
		t.Errorf("the measured table was lost:\n%s", stdout.String())
	}
	if left := listFiles(t, out); len(left) != 0 {
		t.Errorf("left in the full directory: %v", left)
	}
}

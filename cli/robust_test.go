package cli

import (
	"bytes"
	"errors"
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
		{[]string{"run", "--gomemlimit", "1PiB"}, `--gomemlimit: "1PiB" is not a GOMEMLIMIT value (want a size such as 64MiB, or off)`},
		{[]string{"run", "--format", "xml"}, `--format: unknown format "xml" (accepted: table, markdown, csv, json, bench)`},
		{[]string{"run", "--out", aFile}, "--out: " + aFile + " exists and is not a directory"},
		{[]string{"run", "--out", filepath.Join(dir, "no", "such", "dir")}, "--out: parent directory " + filepath.Join(dir, "no", "such") + " does not exist"},
		{[]string{"run", "--objects", "100000000", "--size", "1GiB"}, "--objects/--size: report-cache needs about"},
		{[]string{"run", "--max-heap", "lots"}, `--max-heap: "lots" is not a size`},
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

// A directory without write permission is refused before the run. Root
// may write anywhere, so this cannot be tested as root.
func TestOutDirNotWritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions do not apply")
	}
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := Run([]string{"run", "weak-ref", "--out", ro}, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "--out: cannot write in") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// An interrupted run exits 130 within a couple of seconds, leaves the
// previous complete results as they were, and leaves no worker behind.
func TestInterruptLeavesPreviousResults(t *testing.T) {
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

	// A long run of the whole catalogue, interrupted once it has started
	// workers: this test binary, started as "weakscope" (see TestMain).
	mark := "WEAKSCOPE_INTERRUPT_TEST=" + filepath.Base(dir)
	cmd := exec.Command(os.Args[0], "run", "--out", out, "--objects", "200000", "--progress", "always")
	cmd.Args[0] = "weakscope"
	cmd.Env = append(os.Environ(), mark, "GORACE=atexit_sleep_ms=0")
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
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	took := time.Since(start)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("interrupted run: %v, want exit %d; stderr: %s", err, exitInterrupted, errBuf.String())
	}
	if took > 2*time.Second {
		t.Errorf("exit took %v after SIGINT, want ≤ 2s", took)
	}
	if !strings.Contains(errBuf.String(), "weakscope: interrupted; nothing was written") {
		t.Errorf("stderr %q", errBuf.String())
	}
	if after := listFiles(t, out); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("out changed: %v → %v", before, after)
	}
	if now, _ := os.ReadFile(filepath.Join(out, "results.json")); !bytes.Equal(now, prev) {
		t.Error("results.json changed")
	}
	// Workers are killed with their context; give the kernel a moment to
	// reap them, within a budget.
	deadline = time.Now().Add(5 * time.Second)
	for len(workersWith(mark)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("workers still running after the interrupt: %v", workersWith(mark))
		}
		time.Sleep(10 * time.Millisecond)
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

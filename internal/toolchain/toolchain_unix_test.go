//go:build unix

package toolchain

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeGo writes a go command whose build starts a grandchild that sleeps
// and waits for it, and records the grandchild's process ID in pidFile.
func fakeGo(t *testing.T) (goCommand, pidFile string) {
	t.Helper()
	dir := t.TempDir()
	pidFile = filepath.Join(dir, "pid")
	script := `#!/bin/sh
case "$1" in
env) echo '{"GOVERSION": "'"$GOTOOLCHAIN"'"}' ;;
list) echo '{"ImportPath": "example.com/tiny/cmd/tiny", "Dir": "/nonexistent"}' ;;
build) sleep 300 & echo $! > ` + pidFile + `; wait ;;
esac
`
	goCommand = filepath.Join(dir, "go")
	if err := os.WriteFile(goCommand, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return goCommand, pidFile
}

// Cancelling the context (Ctrl-C) kills the build and everything it
// started, at once; a build that outlives the timeout is killed too.
func TestBuildCancelKillsEverything(t *testing.T) {
	for _, how := range []string{"cancel", "timeout"} {
		t.Run(how, func(t *testing.T) {
			opts := testOptions(t)
			var pidFile string
			opts.GoCommand, pidFile = fakeGo(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if how == "timeout" {
				opts.Timeout = 500 * time.Millisecond
			}
			tc, err := Fetch(ctx, "go1.26.8", opts)
			if err != nil {
				t.Fatal(err)
			}
			src := Source{Module: "example.com/tiny", Dir: t.TempDir(), Package: "example.com/tiny/cmd/tiny"}
			done := make(chan error, 1)
			go func() {
				_, err := Build(ctx, src, tc, opts)
				done <- err
			}()
			pid := waitForPID(t, pidFile)
			if how == "cancel" {
				cancel()
			}
			select {
			case err := <-done:
				if how == "cancel" && !errors.Is(err, context.Canceled) {
					t.Errorf("Build after cancel: %v, want context.Canceled", err)
				}
				if how == "timeout" && (err == nil || !strings.Contains(err.Error(), "did not finish within 500ms")) {
					t.Errorf("Build past its timeout: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("Build did not return within 30s of being stopped")
			}
			deadline := time.Now().Add(10 * time.Second)
			for syscall.Kill(pid, 0) == nil {
				if time.Now().After(deadline) {
					t.Fatalf("the build's child %d is still running", pid)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// waitForPID waits, with a budget, for the fake build to record its
// child's process ID.
func waitForPID(t *testing.T, file string) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(file); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				return pid
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the fake build never started its child")
	return 0
}

package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestExampleSessionCache builds examples/sessioncache, a user's module
// with caches of its own and the two-line harness, and drives it as a user
// would: run with process isolation, check --update, check, go test, then
// a regression injected into its code that check and go test must catch.
func TestExampleSessionCache(t *testing.T) {
	runGoScripts(t, "testdata/example", nil)
}

// TestToolchainScripts runs the scripts of run and check --go and of
// report across toolchains: they build weakscope and the example harness,
// then build them again with go1.26.8 and go1.27.3, which the go command
// fetches through the module proxy when it is not in the module cache. A
// script whose toolchain cannot be fetched skips, saying so.
func TestToolchainScripts(t *testing.T) {
	runGoScripts(t, "testdata/toolchain", map[string]string{"fetch:go1.27.3": "go1.27.3"})
}

// runGoScripts runs the scripts in dir with a go command that shares this
// one's caches and proxy. Each condition in fetchable ("[fetch:NAME]") is
// true when the toolchain it names can be had through GOTOOLCHAIN.
func runGoScripts(t *testing.T, dir string, fetchable map[string]string) {
	if testing.Short() {
		t.Skip("builds a module of its own")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the example with")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	// The go command in the scripts shares this one's caches and proxy.
	goEnv := map[string]string{}
	keys := []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GONOSUMDB", "GOFLAGS"}
	out, err := exec.Command(goTool, append([]string{"env"}, keys...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		goEnv[k] = strings.Split(string(out), "\n")[i]
	}
	available := map[string]error{}
	for cond, name := range fetchable {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		cmd := exec.CommandContext(ctx, goTool, "env", "GOVERSION")
		cmd.Env = append(os.Environ(), "GOTOOLCHAIN="+name)
		out, err := cmd.CombinedOutput()
		cancel()
		if err == nil && strings.TrimSpace(string(out)) != name {
			err = fmt.Errorf("GOTOOLCHAIN=%s gives %s", name, out)
		} else if err != nil {
			err = fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
		}
		available[cond] = err
		if err != nil {
			t.Logf("%s cannot be fetched (%v): the scripts that need it skip", name, err)
		}
	}
	testscript.Run(t, testscript.Params{
		Dir: dir,
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"exits":        cmdExits,
			"copy-example": cmdCopyExample,
			"replace":      cmdReplace,
		},
		Condition: func(cond string) (bool, error) {
			err, ok := available[cond]
			if !ok {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			return err == nil, nil
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("ROOT", root)
			env.Setenv("GOTOOLCHAIN", "local")
			for k, v := range goEnv {
				env.Setenv(k, v)
			}
			// A -race binary sleeps a second at exit unless told not to;
			// every worker would.
			env.Setenv("GORACE", "atexit_sleep_ms=0")
			// Built workers go to the script's own cache directory.
			env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, ".cache"))
			return nil
		},
	})
}

// cmdCopyExample is "copy-example NAME DIR": it copies
// examples/NAME into DIR, pointing its replace directive at this checkout.
func cmdCopyExample(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: copy-example NAME DIR")
	}
	src := filepath.Join(ts.Getenv("ROOT"), "examples", args[0])
	dst := ts.MkAbs(args[1])
	ts.Check(os.CopyFS(dst, os.DirFS(src)))
	gomod := filepath.Join(dst, "go.mod")
	b, err := os.ReadFile(gomod)
	ts.Check(err)
	fixed := strings.Replace(string(b), "=> ../..", "=> "+ts.Getenv("ROOT"), 1)
	if fixed == string(b) {
		ts.Fatalf("%s has no replace directive to this checkout", gomod)
	}
	ts.Check(os.WriteFile(gomod, []byte(fixed), 0o644))
}

// cmdReplace is "replace FILE OLD NEW": it replaces the one occurrence of
// OLD in FILE with NEW, the way a developer's edit would.
func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace FILE OLD NEW")
	}
	path := ts.MkAbs(args[0])
	b, err := os.ReadFile(path)
	ts.Check(err)
	if n := strings.Count(string(b), args[1]); n != 1 {
		ts.Fatalf("%s has %d occurrences of %q, want 1", args[0], n, args[1])
	}
	ts.Check(os.WriteFile(path, []byte(strings.Replace(string(b), args[1], args[2], 1)), 0o644))
}

package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestExampleSessionCache builds examples/sessioncache, a user's module
// with caches of its own and the two-line harness, and drives it as a user
// would: run with process isolation, check --update, check, go test, then
// a regression injected into its code that check and go test must catch.
func TestExampleSessionCache(t *testing.T) {
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
	out, err := exec.Command(goTool, "env", "GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GONOSUMDB", "GOFLAGS").Output()
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GONOSUMDB", "GOFLAGS"} {
		goEnv[k] = strings.Split(string(out), "\n")[i]
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/example",
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"exits":        cmdExits,
			"copy-example": cmdCopyExample,
			"replace":      cmdReplace,
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("ROOT", root)
			env.Setenv("GOTOOLCHAIN", "local")
			for k, v := range goEnv {
				env.Setenv(k, v)
			}
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

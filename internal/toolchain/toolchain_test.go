package toolchain

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestCheckName(t *testing.T) {
	for _, tc := range []struct {
		name, err string
	}{
		{"go1.26.8", ""},
		{"go1.27.3", ""},
		{"go1.27rc1", ""},
		{"go1.27", "a language version, not a release (name a release, such as go1.27.0)"},
		{"1.27.3", "not a Go toolchain (accepted: Go releases such as go1.26.8 or go1.27rc1)"},
		{"local", "not a Go toolchain"},
		{"go1.27.3+auto", "not a Go toolchain"},
		{"", "not a Go toolchain"},
	} {
		err := CheckName(tc.name)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("CheckName(%q) = %v, want %q", tc.name, err, tc.err)
		}
	}
}

func TestEscapePath(t *testing.T) {
	if got, want := escapePath("github.com/BurntSushi/toml"), filepath.FromSlash("github.com/!burnt!sushi/toml"); got != want {
		t.Errorf("escapePath = %q, want %q", got, want)
	}
}

// A test binary has no main package to build again: FindSource says so.
func TestFindSourceInTestBinary(t *testing.T) {
	opts := testOptions(t)
	_, err := FindSource(context.Background(), opts)
	if !errors.Is(err, ErrNoSource) || !strings.Contains(err.Error(), "test binary") {
		t.Errorf("FindSource in a test binary: %v", err)
	}
}

func TestModuleRoot(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/m\n\ngo 1.26\n")
	sub := filepath.Join(dir, "cmd", "x")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := moduleRoot(sub, "example.com/m"); got != dir {
		t.Errorf("moduleRoot = %q, want %q", got, dir)
	}
	if got := moduleRoot(sub, "example.com/other"); got != "" {
		t.Errorf("moduleRoot of another module = %q, want none", got)
	}
}

func testOptions(t *testing.T) Options {
	t.Helper()
	return Options{GoCommand: "go", CacheDir: filepath.Join(t.TempDir(), "workers"), Timeout: 5 * time.Minute, MaxAge: time.Hour}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tinyModule writes a module with a main package that prints its Go
// version, and returns its source.
func tinyModule(t *testing.T) Source {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/tiny\n\ngo 1.26\n")
	writeFile(t, filepath.Join(dir, "cmd", "tiny", "main.go"), "package main\n\nimport (\n\t\"fmt\"\n\t\"runtime\"\n)\n\nfunc main() { fmt.Println(runtime.Version()) }\n")
	return Source{Module: "example.com/tiny", Dir: dir, Package: "example.com/tiny/cmd/tiny"}
}

// Build builds once per toolchain and source, then finds the build in the
// cache; a change to a source file builds again. Two toolchains give two
// programs, each of its own Go version.
func TestBuildCaches(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs")
	}
	opts := testOptions(t)
	ctx := context.Background()
	src := tinyModule(t)
	names := []string{runtime.Version()}
	other := "go1.27.3"
	if tc, err := Fetch(ctx, other, opts); err != nil {
		t.Logf("%s cannot be fetched, building with the local toolchain only: %v", other, err)
	} else {
		names = append(names, tc.Name)
	}
	for _, name := range names {
		tc, err := Fetch(ctx, name, opts)
		if err != nil {
			t.Fatal(err)
		}
		first, err := Build(ctx, src, tc, opts)
		if err != nil {
			t.Fatal(err)
		}
		if first.Cached {
			t.Errorf("%s: the first build came from the cache", name)
		}
		out, err := exec.Command(first.Path).Output()
		if err != nil || strings.TrimSpace(string(out)) != name {
			t.Errorf("%s: the program says %q (%v)", name, out, err)
		}
		again, err := Build(ctx, src, tc, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !again.Cached || again.Path != first.Path {
			t.Errorf("%s: the second build was not found in the cache: %+v", name, again)
		}
	}
	writeFile(t, filepath.Join(src.Dir, "cmd", "tiny", "extra.go"), "package main\n\nvar _ = 1\n")
	tc, err := Fetch(ctx, names[0], opts)
	if err != nil {
		t.Fatal(err)
	}
	changed, err := Build(ctx, src, tc, opts)
	if err != nil {
		t.Fatal(err)
	}
	if changed.Cached {
		t.Error("a new source file did not change the cache key")
	}
	entries, _ := os.ReadDir(opts.CacheDir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".build-") {
			t.Errorf("a build directory was left behind: %s", e.Name())
		}
	}
}

// A toolchain that is not a valid name, or that cannot be had, is an
// error naming it. GOPROXY=off keeps the test off the network: a
// toolchain that is not in the module cache cannot be had then.
func TestFetchUnavailable(t *testing.T) {
	opts := testOptions(t)
	t.Setenv("GOPROXY", "off")
	for _, name := range []string{"go1.99.1", "gox"} {
		_, err := Fetch(context.Background(), name, opts)
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), name) {
			t.Errorf("Fetch(%q): %v, want ErrUnavailable naming it", name, err)
		}
	}
}

// A go install'ed program builds from its version's copy in the module
// cache, and says how to fetch it when the copy is gone; a working tree's
// is found from the directories given.
func TestFindSource(t *testing.T) {
	modcache := t.TempDir()
	cache := func() (string, error) { return modcache, nil }
	installed := &debug.BuildInfo{Path: "github.com/Some/tool/cmd/tool", Main: debug.Module{Path: "github.com/Some/tool", Version: "v1.2.3"}}
	_, err := findSource(installed, nil, cache)
	wantDir := filepath.Join(modcache, "github.com", "!some", "tool@v1.2.3")
	if !errors.Is(err, ErrNoSource) || !strings.Contains(err.Error(), "fetch it with 'go mod download github.com/Some/tool@v1.2.3' (into "+wantDir+")") {
		t.Errorf("no source in the module cache: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(wantDir, "cmd", "tool"), 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := findSource(installed, nil, cache)
	if err != nil || src.Dir != wantDir || src.Version != "v1.2.3" || src.Package != installed.Path {
		t.Errorf("in the module cache: %+v, %v", src, err)
	}

	tree := t.TempDir()
	writeFile(t, filepath.Join(tree, "go.mod"), "module example.com/h\n\ngo 1.26\n")
	writeFile(t, filepath.Join(tree, "main.go"), "package main\n\nfunc main() {}\n")
	devel := &debug.BuildInfo{Path: "example.com/h", Main: debug.Module{Path: "example.com/h", Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "-tags", Value: "extra"}}}
	src, err = findSource(devel, []string{"", filepath.Join(tree, "sub")}, cache)
	if err != nil || src.Dir != tree || src.Tags != "extra" {
		t.Errorf("in a working tree: %+v, %v", src, err)
	}
	elsewhere := t.TempDir()
	_, err = findSource(devel, []string{elsewhere}, cache)
	if !errors.Is(err, ErrNoSource) || !strings.Contains(err.Error(), "is in none of "+elsewhere+"; run the program from its module's directory") {
		t.Errorf("a working tree not at hand: %v", err)
	}
}

// Package toolchain builds the running program again with other Go
// toolchains, so that weakscope can run the same scenarios under each of
// them ("weakscope run --go go1.26.8,go1.27.3"). It finds the source of the
// program's main package, fetches each toolchain through the go command
// (GOTOOLCHAIN=goX.Y.Z), builds the main package with it and keeps the
// result in the user's cache directory, keyed by toolchain, build
// environment and the content of every file the build reads outside the
// module cache, so that a second run finds it with a cache lookup.
//
// Every go command it starts runs in a process group of its own, bounded by
// a timeout and by the caller's context: cancelling the context (Ctrl-C)
// kills the command and everything it started.
package toolchain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"go/version"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"
)

// ErrUnavailable is wrapped by the errors of [Fetch] and [Build] for a
// toolchain that cannot be had — not a valid name, refused by the module
// proxy, no network — or that cannot build the program.
var ErrUnavailable = errors.New("toolchain unavailable")

// ErrNoSource is wrapped by the error of [FindSource] when the source of
// the program's main package is not at hand.
var ErrNoSource = errors.New("source not at hand")

// Options say where and how to build. Start from [DefaultOptions].
type Options struct {
	// GoCommand is the go command to run: "go" finds it on PATH.
	GoCommand string
	// CacheDir holds the built programs, a directory each.
	CacheDir string
	// Timeout bounds each go command: a toolchain's download, a listing,
	// a build.
	Timeout time.Duration
	// MaxAge is how long a built program that no run has used is kept:
	// older ones are removed whenever a new one is built.
	MaxAge time.Duration
	// Log receives one line per build, before it starts; nil discards it.
	Log io.Writer
}

// DefaultOptions builds with the go command on PATH into
// os.UserCacheDir()/weakscope/workers, ten minutes at most per go command,
// and keeps built programs for two weeks after their last use.
func DefaultOptions() (Options, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return Options{}, fmt.Errorf("finding the user's cache directory for built workers: %w", err)
	}
	return Options{
		GoCommand: "go",
		CacheDir:  filepath.Join(dir, "weakscope", "workers"),
		Timeout:   10 * time.Minute,
		MaxAge:    14 * 24 * time.Hour,
	}, nil
}

// CheckName accepts the name of a Go release as GOTOOLCHAIN takes it, such
// as go1.27.3 or go1.27rc1; its error says what is accepted.
func CheckName(name string) error {
	switch {
	case !version.IsValid(name):
		return fmt.Errorf("%q is not a Go toolchain (accepted: Go releases such as go1.26.8 or go1.27rc1)", name)
	case version.Lang(name) == name && version.Compare(name, "go1.21") >= 0:
		return fmt.Errorf("%q is a language version, not a release (name a release, such as %s.0)", name, name)
	}
	return nil
}

// Source is the source of a program's main package, as found on disk.
type Source struct {
	// Module is the main module's path and Dir its root (the directory of
	// its go.mod).
	Module, Dir string
	// Package is the main package's import path.
	Package string
	// Version is the module's version where the source is a module cache
	// copy of a released version, "" for a working tree.
	Version string
	// Tags are the build tags the program was built with, if any.
	Tags string
}

// FindSource finds the source of the running program's main package: the
// directory of its main function's file when the binary records it (a go
// build or go run from a working tree), else the module in the working
// directory when it is the program's, else the module cache's copy of the
// program's released version (go install module@version). When none is at
// hand its error, wrapping [ErrNoSource], says how to get it.
func FindSource(ctx context.Context, opts Options) (Source, error) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Source{}, fmt.Errorf("%w: this program records no build information", ErrNoSource)
	}
	return findSource(bi, []string{mainDir(), workingDir()}, func() (string, error) { return goEnv(ctx, opts, "", "GOMODCACHE") })
}

// findSource is FindSource for the program bi describes, looking in dirs
// (and the directories above them) for its module, then in the module
// cache that modcache names.
func findSource(bi *debug.BuildInfo, dirs []string, modcache func() (string, error)) (Source, error) {
	src := Source{Module: bi.Main.Path, Package: bi.Path}
	for _, s := range bi.Settings {
		if s.Key == "-tags" {
			src.Tags = s.Value
		}
	}
	if strings.HasSuffix(bi.Path, ".test") {
		return Source{}, fmt.Errorf("%w: this program is a test binary (%s); build the program with go build and run that", ErrNoSource, bi.Path)
	}
	if bi.Main.Path == "" || bi.Path == "command-line-arguments" {
		return Source{}, fmt.Errorf("%w: this program was built from files, not from a module's package; build it with go build in its module", ErrNoSource)
	}
	rel, ok := strings.CutPrefix(bi.Path, bi.Main.Path)
	if !ok || rel != "" && rel[0] != '/' {
		return Source{}, fmt.Errorf("%w: the main package %s is not in the main module %s", ErrNoSource, bi.Path, bi.Main.Path)
	}
	var tried []string
	for _, dir := range dirs {
		if dir == "" {
			continue
		}
		if root := moduleRoot(dir, bi.Main.Path); root != "" && isDir(filepath.Join(root, filepath.FromSlash(rel))) {
			src.Dir = root
			return src, nil
		}
		tried = append(tried, dir)
	}
	v := bi.Main.Version
	if v != "" && v != "(devel)" && !strings.Contains(v, "+dirty") {
		cache, err := modcache()
		if err != nil {
			return Source{}, err
		}
		dir := filepath.Join(cache, escapePath(bi.Main.Path)+"@"+v)
		if isDir(filepath.Join(dir, filepath.FromSlash(rel))) {
			src.Dir, src.Version = dir, v
			return src, nil
		}
		return Source{}, fmt.Errorf("%w: this program is %s@%s, installed with go install, and its source is no longer in the module cache; fetch it with 'go mod download %s@%s' (into %s), or run weakscope from a checkout",
			ErrNoSource, bi.Main.Path, v, bi.Main.Path, v, dir)
	}
	return Source{}, fmt.Errorf("%w: the source of %s (module %s) is in none of %s; run the program from its module's directory, or build it there with go build",
		ErrNoSource, bi.Path, bi.Main.Path, strings.Join(tried, ", "))
}

// mainDir is the directory of the file of the main function that this
// goroutine's stack started from, when the binary records it as a path
// that exists.
func mainDir() string {
	pcs := make([]uintptr, 512)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(0, pcs)])
	for {
		f, more := frames.Next()
		if f.Function == "main.main" && filepath.IsAbs(f.File) && isDir(filepath.Dir(f.File)) {
			return filepath.Dir(f.File)
		}
		if !more {
			return ""
		}
	}
}

func workingDir() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	return dir
}

// moduleRoot is the directory at or above dir whose go.mod declares the
// module path, or "".
func moduleRoot(dir, path string) string {
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil {
			if modulePath(b) == path {
				return dir
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// modulePath is the path in a go.mod's module line.
func modulePath(gomod []byte) string {
	for _, line := range strings.Split(string(gomod), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// escapePath escapes a module path as the module cache spells it: an
// upper-case letter becomes "!" and the lower-case letter.
func escapePath(path string) string {
	var b strings.Builder
	for _, r := range path {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return filepath.FromSlash(b.String())
}

// buildEnv are the go environment settings that change what a build
// produces, beside the toolchain and the source.
var buildEnv = []string{"GOOS", "GOARCH", "GOFLAGS", "CGO_ENABLED", "GOEXPERIMENT", "GOAMD64", "GOARM", "GOARM64", "GO386", "GORISCV64", "GOPPC64", "CC", "CGO_CFLAGS", "CGO_LDFLAGS"}

// Toolchain is a fetched toolchain: its name and its go environment.
type Toolchain struct {
	Name string
	// Env holds its go env values of buildEnv.
	Env map[string]string
}

// Fetch makes sure the toolchain can be had — downloading it through the
// go command if it is not in the module cache — and returns it. A
// toolchain that cannot be had is an error wrapping [ErrUnavailable] that
// names it and says why, in the go command's words.
func Fetch(ctx context.Context, name string, opts Options) (Toolchain, error) {
	if err := CheckName(name); err != nil {
		return Toolchain{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	out, err := run(ctx, opts, "", name, "env", append([]string{"-json", "GOVERSION"}, buildEnv...)...)
	if err != nil {
		if ctx.Err() != nil {
			return Toolchain{}, ctx.Err()
		}
		return Toolchain{}, fmt.Errorf("%w: %s cannot be had: %v", ErrUnavailable, name, err)
	}
	var env map[string]string
	if err := json.Unmarshal(out, &env); err != nil {
		return Toolchain{}, fmt.Errorf("%w: %s: go env printed no JSON: %v", ErrUnavailable, name, err)
	}
	if got := env["GOVERSION"]; goRelease(got) != name {
		return Toolchain{}, fmt.Errorf("%w: GOTOOLCHAIN=%s gives %s (is GOTOOLCHAIN pinned in a go.work or go.env?)", ErrUnavailable, name, got)
	}
	delete(env, "GOVERSION")
	return Toolchain{Name: name, Env: env}, nil
}

// goRelease is a Go version without the experiments a build may append
// ("go1.27.3 X:nodwarf5").
func goRelease(v string) string {
	release, _, _ := strings.Cut(strings.TrimSpace(v), " ")
	return release
}

// Worker is the program built with one toolchain.
type Worker struct {
	Toolchain string
	// Path is the executable.
	Path string
	// Cached is true when it was built by an earlier run.
	Cached bool
	// Lookup is how long finding out took (listing the sources and
	// hashing them); Build how long building took, 0 when cached.
	Lookup, Build time.Duration
}

// Build returns the program of src built with toolchain tc, from the cache
// when a build of the same toolchain, build environment and file contents
// is there, else building it (GOTOOLCHAIN=tc go build) and caching it. A
// build that fails is an error wrapping [ErrUnavailable] with the go
// command's message.
func Build(ctx context.Context, src Source, tc Toolchain, opts Options) (Worker, error) {
	w := Worker{Toolchain: tc.Name}
	start := time.Now()
	key, err := sourceKey(ctx, src, tc, opts)
	if err != nil {
		return w, err
	}
	name := filepath.Base(src.Package)
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	entry := filepath.Join(opts.CacheDir, tc.Name+"-"+key[:24])
	w.Path = filepath.Join(entry, name)
	w.Lookup = time.Since(start)
	if fi, err := os.Stat(w.Path); err == nil && fi.Mode().IsRegular() {
		now := time.Now()
		_ = os.Chtimes(entry, now, now) // last used, for pruning
		w.Cached = true
		return w, nil
	}

	if opts.Log != nil {
		fmt.Fprintf(opts.Log, "weakscope: building %s with %s (cached for the next run)\n", src.Package, tc.Name)
	}
	start = time.Now()
	if err := os.MkdirAll(opts.CacheDir, 0o755); err != nil {
		return w, fmt.Errorf("the cache of built workers: %w", err)
	}
	tmp, err := os.MkdirTemp(opts.CacheDir, ".build-*")
	if err != nil {
		return w, fmt.Errorf("the cache of built workers: %w", err)
	}
	defer os.RemoveAll(tmp)
	args := []string{"-o", filepath.Join(tmp, name)}
	if src.Tags != "" {
		args = append(args, "-tags", src.Tags)
	}
	if _, err := run(ctx, opts, src.Dir, tc.Name, "build", append(args, src.Package)...); err != nil {
		if ctx.Err() != nil {
			return w, ctx.Err()
		}
		return w, fmt.Errorf("%w: building %s with %s: %v", ErrUnavailable, src.Package, tc.Name, err)
	}
	bi, err := buildinfo.ReadFile(filepath.Join(tmp, name))
	if err != nil {
		return w, fmt.Errorf("reading what %s built: %w", tc.Name, err)
	}
	if goRelease(bi.GoVersion) != tc.Name {
		return w, fmt.Errorf("%w: GOTOOLCHAIN=%s built the program with %s", ErrUnavailable, tc.Name, bi.GoVersion)
	}
	if err := os.Rename(tmp, entry); err != nil {
		// Another run built the same entry meanwhile: use that one.
		if _, statErr := os.Stat(w.Path); statErr != nil {
			return w, fmt.Errorf("the cache of built workers: %w", err)
		}
	}
	w.Build = time.Since(start)
	prune(opts, entry)
	return w, nil
}

// prune removes the cache entries, other than keep, that no run has used
// for opts.MaxAge, and build directories as old that a killed run left.
func prune(opts Options, keep string) {
	entries, err := os.ReadDir(opts.CacheDir)
	if err != nil || opts.MaxAge <= 0 {
		return
	}
	for _, e := range entries {
		path := filepath.Join(opts.CacheDir, e.Name())
		if fi, err := e.Info(); err == nil && e.IsDir() && path != keep && time.Since(fi.ModTime()) > opts.MaxAge {
			os.RemoveAll(path)
		}
	}
}

// listedPackage is what sourceKey needs of "go list -json".
type listedPackage struct {
	ImportPath string
	Dir        string
	Standard   bool
	Module     *listedModule
	// The files a build reads, relative to Dir.
	GoFiles, CgoFiles, CFiles, CXXFiles, MFiles, HFiles, FFiles, SFiles, SwigFiles, SwigCXXFiles, SysoFiles, EmbedFiles []string
}

type listedModule struct {
	Path, Version, GoMod string
	Replace              *listedModule
}

// sourceKey hashes what a build of src with tc depends on: the toolchain,
// its build environment, the tags, and for every package the build reads,
// its module's version when it comes from the module cache (which never
// changes a version's files), else the content of each of its files and of
// its module's go.mod.
func sourceKey(ctx context.Context, src Source, tc Toolchain, opts Options) (string, error) {
	args := []string{"-deps", "-json=ImportPath,Dir,Standard,Module,GoFiles,CgoFiles,CFiles,CXXFiles,MFiles,HFiles,FFiles,SFiles,SwigFiles,SwigCXXFiles,SysoFiles,EmbedFiles"}
	if src.Tags != "" {
		args = append(args, "-tags", src.Tags)
	}
	out, err := run(ctx, opts, src.Dir, tc.Name, "list", append(args, src.Package)...)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("%w: listing the packages of %s with %s: %v", ErrUnavailable, src.Package, tc.Name, err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "weakscope worker 1\x00%s\x00%s\x00%s\x00", tc.Name, src.Package, src.Tags)
	for _, k := range buildEnv {
		fmt.Fprintf(h, "%s=%s\x00", k, tc.Env[k])
	}
	gomods := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return "", fmt.Errorf("reading go list's output: %w", err)
		}
		if p.Standard {
			continue // the toolchain's own, named by it
		}
		fmt.Fprintf(h, "package %s\x00", p.ImportPath)
		if m := p.Module; m != nil && immutable(m) {
			fmt.Fprintf(h, "module %s@%s", m.Path, m.Version)
			if m.Replace != nil {
				fmt.Fprintf(h, " => %s@%s", m.Replace.Path, m.Replace.Version)
			}
			h.Write([]byte{0})
			continue
		}
		if m := p.Module; m != nil && m.GoMod != "" && !gomods[m.GoMod] {
			gomods[m.GoMod] = true
			if err := hashFile(h, m.GoMod); err != nil {
				return "", err
			}
		}
		files := slices.Concat(p.GoFiles, p.CgoFiles, p.CFiles, p.CXXFiles, p.MFiles, p.HFiles, p.FFiles, p.SFiles, p.SwigFiles, p.SwigCXXFiles, p.SysoFiles, p.EmbedFiles)
		slices.Sort(files)
		for _, f := range files {
			if err := hashFile(h, filepath.Join(p.Dir, f)); err != nil {
				return "", err
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// immutable reports whether a module's files come from the module cache,
// where a version's files never change: a required version, or one
// replaced by another version rather than by a directory.
func immutable(m *listedModule) bool {
	if m.Replace != nil {
		return m.Replace.Version != ""
	}
	return m.Version != ""
}

func hashFile(h io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(h, "file %s\x00", filepath.ToSlash(path))
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	_, err = h.Write([]byte{0})
	return err
}

// goEnv is one value of "go env" with the default toolchain.
func goEnv(ctx context.Context, opts Options, dir, key string) (string, error) {
	out, err := run(ctx, opts, dir, "", "env", key)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// run runs the go command with the toolchain (none: the environment's
// choice) in dir, and returns its standard output. Its error carries the
// last lines the command printed on standard error.
func run(ctx context.Context, opts Options, dir, toolchain, verb string, args ...string) ([]byte, error) {
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, opts.GoCommand, append([]string{verb}, args...)...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	if toolchain != "" {
		// Exactly this toolchain: without "+auto", a go.mod or go.work
		// cannot switch it to another.
		cmd.Env = append(cmd.Env, "GOTOOLCHAIN="+toolchain)
	}
	killGroup(cmd)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, fmt.Errorf("go %s did not finish within %v", verb, opts.Timeout)
	}
	if msg := lastLines(stderr.String(), 3); msg != "" {
		return nil, errors.New(msg)
	}
	return nil, fmt.Errorf("go %s: %w", verb, err)
}

// lastLines joins the last n non-empty lines of s with "; ", leaving out
// the go command's progress ("go: downloading ...").
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "go: downloading ") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines[max(len(lines)-n, 0):], "; ")
}

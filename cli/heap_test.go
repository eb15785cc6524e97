package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// dumperDump builds inspect's test program of a known heap, runs it and
// returns its dump and executable.
func dumperDump(t *testing.T) (dump, exe string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the program with")
	}
	dir := t.TempDir()
	exe = filepath.Join(dir, "dumper")
	if out, err := exec.Command(goTool, "build", "-o", exe, "../inspect/testdata/dumper").CombinedOutput(); err != nil {
		t.Fatalf("building dumper: %v\n%s", err, out)
	}
	dump = filepath.Join(dir, "heap.dump")
	if out, err := exec.Command(exe, dump).CombinedOutput(); err != nil {
		t.Fatalf("dumper: %v\n%s", err, out)
	}
	return dump, exe
}

func TestHeapCommand(t *testing.T) {
	dump, exe := dumperDump(t)
	run := func(args ...string) (string, string, int) {
		var stdout, stderr bytes.Buffer
		code := Run(append([]string{"heap"}, args...), &stdout, &stderr)
		return stdout.String(), stderr.String(), code
	}

	out, errOut, code := run(dump, "--exe", exe, "--type", "main.session", "--top", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"heap dump of a go1.", "Top 3 dominators", "#1: global main.sessions", "Paths to type main.session (3):", "retains 1.1 KiB: global main.sessions", "│ main.session "} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}

	out, errOut, code = run(dump, "--exe", exe, "--format", "json", "--addr", "0x1")
	if code != 0 {
		t.Fatalf("json: exit %d: %s", code, errOut)
	}
	var doc struct {
		Schema     string `json:"schema"`
		Objects    int    `json:"objects"`
		Dominators []struct {
			Root     string `json:"root"`
			Retained uint64 `json:"retained"`
		} `json:"dominators"`
		Paths []struct {
			Query string `json:"query"`
		} `json:"paths"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json does not parse: %v\n%s", err, out)
	}
	if doc.Schema != "weakscope/heap/v1" || doc.Objects == 0 || len(doc.Dominators) == 0 || doc.Dominators[0].Root != "main.sessions" || doc.Dominators[0].Retained < 1000*1024 {
		t.Errorf("json document: %+v", doc)
	}
	if len(doc.Paths) != 1 || doc.Paths[0].Query != "address 0x1" {
		t.Errorf("json paths: %+v", doc.Paths)
	}

	prof := filepath.Join(t.TempDir(), "retained.pb.gz")
	if _, errOut, code = run(dump, "--exe", exe, "--format", "pprof", "--out", prof); code != 0 {
		t.Fatalf("pprof: exit %d: %s", code, errOut)
	}
	p := readProfile(t, prof)
	var sessions int64
	for _, s := range p.Sample {
		root := s.Location[len(s.Location)-1].Line[0].Function.Name
		if root == "global main.sessions" {
			sessions += s.Value[0]
		}
	}
	if sessions < 1000*1024 {
		t.Errorf("the profile holds %d bytes under global main.sessions, want the sessions' megabyte", sessions)
	}

	// Bad input: exit 2, one line naming the file or flag.
	notDump := filepath.Join(t.TempDir(), "not.dump")
	os.WriteFile(notDump, []byte("hello"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{notDump}, "not a heap dump that can be read"},
		{[]string{"no/such/file"}, "no/such/file: no such file"},
		{[]string{dump, "--format", "xml"}, "--format: unknown format"},
		{[]string{dump, "--addr", "zz"}, "--addr: \"zz\" is not an address"},
		{[]string{dump, "--exe", "no/such/exe"}, "--exe: no/such/exe is not an executable file"},
		{[]string{dump, "--exe", notDump}, "is not an ELF executable"},
		{[]string{dump, "--top", "0"}, "--top: want a whole number"},
	} {
		_, errOut, code := run(tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q, want exit 2 with %q", tc.args, code, errOut, tc.want)
		}
	}
}

// Two dumps' profiles compare with pprof's -diff_base: what grew between
// them shows under its root.
func TestHeapProfilesDiff(t *testing.T) {
	dump, exe := dumperDump(t)
	bigger := filepath.Join(t.TempDir(), "bigger.dump")
	if out, err := exec.Command(exe, bigger, "5000").CombinedOutput(); err != nil {
		t.Fatalf("dumper: %v\n%s", err, out)
	}
	profiles := make([]*profile.Profile, 2)
	for i, d := range []string{dump, bigger} {
		out := filepath.Join(t.TempDir(), "p.pb.gz")
		var stdout, stderr bytes.Buffer
		if code := Run([]string{"heap", d, "--exe", exe, "--format", "pprof", "--out", out}, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		profiles[i] = readProfile(t, out)
	}
	// What -diff_base does: the base negated, merged with the new one.
	profiles[0].Scale(-1)
	diff, err := profile.Merge(profiles)
	if err != nil {
		t.Fatalf("the two profiles do not merge: %v", err)
	}
	grown := map[string]int64{}
	for _, s := range diff.Sample {
		grown[s.Location[len(s.Location)-1].Line[0].Function.Name] += s.Value[0]
	}
	// The 5000 objects of the forest, 24 and 32 bytes each.
	if g := grown["global main.forest"]; g < 5000*24 {
		t.Errorf("the forest grew by %d bytes in the difference, want its 5000 objects; roots: %v", g, grown)
	}
	if g := grown["global main.sessions"]; g < -4096 || g > 4096 {
		t.Errorf("the sessions, the same in both dumps, differ by %d bytes", g)
	}
}

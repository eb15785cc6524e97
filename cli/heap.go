package cli

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/inspect/heapdump"
	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/report/render"
)

// heapFlags are the flags of "weakscope heap" as typed.
type heapFlags struct {
	exe, format, out string
	types, addrs     []string
	top, classes     string
	depth            string
}

// heapOptions is a validated heap analysis.
type heapOptions struct {
	dump, exe, format, out string
	types                  []string
	addrs                  []uint64
	top, classes, depth    int
}

func newHeapCmd(stdout io.Writer) *cobra.Command {
	f := heapFlags{}
	cmd := &cobra.Command{
		Use:   "heap DUMP",
		Short: "Analyse a heap dump of any Go program: what it holds, what retains the most, and why",
		Long: `Analyse a heap dump that a Go program wrote with runtime/debug.WriteHeapDump
(or that inspect.HeapDumpHandler served): live objects and bytes by type
where the dump or the executable names it, by allocation size otherwise;
the retained size of every object, from the dominator tree; the objects
that retain the most, with the shortest path from a root to each; and, with
--type or --addr, the paths to those objects.

--exe names globals and functions from the program's symbol table (a
"go build" binary keeps one). --format json writes the analysis as a
document (schema weakscope/heap/v1); --format pprof a profile of retained
memory along root → dominator chains, for "go tool pprof -http" (a flame
graph) and -diff_base between two dumps.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("heap takes one heap dump file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := f.validate(args[0], stdout)
			if err != nil {
				return err
			}
			return runHeap(cmd.Context(), stdout, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.exe, "exe", "", "the executable that wrote the dump, to name globals and functions")
	fl.StringArrayVar(&f.types, "type", nil, "also show paths to objects of this type or size class, e.g. main.session or \"object (48 B)\" (repeatable)")
	fl.StringArrayVar(&f.addrs, "addr", nil, "also show the path to the object at this address, e.g. 0xc000123000 (repeatable)")
	fl.StringVar(&f.top, "top", "10", "how many dominators to list")
	fl.StringVar(&f.classes, "classes", "20", "how many types or sizes to list in the table")
	fl.StringVar(&f.depth, "depth", "32", "longest dominator chain in the pprof profile")
	fl.StringVar(&f.format, "format", "table", "output: table, json or pprof")
	fl.StringVar(&f.out, "out", "", "write the output to this file (atomically) instead of stdout")
	completeFlags(cmd, map[string][]string{"format": {"table", "json", "pprof"}})
	return cmd
}

func (f heapFlags) validate(dump string, stdout io.Writer) (heapOptions, error) {
	opts := heapOptions{dump: dump, exe: f.exe, format: f.format, out: f.out, types: f.types}
	var err error
	if opts.top, err = parseCount("--top", f.top, 10000); err != nil {
		return opts, err
	}
	if opts.classes, err = parseCount("--classes", f.classes, 100000); err != nil {
		return opts, err
	}
	if opts.depth, err = parseCount("--depth", f.depth, 1000); err != nil {
		return opts, err
	}
	switch f.format {
	case "table", "json", "pprof":
	default:
		return opts, usagef("--format: unknown format %q (accepted: table, json, pprof)", f.format)
	}
	for _, a := range f.addrs {
		n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(a), "0x"), 16, 64)
		if err != nil {
			return opts, usagef("--addr: %q is not an address (want hexadecimal, e.g. 0xc000123000)", a)
		}
		opts.addrs = append(opts.addrs, n)
	}
	if f.exe != "" {
		if fi, err := os.Stat(f.exe); err != nil || !fi.Mode().IsRegular() {
			return opts, usagef("--exe: %s is not an executable file", f.exe)
		}
		// Only an ELF executable can name what a dump holds.
		ef, err := elf.Open(f.exe)
		if err != nil {
			return opts, usagef("--exe: %s is not an ELF executable (the Linux build of the program that wrote the dump)", f.exe)
		}
		ef.Close()
	}
	if f.out != "" {
		if err := checkParentDir("--out", f.out); err != nil {
			return opts, err
		}
	} else if f.format == "pprof" && isTerminal(stdout) {
		return opts, usagef("--format pprof writes a binary profile: give --out FILE, or redirect stdout")
	}
	return opts, nil
}

func runHeap(ctx context.Context, stdout io.Writer, opts heapOptions) error {
	d, err := readDump(opts.dump)
	if err != nil {
		return err
	}
	var aopts []inspect.AnalyzeOption
	aopts = append(aopts, inspect.WithTop(opts.top))
	if opts.exe != "" {
		aopts = append(aopts, inspect.WithExecutable(opts.exe))
	}
	a, err := inspect.AnalyzeHeap(ctx, d, aopts...)
	if err != nil {
		return &usageError{err}
	}
	var asked []render.HeapPaths
	for _, t := range opts.types {
		q := render.HeapPaths{Query: "type " + t}
		for _, addr := range a.Find(t, opts.top) {
			q.Paths = append(q.Paths, a.Path(addr))
			q.Retained = append(q.Retained, a.Retained(addr))
		}
		asked = append(asked, q)
	}
	for _, addr := range opts.addrs {
		p := a.Path(addr)
		q := render.HeapPaths{Query: fmt.Sprintf("address %#x", addr), Paths: []inspect.RetentionPath{p}, Retained: []uint64{a.Retained(addr)}}
		asked = append(asked, q)
	}
	var b bytes.Buffer
	w := io.Writer(&b)
	if opts.out == "" {
		w = stdout
	}
	switch opts.format {
	case "json":
		err = render.WriteHeapJSON(w, a, asked)
	case "pprof":
		err = render.WriteHeapProfile(w, a, opts.depth)
	default:
		err = render.WriteHeapTable(w, a, opts.classes, asked)
	}
	if err != nil || opts.out == "" {
		return err
	}
	return report.WriteFileAtomic(opts.out, b.Bytes())
}

// readDump reads a heap dump; what cannot be read is a usage error naming
// the file. A pipe that delivers nothing within pipeTimeout is refused.
func readDump(name string) (*heapdump.Dump, error) {
	f, err := openWithin(name, pipeTimeout)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, usagef("%s: no such file", name)
	}
	if err != nil {
		return nil, usagef("%v", err)
	}
	defer f.Close()
	d, err := heapdump.Read(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, usagef("%s: not a heap dump that can be read: %v", name, err)
	}
	return d, nil
}

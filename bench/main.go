// Command bench measures weakscope's containers (package scenario/cache)
// against the physical limits of what they do and against public peers, in
// one process, in interleaved rounds: each round measures every holder at
// every size once, so that the load of a shared machine falls on all of
// them alike.
//
// The limits: a bare allocation, the allocation plus weak.Make, plus
// runtime.AddCleanup (what a weak Put cannot avoid), a plain map under a
// mutex (what a lookup cannot beat), and the simplest hand-rolled weak map
// (map[int]weak.Pointer[T] with one AddCleanup per entry). The peers:
// sync.Map, hashicorp/golang-lru/v2 and maypok86/otter/v2.
//
// It prints every measurement in Go's benchmark format on stdout (feed it
// to benchstat with -col /holder) and, at the end, a Markdown table of each
// holder's median against the median of its limit, with the target the
// project set for that ratio.
//
//	go run . -rounds 10 -sizes 10000 > bench-10k.txt
//	go run . -rounds 4 -sizes 1000000 -ratios ratios-1m.md > bench-1m.txt
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"
)

// options are the command's settings.
type options struct {
	rounds    int
	sizes     []int
	benchtime string
	filter    *regexp.Regexp
	ratios    string
}

func main() {
	testing.Init()
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rounds := fs.Int("rounds", 5, "interleaved rounds: every holder at every size once per round")
	sizes := fs.String("sizes", "10000,1000000", "entries per holder, comma-separated")
	benchtime := fs.String("benchtime", "200ms", "each timed measurement's length, as go test's -benchtime takes it (200ms, 1x)")
	filter := fs.String("run", "", "only the measurements whose name matches this regular expression")
	ratios := fs.String("ratios", "", "write the ratio table to this file (default: stderr)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (narrow it with -run)")
	from := fs.String("from", "", "measure nothing: make the ratio table from these earlier outputs, comma-separated")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := options{rounds: *rounds, benchtime: *benchtime, ratios: *ratios}
	for f := range strings.SplitSeq(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("-sizes: %q is not a positive number", f)
		}
		opts.sizes = append(opts.sizes, n)
	}
	var err error
	if opts.filter, err = regexp.Compile(*filter); err != nil {
		return fmt.Errorf("-run: %v", err)
	}
	if opts.rounds < 1 {
		return fmt.Errorf("-rounds: want at least 1")
	}
	if *from != "" {
		rec := newRecorder(stdout, opts.filter)
		if err := rec.readResults(strings.Split(*from, ",")); err != nil {
			return err
		}
		return writeRatiosTo(rec, opts.ratios, stderr)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	return measureAll(opts, stdout, stderr)
}

func measureAll(opts options, stdout, stderr io.Writer) error {
	if err := flag.Set("test.benchtime", opts.benchtime); err != nil {
		return fmt.Errorf("-benchtime: %v", err)
	}
	rec := newRecorder(stdout, opts.filter)
	fmt.Fprintf(stdout, "goos: %s\ngoarch: %s\npkg: github.com/weakscope/weakscope/bench\n", goos(), goarch())
	for round := range opts.rounds {
		rec.round = round
		start := time.Now()
		for _, n := range opts.sizes {
			rec.size = n
			measureAlloc(rec, n)
			for _, c := range mapCases() {
				measureMap(rec, c, n)
				settle()
			}
			for _, c := range setCases() {
				measureSet(rec, c, n)
				settle()
			}
		}
		fmt.Fprintf(stderr, "round %d of %d: %.1fs\n", round+1, opts.rounds, time.Since(start).Seconds())
	}
	return writeRatiosTo(rec, opts.ratios, stderr)
}

// writeRatiosTo writes rec's ratio table to the file path, or to stderr
// when path is empty.
func writeRatiosTo(rec *recorder, path string, stderr io.Writer) error {
	if path == "" {
		rec.writeRatios(stderr)
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	rec.writeRatios(f)
	return f.Close()
}

func goos() string   { return runtime.GOOS }
func goarch() string { return runtime.GOARCH }

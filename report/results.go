// Package report holds weakscope's result model: one versioned document
// per run, written as results.json, and the comparison of a run with a
// baseline that "weakscope check" and scenariotest judge by. It uses the
// standard library only, so that the scenario framework, which fills it in,
// stays light to import; the tables, files, charts and profiles that show a
// run are in package [github.com/weakscope/weakscope/report/render]. It never
// runs a scenario, so a saved run can be read and judged again without
// running anything.
package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/weakscope/weakscope/inspect"
)

// Schema identifies version 1 of the results document: one run in one
// environment, its variants told apart by name and GOGC/GOMEMLIMIT
// setting. weakscope writes it for every document that fits it, so that
// every weakscope reads what a run writes.
const Schema = "weakscope/results/v1"

// SchemaV2 identifies version 2: version 1 plus a variant's toolchain and
// machine ([Setting.Go], [Setting.Machine]) and a merged document's
// [Results.Sources] and [Results.Notes]. weakscope writes it only for a
// document that uses them (a run with --go, a merge of several runs): a
// reader of version 1 would take two toolchains' results for the same
// variant for one, and judge by whichever came last. Version 1 documents
// are version 2 documents that use none of it. Readers reject any schema
// other than these two.
const SchemaV2 = "weakscope/results/v2"

// Names of the metrics every variant reports. Scenario-specific metrics use
// names of their own in the same map.
const (
	// RetainedBytes is heap live bytes after the final settle minus those at
	// the baseline: what the variant still holds.
	RetainedBytes = "retained_bytes"
	// RetainedObjects is the same difference in live heap objects.
	RetainedObjects = "retained_objects"
	// Entries is the holder's length after the final settle.
	Entries = "entries"
	// CyclesToRelease is the number of GC cycles after the release until
	// the holder reached its final length (0 when it never changed).
	CyclesToRelease = "cycles_to_release"
	// CleanupsRun counts the cleanups and finalizers that ran during the
	// variant, weakscope's own sampler excluded.
	CleanupsRun = "cleanups_run"
	// PeakHeapBytes is the largest heap (live and not yet swept objects)
	// seen in any reading during the variant.
	PeakHeapBytes = "peak_heap_bytes"
	// WallNS is the time the variant's own work took (populate and
	// release), in nanoseconds, without weakscope's forced GC cycles.
	WallNS = "wall_ns"
	// CPUNS is the CPU time the process used during the same work, on all
	// threads (the GC's workers included). Where the platform cannot say,
	// it is absent. Unlike wall time it does not grow while the machine is
	// busy with other processes, so check judges it instead of WallNS.
	CPUNS = "cpu_ns"
)

// Results is one run of weakscope: the environment it ran in and a result
// per scenario.
type Results struct {
	// Schema is the version of the document as read ([Schema] or
	// [SchemaV2]); [Results.Encode] writes the oldest version that holds
	// what the document records, whatever it says.
	Schema      string    `json:"schema"`
	ToolVersion string    `json:"tool_version"`
	Started     time.Time `json:"started"`
	// Env is the environment of the process that ran the scenarios. In a
	// document merged from several, it holds the values all of them
	// share and leaves the others empty; each one's own is in Sources.
	Env       Env              `json:"env"`
	Scenarios []ScenarioResult `json:"scenarios"`
	// Sources are the documents a merged document was made from, in the
	// order given; empty for a run.
	Sources []Source `json:"sources,omitempty"`
	// Notes say what a reader must know about the document as a whole,
	// such as a scenario that some of the merged documents lack or ran at
	// other parameters.
	Notes []string `json:"notes,omitempty"`
}

// Source is one of the documents a merged document was made from.
type Source struct {
	// File is the path the document was read from, as given.
	File string `json:"file"`
	// Machine and Go are the labels the merge gave this document's
	// variants in their [Setting], where the merged documents differ in
	// them; empty where they do not (or, for Go, where the document's
	// variants named their toolchains themselves).
	Machine string `json:"machine,omitempty"`
	Go      string `json:"go,omitempty"`
	// ToolVersion, Started and Env are the document's own.
	ToolVersion string    `json:"tool_version"`
	Started     time.Time `json:"started"`
	Env         Env       `json:"env"`
}

// Env describes the process the results were measured in.
type Env struct {
	GoVersion  string `json:"go_version"`
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	NumCPU     int    `json:"num_cpu"`
	// GOGC and GOMEMLIMIT are the environment's values ("" when unset);
	// a sweep's per-variant values are in each [VariantResult.Setting].
	GOGC       string `json:"gogc"`
	GOMEMLIMIT string `json:"gomemlimit"`
}

// Params are a scenario's parameters as run.
type Params struct {
	// Objects is how many objects the scenario allocates.
	Objects int `json:"objects"`
	// Size is each object's size in bytes.
	Size int `json:"size"`
	// Keep is the fraction of objects the callers keep after the release.
	Keep float64 `json:"keep"`
	// Extra holds scenario-specific parameters, such as a cache capacity.
	Extra map[string]float64 `json:"extra,omitempty"`
}

// Equal reports whether p and q are the same parameters, extras included.
func (p Params) Equal(q Params) bool {
	return p.Objects == q.Objects && p.Size == q.Size && p.Keep == q.Keep && maps.Equal(p.Extra, q.Extra)
}

// String shows the parameters the way the flags take them, such as
// "objects=1000 size=64 B keep=0.5 capacity=100".
func (p Params) String() string {
	parts := []string{fmt.Sprintf("objects=%d", p.Objects), "size=" + FormatBytes(float64(p.Size))}
	if p.Keep > 0 {
		parts = append(parts, fmt.Sprintf("keep=%g", p.Keep))
	}
	for _, k := range slices.Sorted(maps.Keys(p.Extra)) {
		parts = append(parts, fmt.Sprintf("%s=%g", k, p.Extra[k]))
	}
	return strings.Join(parts, " ")
}

// ExtraOr returns the scenario-specific parameter name, or def when it is
// not set.
func (p Params) ExtraOr(name string, def float64) float64 {
	if v, ok := p.Extra[name]; ok {
		return v
	}
	return def
}

// ScenarioResult is one scenario's measured variants and its expectations.
type ScenarioResult struct {
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	Explanation  string          `json:"explanation,omitempty"`
	Params       Params          `json:"params"`
	Expectations []Expectation   `json:"expectations"`
	Variants     []VariantResult `json:"variants"`
}

// Expectation is a check over a scenario's measured variants.
type Expectation struct {
	// Text states the expectation in words.
	Text string `json:"text"`
	// Setting names the runtime setting it was evaluated under, when the
	// run swept settings.
	Setting string `json:"setting,omitempty"`
	Pass    bool   `json:"pass"`
	// Detail gives the numbers that decided it.
	Detail string `json:"detail"`
}

// Line is the expectation as every text view prints it:
// "PASS scenario [setting]: text (detail)", or FAIL.
func (e Expectation) Line(scenario string) string {
	verdict := "PASS"
	if !e.Pass {
		verdict = "FAIL"
	}
	return fmt.Sprintf("%s %s%s: %s (%s)", verdict, scenario, bracket(e.Setting), e.Text, e.Detail)
}

// Setting is the configuration a variant ran under: the runtime's GOGC and
// GOMEMLIMIT, the toolchain that built it, and, in a merged document, the
// machine that measured it. Empty fields mean the environment's default.
type Setting struct {
	GOGC       string `json:"gogc,omitempty"`
	GOMEMLIMIT string `json:"gomemlimit,omitempty"`
	// Go is the Go toolchain the variant's worker was built with, such as
	// "go1.27.3" (weakscope run --go), or, in a merged document, the Go
	// version of the run it came from; empty for the running program's
	// own, which [Env.GoVersion] names.
	Go string `json:"go,omitempty"`
	// Machine names the machine that measured the variant in a document
	// merged from several machines' runs: its GOOS/GOARCH, or the name of
	// its results file where that does not tell the runs apart. Empty in
	// a run.
	Machine string `json:"machine,omitempty"`
}

// String names the setting for tables, machine and toolchain first, e.g.
// "go1.27.3 gogc=50 gomemlimit=64MiB", or "default".
func (s Setting) String() string {
	var parts []string
	for _, p := range [][2]string{{"", s.Machine}, {"", s.Go}, {"gogc=", s.GOGC}, {"gomemlimit=", s.GOMEMLIMIT}} {
		if p[1] != "" {
			parts = append(parts, p[0]+p[1])
		}
	}
	if len(parts) == 0 {
		return "default"
	}
	return strings.Join(parts, " ")
}

// Runtime is the setting's runtime part, GOGC and GOMEMLIMIT, without the
// toolchain and the machine.
func (s Setting) Runtime() Setting {
	return Setting{GOGC: s.GOGC, GOMEMLIMIT: s.GOMEMLIMIT}
}

// Environment is the setting's environment part, the machine and the
// toolchain, without GOGC and GOMEMLIMIT.
func (s Setting) Environment() Setting {
	return Setting{Go: s.Go, Machine: s.Machine}
}

// Tag is " [<setting>]" to append to a name, or "" for the default setting.
func (s Setting) Tag() string {
	if s == (Setting{}) {
		return ""
	}
	return bracket(s.String())
}

// bracket is " [s]", or "" when s is empty.
func bracket(s string) string {
	if s == "" {
		return ""
	}
	return " [" + s + "]"
}

// VariantResult is one variant of a scenario under one setting.
type VariantResult struct {
	Variant string `json:"variant"`
	// Holder names the type that holds the objects, e.g. "cache.WeakValues".
	Holder  string  `json:"holder"`
	Setting Setting `json:"setting"`
	// Runs is how many times the variant ran; Metrics holds the median of
	// each metric, Min and Max its range (only when Runs > 1).
	Runs    int                `json:"runs"`
	Metrics map[string]float64 `json:"metrics"`
	Min     map[string]float64 `json:"min,omitempty"`
	Max     map[string]float64 `json:"max,omitempty"`
	// Samples holds every run's value of each metric, in run order (only
	// when Runs > 1), for statistical comparison.
	Samples map[string][]float64 `json:"samples,omitempty"`
	// Volatile names metrics that vary from run to run by design (they
	// depend on when automatic GC cycles happen); a check compares them
	// statistically over the runs, like time, rather than as exact values.
	Volatile []string `json:"volatile,omitempty"`
	// Settled reports whether the final settle converged within its budget.
	Settled bool `json:"settled"`
	// Timeline is the per-GC-cycle sampling of the (first) run.
	Timeline []inspect.Sample `json:"timeline,omitempty"`
	// Profile is the heap profile's path, relative to the results file.
	Profile string `json:"profile,omitempty"`
	// ProfileError says why the heap profile could not be written (a
	// full disk, say); the metrics are measured all the same.
	ProfileError string `json:"profile_error,omitempty"`
	// Error is set when the variant could not be measured (a worker that
	// crashed or timed out); Metrics is then empty.
	Error string `json:"error,omitempty"`
	// Retention says what kept a sample of the objects the variant
	// released alive after the final settle, one path per object. It is
	// present when weakscope looked (run --why, or a failed expectation)
	// and some released object was still alive.
	Retention []RetentionPath `json:"retention,omitempty"`
	// RetentionError says why retention paths could not be found, when
	// weakscope looked and failed (a heap dump that could not be written or
	// read); the measurement itself stands.
	RetentionError string `json:"retention_error,omitempty"`
}

// RetentionPath is the shortest chain of pointers from a GC root to one
// object that was still alive after the release, as found in a heap dump
// of the process that ran the variant.
type RetentionPath struct {
	// Object is the retained object's Go type as the scenario knows it,
	// such as "*scenario.object".
	Object string `json:"object"`
	// Found is false when the object was not in the dump, or no root the
	// dump records reaches it; Path then says which.
	Found bool `json:"found"`
	// RootKind is what kind of root the chain starts at: global, stack,
	// finalizer, queued finalizer, cleanup or other.
	RootKind string `json:"root_kind,omitempty"`
	// Root names the root: a global variable's symbol, a stack frame's
	// function, or the function of a finalizer or cleanup.
	Root string `json:"root,omitempty"`
	// Path is the whole chain on one line, root first, such as
	// "global main.cache (bss) → object (48 B) → *main.Report (1.0 KiB)".
	Path string `json:"path"`
	// Steps are the heap objects on the chain after the root; the last is
	// the retained object (or the memory block it shares).
	Steps []RetentionStep `json:"steps,omitempty"`
}

// RetentionStep is one heap object on a retention path.
type RetentionStep struct {
	// Addr is the object's address in the process that ran the variant.
	Addr uint64 `json:"addr"`
	// Size is the object's size in bytes, as the allocator sized it.
	Size uint64 `json:"size"`
	// Offset is the byte offset, within this object, of the pointer to
	// the next step (0 for the last).
	Offset uint64 `json:"offset"`
	// Type is the object's Go type or "func NAME" for a closure, when the
	// dump lets weakscope tell; empty otherwise.
	Type string `json:"type,omitempty"`
}

// Failed reports whether any expectation failed or any variant has an error.
func (r *Results) Failed() bool {
	for _, s := range r.Scenarios {
		for _, e := range s.Expectations {
			if !e.Pass {
				return true
			}
		}
		for _, v := range s.Variants {
			if v.Error != "" {
				return true
			}
		}
	}
	return false
}

// ErrSchema is wrapped by the error Decode returns for a document that is
// not weakscope results of a version this package reads.
var ErrSchema = errors.New("not a weakscope results file")

// Decode reads a results document and checks it: valid JSON with no key
// twice in an object and nothing after the document, the schema, and what
// Validate checks.
func Decode(r io.Reader) (*Results, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errEmpty
	}
	if err := checkStrict(data); err != nil {
		return nil, err
	}
	var res Results
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if res.Schema != Schema && res.Schema != SchemaV2 {
		if res.Schema == "" {
			return nil, fmt.Errorf("%w: no \"schema\" field (want %q or %q)", ErrSchema, Schema, SchemaV2)
		}
		return nil, fmt.Errorf("%w: unknown schema %q (want %q or %q)", ErrSchema, res.Schema, Schema, SchemaV2)
	}
	if err := res.Validate(); err != nil {
		return nil, err
	}
	return &res, nil
}

// nonNegative are the metrics that cannot be below zero. Retained bytes
// and objects can: a variant may end with less than its baseline.
var nonNegative = []string{Entries, CyclesToRelease, CleanupsRun, PeakHeapBytes, WallNS, CPUNS}

// Validate checks what a renderer or a check relies on: every scenario and
// variant is named, every variant has metrics or an error, run counts and
// parameters are not negative, and neither are the metrics that cannot be.
// Its errors say where the problem is.
func (r *Results) Validate() error {
	if len(r.Scenarios) == 0 {
		return errors.New("invalid results: no scenarios")
	}
	for i, s := range r.Scenarios {
		where := fmt.Sprintf("scenarios[%d]", i)
		if s.Name == "" {
			return fmt.Errorf("invalid results: %s has no name", where)
		}
		where = "scenario " + s.Name
		if s.Params.Objects < 0 || s.Params.Size < 0 || s.Params.Keep < 0 || s.Params.Keep > 1 {
			return fmt.Errorf("invalid results: %s has negative or impossible parameters (objects %d, size %d, keep %g)", where, s.Params.Objects, s.Params.Size, s.Params.Keep)
		}
		for j, v := range s.Variants {
			vw := fmt.Sprintf("%s variants[%d]", where, j)
			if v.Variant == "" {
				return fmt.Errorf("invalid results: %s has no name", vw)
			}
			vw = where + " variant " + v.Variant
			if v.Error == "" && len(v.Metrics) == 0 {
				return fmt.Errorf("invalid results: %s has neither metrics nor an error", vw)
			}
			if v.Runs < 0 {
				return fmt.Errorf("invalid results: %s has %d runs", vw, v.Runs)
			}
			for _, m := range nonNegative {
				if x, ok := v.Metrics[m]; ok && (x < 0 || math.IsNaN(x)) {
					return fmt.Errorf("invalid results: %s has %s = %v (must be ≥ 0)", vw, m, x)
				}
			}
			for k, rp := range v.Retention {
				if rp.Path == "" {
					return fmt.Errorf("invalid results: %s retention[%d] has no path", vw, k)
				}
			}
		}
	}
	return nil
}

// ReadFile reads and checks a results file. Errors name the file.
func ReadFile(name string) (*Results, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	res, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return res, nil
}

// Encode writes r as indented JSON, under the oldest schema that holds
// what r records (see [Results.NeededSchema]).
func (r *Results) Encode(w io.Writer) error {
	out := *r
	out.Schema = r.NeededSchema()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(&out)
}

// NeededSchema is the oldest schema that holds what r records: [SchemaV2]
// when a variant names its toolchain or machine, or r was merged from
// several documents; [Schema] otherwise.
func (r *Results) NeededSchema() string {
	if len(r.Sources) > 0 || len(r.Notes) > 0 {
		return SchemaV2
	}
	for _, s := range r.Scenarios {
		for _, v := range s.Variants {
			if v.Setting.Environment() != (Setting{}) {
				return SchemaV2
			}
		}
	}
	return Schema
}

// WriteFile writes r to name atomically: readers see the old file or the
// complete new one, never a partial write.
func (r *Results) WriteFile(name string) error {
	var buf bytes.Buffer
	if err := r.Encode(&buf); err != nil {
		return err
	}
	return WriteFileAtomic(name, buf.Bytes())
}

package report

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// ErrMismatch is wrapped by the error [Merge] returns for documents whose
// numbers would not compare side by side: a scenario run at different
// parameters, or two documents whose variants nothing tells apart.
var ErrMismatch = errors.New("the documents do not merge")

// MergeInput is one document to merge and the file it was read from, which
// names it in errors and notes (and, where nothing else tells two machines
// apart, in the merged document).
type MergeInput struct {
	File    string
	Results *Results
}

// MergeOptions say what [Merge] accepts. The zero value is the strict
// default.
type MergeOptions struct {
	// MixedParams merges a scenario that the documents ran at different
	// parameters: the merged document keeps the first document's and a
	// note names every document's. Without it Merge refuses, because the
	// numbers of two sizes do not compare.
	MixedParams bool
}

// Merge makes one document of several runs' results — a CI matrix's
// machines, a toolchain each — so that one report shows them side by
// side. Each variant keeps its setting and gains, where the documents
// differ in them, its toolchain ([Setting.Go], from its document's Go
// version unless it named one itself) and its machine ([Setting.Machine]:
// its GOOS/GOARCH, or its file's name where the platforms do not tell the
// documents apart, such as two linux/amd64 runners: the directory's name
// for a file called results.json, as a CI system's artifacts are laid
// out, else the file's name without ".json").
//
// The merged document lists each scenario once, in the order first seen,
// with its variants ordered by setting, then variant, then environment, so
// that the environments of one variant sit together. It keeps every
// expectation, named by its environment, every timeline and retention
// path; heap profile paths are made relative to the directory the
// merge's paths are relative to (the source's directory joined in front).
// Its Env holds what all documents share, its Sources each one's own, and
// its Notes the scenarios that only some documents have and, with
// MixedParams, the parameters that differ.
//
// Merge refuses, with an error wrapping [ErrMismatch], a scenario run at
// different parameters (unless MixedParams), and documents that measured
// the same variant in what no label tells apart (the same file given
// twice, say). It does not change its inputs.
func Merge(inputs []MergeInput, opts MergeOptions) (*Results, error) {
	if len(inputs) == 0 {
		return nil, errors.New("nothing to merge")
	}
	labels, err := mergeLabels(inputs)
	if err != nil {
		return nil, err
	}
	out := &Results{Schema: SchemaV2, Env: commonEnv(inputs)}
	var notes []string
	for i, in := range inputs {
		out.Sources = append(out.Sources, Source{
			File: in.File, Machine: labels[i].machine, Go: labels[i].goVersion,
			ToolVersion: in.Results.ToolVersion, Started: in.Results.Started, Env: in.Results.Env,
		})
		if out.Started.IsZero() || (!in.Results.Started.IsZero() && in.Results.Started.Before(out.Started)) {
			out.Started = in.Results.Started
		}
	}
	if tools := distinct(inputs, func(r *Results) string { return r.ToolVersion }); len(tools) == 1 {
		out.ToolVersion = tools[0]
	} else {
		notes = append(notes, "made by different weakscope versions: "+describeEach(inputs, func(r *Results) string { return r.ToolVersion }))
	}

	// Scenarios in the order first seen; each document's variants and
	// expectations, relabelled.
	var order []string
	byName := map[string]*ScenarioResult{}
	from := map[string][]int{} // scenario → the inputs that have it
	for i, in := range inputs {
		for _, s := range in.Results.Scenarios {
			m, ok := byName[s.Name]
			if !ok {
				m = &ScenarioResult{Name: s.Name, Description: s.Description, Explanation: s.Explanation, Params: s.Params}
				byName[s.Name] = m
				order = append(order, s.Name)
			}
			from[s.Name] = append(from[s.Name], i)
			if !m.Params.Equal(s.Params) && !opts.MixedParams {
				return nil, fmt.Errorf("%w: scenario %s ran at different parameters: %s in %s, %s in %s",
					ErrMismatch, s.Name, m.Params.String(), inputs[from[s.Name][0]].File, s.Params.String(), in.File)
			}
			relabel := labels[i].setting(in.Results, s)
			for _, v := range s.Variants {
				v.Setting = relabel(v.Setting)
				if v.Profile != "" {
					v.Profile = filepath.ToSlash(filepath.Join(filepath.Dir(in.File), filepath.FromSlash(v.Profile)))
				}
				m.Variants = append(m.Variants, v)
			}
			for _, e := range s.Expectations {
				e.Setting = relabelExpectation(e.Setting, s, relabel)
				m.Expectations = append(m.Expectations, e)
			}
		}
	}
	for _, name := range order {
		s := byName[name]
		if err := checkDistinct(s, inputs, from[name]); err != nil {
			return nil, err
		}
		orderVariants(s)
		out.Scenarios = append(out.Scenarios, *s)
		if len(from[name]) < len(inputs) {
			var files []string
			for _, i := range from[name] {
				files = append(files, inputs[i].File)
			}
			notes = append(notes, fmt.Sprintf("%s is only in %s", name, strings.Join(files, ", ")))
		}
		if differs(inputs, from[name], name) {
			var each []string
			for _, i := range from[name] {
				each = append(each, fmt.Sprintf("%s in %s", paramsOf(inputs[i].Results, name).String(), inputs[i].File))
			}
			notes = append(notes, fmt.Sprintf("%s ran at different parameters, merged anyway: %s; the numbers of different sizes do not compare", name, strings.Join(each, "; ")))
		}
	}
	out.Notes = notes
	return out, nil
}

// mergeLabel is what Merge adds to one input's variants: the machine and
// the toolchain, each only where the inputs differ in it.
type mergeLabel struct {
	machine string
	// setGo gives the variants that name no toolchain their document's
	// Go version, goVersion, if any does.
	setGo     bool
	goVersion string
}

// setting returns the function that relabels a variant's setting of
// scenario s of r.
func (l mergeLabel) setting(r *Results, s ScenarioResult) func(Setting) Setting {
	return func(set Setting) Setting {
		if l.machine != "" && set.Machine == "" {
			set.Machine = l.machine
		}
		if l.setGo && set.Go == "" {
			set.Go = r.Env.GoVersion
		}
		return set
	}
}

// relabelExpectation names an expectation's setting in the merged
// document: the relabelled setting of the variants it judged. A run under
// one setting does not name it, so the scenario's one setting is taken.
func relabelExpectation(setting string, s ScenarioResult, relabel func(Setting) Setting) string {
	var sets []Setting
	for _, v := range s.Variants {
		if !slices.Contains(sets, v.Setting) {
			sets = append(sets, v.Setting)
		}
	}
	for _, set := range sets {
		if setting == "" && len(sets) == 1 || setting != "" && set.String() == setting {
			if n := relabel(set); n != (Setting{}) {
				return n.String()
			}
			return ""
		}
	}
	return setting
}

// mergeLabels decides each input's labels: the toolchain where the
// inputs' Go versions differ, the platform where theirs do, and the
// file's name where those still leave two inputs' variants alike.
func mergeLabels(inputs []MergeInput) ([]mergeLabel, error) {
	goVersions, platforms := map[string]bool{}, map[string]bool{}
	for _, in := range inputs {
		for _, s := range in.Results.Scenarios {
			for _, v := range s.Variants {
				e := effectiveEnvironment(in.Results, v.Setting)
				goVersions[e.Go], platforms[e.Machine] = true, true
			}
		}
	}
	labels := make([]mergeLabel, len(inputs))
	for i, in := range inputs {
		labels[i].setGo = len(goVersions) > 1
		if labels[i].setGo && slices.Contains(distinctSettings(in.Results, func(s Setting) string { return s.Go }), "") {
			labels[i].goVersion = in.Results.Env.GoVersion
		}
		if len(platforms) > 1 {
			labels[i].machine = Platform(in.Results.Env)
		}
	}
	if clash := firstClash(inputs, labels); clash == nil {
		return labels, nil
	}
	// Platforms and toolchains leave two inputs alike: name the machines
	// after their files.
	names := map[string]int{}
	for i, in := range inputs {
		name := fileLabel(in.File)
		if j, dup := names[name]; dup {
			return nil, fmt.Errorf("%w: %s and %s hold results of the same variants in the same environment (%s), and their file names do not tell them apart: give each machine's results a name of its own (a directory per machine, as CI artifacts come)",
				ErrMismatch, inputs[j].File, in.File, effectiveEnvironment(inputs[j].Results, Setting{}).String())
		}
		names[name] = i
		labels[i].machine = name
	}
	if clash := firstClash(inputs, labels); clash != nil {
		return nil, fmt.Errorf("%w: %s", ErrMismatch, clash)
	}
	return labels, nil
}

// firstClash says which two inputs hold the same variant under the same
// labelled setting, or returns nil.
func firstClash(inputs []MergeInput, labels []mergeLabel) error {
	owner := map[string]int{}
	for i, in := range inputs {
		for _, s := range in.Results.Scenarios {
			relabel := labels[i].setting(in.Results, s)
			for _, v := range s.Variants {
				set := relabel(v.Setting)
				key := variantKey(s.Name, v.Variant, set)
				if j, ok := owner[key]; ok && j != i {
					return fmt.Errorf("%s and %s both hold %s/%s%s", inputs[j].File, in.File, s.Name, v.Variant, set.Tag())
				}
				owner[key] = i
			}
		}
	}
	return nil
}

// checkDistinct refuses a merged scenario with two variants alike, which
// only an input that itself holds one variant twice can cause.
func checkDistinct(s *ScenarioResult, inputs []MergeInput, from []int) error {
	seen := map[string]bool{}
	for _, v := range s.Variants {
		key := variantKey(s.Name, v.Variant, v.Setting)
		if seen[key] {
			var files []string
			for _, i := range from {
				files = append(files, inputs[i].File)
			}
			return fmt.Errorf("%w: %s/%s%s appears twice in %s", ErrMismatch, s.Name, v.Variant, v.Setting.Tag(), strings.Join(files, ", "))
		}
		seen[key] = true
	}
	return nil
}

// orderVariants sorts a merged scenario's variants by runtime setting,
// then variant, then environment, each in the order first seen, so that
// one variant's environments sit next to each other.
func orderVariants(s *ScenarioResult) {
	slices.SortStableFunc(s.Variants, VariantOrder(s.Variants))
}

// VariantOrder returns a comparison that orders variants (of one scenario,
// as in vs) by runtime setting (GOGC, GOMEMLIMIT), then name, then
// environment (machine and toolchain), each in the order first seen in
// vs: the order in which tables list them, so that the toolchains or
// machines of one variant sit together. For a document without
// toolchains or machines it is the order of a run.
func VariantOrder(vs []VariantResult) func(a, b VariantResult) int {
	runtimes, names, envs := map[Setting]int{}, map[string]int{}, map[Setting]int{}
	for _, v := range vs {
		if _, ok := runtimes[v.Setting.Runtime()]; !ok {
			runtimes[v.Setting.Runtime()] = len(runtimes)
		}
		if _, ok := names[v.Variant]; !ok {
			names[v.Variant] = len(names)
		}
		if _, ok := envs[v.Setting.Environment()]; !ok {
			envs[v.Setting.Environment()] = len(envs)
		}
	}
	return func(a, b VariantResult) int {
		if d := runtimes[a.Setting.Runtime()] - runtimes[b.Setting.Runtime()]; d != 0 {
			return d
		}
		if d := names[a.Variant] - names[b.Variant]; d != 0 {
			return d
		}
		return envs[a.Setting.Environment()] - envs[b.Setting.Environment()]
	}
}

// fileLabel names a results file for a table: its directory's name when
// it is called results.json (CI artifacts come a directory each), else its
// name without ".json".
func fileLabel(file string) string {
	base := filepath.Base(file)
	if base == "results.json" {
		if abs, err := filepath.Abs(file); err == nil {
			return filepath.Base(filepath.Dir(abs))
		}
	}
	return strings.TrimSuffix(base, ".json")
}

// commonEnv is the environment the inputs share: each field as they all
// have it, or empty where they differ.
func commonEnv(inputs []MergeInput) Env {
	e := inputs[0].Results.Env
	for _, in := range inputs[1:] {
		o := in.Results.Env
		if o.GoVersion != e.GoVersion {
			e.GoVersion = ""
		}
		if o.GOOS != e.GOOS || o.GOARCH != e.GOARCH {
			e.GOOS, e.GOARCH = "", ""
		}
		if o.GOMAXPROCS != e.GOMAXPROCS {
			e.GOMAXPROCS = 0
		}
		if o.NumCPU != e.NumCPU {
			e.NumCPU = 0
		}
		if o.GOGC != e.GOGC {
			e.GOGC = ""
		}
		if o.GOMEMLIMIT != e.GOMEMLIMIT {
			e.GOMEMLIMIT = ""
		}
	}
	return e
}

func distinct(inputs []MergeInput, f func(*Results) string) []string {
	var out []string
	for _, in := range inputs {
		if v := f(in.Results); !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func distinctSettings(r *Results, f func(Setting) string) []string {
	var out []string
	for _, s := range r.Scenarios {
		for _, v := range s.Variants {
			if x := f(v.Setting); !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
	}
	return out
}

func describeEach(inputs []MergeInput, f func(*Results) string) string {
	parts := make([]string, len(inputs))
	for i, in := range inputs {
		parts[i] = in.File + " " + orNone(f(in.Results))
	}
	return strings.Join(parts, ", ")
}

// differs reports whether the inputs in from ran scenario name at
// different parameters.
func differs(inputs []MergeInput, from []int, name string) bool {
	first := paramsOf(inputs[from[0]].Results, name)
	for _, i := range from[1:] {
		if !first.Equal(paramsOf(inputs[i].Results, name)) {
			return true
		}
	}
	return false
}

func paramsOf(r *Results, name string) Params {
	for _, s := range r.Scenarios {
		if s.Name == name {
			return s.Params
		}
	}
	return Params{}
}

// Environments lists the environments — machine and toolchain, as
// [Setting.Environment] gives them — that r's variants were measured in,
// in the order first seen. A run in one environment has one, the empty
// Setting.
func (r *Results) Environments() []Setting {
	var out []Setting
	for _, s := range r.Scenarios {
		for _, v := range s.Variants {
			if e := v.Setting.Environment(); !slices.Contains(out, e) {
				out = append(out, e)
			}
		}
	}
	return out
}

// CompareEnvironments compares, in a document measured in several
// environments (a run with --go, a merged CI matrix), every other
// environment's variants with those of the first, as [Compare] compares a
// run with its baseline: what a Go upgrade or another machine changes. The
// comparisons name the other environment's setting; expectations are not
// part of them. A document of one environment gives none.
func CompareEnvironments(r *Results, opts CompareOptions) []MetricComparison {
	envs := r.Environments()
	if len(envs) < 2 {
		return nil
	}
	first := r.part(envs[0])
	var out []MetricComparison
	for _, env := range envs[1:] {
		for _, m := range Compare(first, r.part(env), opts).Metrics {
			if m.Verdict == VerdictMissing {
				continue // not measured there: the table shows it
			}
			m.Setting.Machine, m.Setting.Go = env.Machine, env.Go
			out = append(out, m)
		}
	}
	return out
}

// part is the document of r's variants measured in env, their settings
// without it, and no expectations.
func (r *Results) part(env Setting) *Results {
	p := &Results{Schema: r.Schema, ToolVersion: r.ToolVersion, Env: r.Env}
	for _, s := range r.Scenarios {
		ps := s
		ps.Expectations, ps.Variants = nil, nil
		for _, v := range s.Variants {
			if v.Setting.Environment() == env {
				v.Setting = v.Setting.Runtime()
				ps.Variants = append(ps.Variants, v)
			}
		}
		if len(ps.Variants) > 0 {
			p.Scenarios = append(p.Scenarios, ps)
		}
	}
	return p
}

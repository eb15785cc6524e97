package render

import (
	"fmt"
	"io"
	"math"

	"github.com/google/pprof/profile"

	"github.com/weakscope/weakscope/report"
)

// RetentionProfileName is the file name of the run-wide retention profile.
const RetentionProfileName = "retention.pb.gz"

// RetentionProfile builds one pprof profile for a whole run: one sample per
// scenario × variant × setting, valued in retained bytes (the default sample
// type, retained_space) and retained objects (retained_objects), whose stack
// reads scenario → variant → holder type, labelled scenario, variant, gogc
// and gomemlimit, and go and machine where the document names them.
// `go tool pprof -top` then ranks holder types by what they retain,
// -tagfocus variant=weak (or go=go1.27.3) selects variants, and -diff_base
// compares two runs. Variants that could not be measured are left out.
func RetentionProfile(r *report.Results) (*profile.Profile, error) {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{
			{Type: "retained_space", Unit: "bytes"},
			{Type: "retained_objects", Unit: "count"},
		},
		DefaultSampleType: "retained_space",
		TimeNanos:         r.Started.UnixNano(),
		Comments:          []string{"weakscope " + r.ToolVersion + ", " + r.Env.GoVersion + " " + r.Env.GOOS + "/" + r.Env.GOARCH},
	}
	// A mapping that names a binary keeps pprof from warning that the main
	// binary is unknown; every frame already has its function name.
	m := &profile.Mapping{ID: 1, Start: 0x1000, Limit: math.MaxUint64, File: "weakscope", HasFunctions: true}
	p.Mapping = []*profile.Mapping{m}

	funcs := map[string]*profile.Function{}
	locs := map[string]*profile.Location{}
	frame := func(name string) *profile.Location {
		if l, ok := locs[name]; ok {
			return l
		}
		f, ok := funcs[name]
		if !ok {
			f = &profile.Function{ID: uint64(len(p.Function) + 1), Name: name, SystemName: name}
			funcs[name] = f
			p.Function = append(p.Function, f)
		}
		id := uint64(len(p.Location) + 1)
		l := &profile.Location{ID: id, Mapping: m, Address: m.Start + id, Line: []profile.Line{{Function: f}}}
		locs[name] = l
		p.Location = append(p.Location, l)
		return l
	}
	for _, s := range r.Scenarios {
		for _, v := range s.Variants {
			if v.Error != "" {
				continue
			}
			holder := v.Holder
			if holder == "" {
				holder = "(unknown holder)"
			}
			gogc := v.Setting.GOGC
			if gogc == "" {
				gogc = orDefault("", r.Env.GOGC)
			}
			labels := map[string][]string{"scenario": {s.Name}, "variant": {v.Variant}, "gogc": {gogc}}
			if v.Setting.GOMEMLIMIT != "" {
				labels["gomemlimit"] = []string{v.Setting.GOMEMLIMIT}
			}
			if v.Setting.Go != "" {
				labels["go"] = []string{v.Setting.Go}
			}
			if v.Setting.Machine != "" {
				labels["machine"] = []string{v.Setting.Machine}
			}
			p.Sample = append(p.Sample, &profile.Sample{
				// Leaf first: the holder, then the variant, then the scenario.
				Location: []*profile.Location{frame(holder), frame(s.Name + "/" + v.Variant), frame(s.Name)},
				Value:    []int64{int64(v.Metrics[report.RetainedBytes]), int64(v.Metrics[report.RetainedObjects])},
				Label:    labels,
			})
		}
	}
	if err := p.CheckValid(); err != nil {
		return nil, fmt.Errorf("building the retention profile: %w", err)
	}
	return p, nil
}

// WriteRetentionProfile writes the retention profile of r, gzipped, in the
// format `go tool pprof` reads.
func WriteRetentionProfile(w io.Writer, r *report.Results) error {
	p, err := RetentionProfile(r)
	if err != nil {
		return err
	}
	return p.Write(w)
}

// WriteHeapDifference writes to w the runtime heap profile final minus the
// one at base, both as the runtime writes them (gzipped protobuf, from the
// same process): what was allocated and is still held between the two
// points, with the process's own start-up subtracted away. In-use values
// that come out negative (what was live at base and freed since) are set
// to 0, and samples with nothing left are dropped, so "go tool pprof -top"
// of the result leads with the code that allocated what is held now.
func WriteHeapDifference(w io.Writer, base, final io.Reader) error {
	b, err := profile.Parse(base)
	if err != nil {
		return fmt.Errorf("reading the baseline heap profile: %w", err)
	}
	f, err := profile.Parse(final)
	if err != nil {
		return fmt.Errorf("reading the heap profile: %w", err)
	}
	b.Scale(-1)
	d, err := profile.Merge([]*profile.Profile{f, b})
	if err != nil {
		return fmt.Errorf("subtracting heap profiles: %w", err)
	}
	kept := d.Sample[:0]
	for _, s := range d.Sample {
		left := false
		for i := range s.Value {
			s.Value[i] = max(s.Value[i], 0)
			left = left || s.Value[i] > 0
		}
		if left {
			kept = append(kept, s)
		}
	}
	d.Sample = kept
	d = d.Compact()
	if err := d.CheckValid(); err != nil {
		return fmt.Errorf("heap difference: %w", err)
	}
	return d.Write(w)
}

package main

import (
	"fmt"
	"io"
	"slices"
)

// limitOf says what a holder's figure for op is divided by, and the ratio
// the project set as a target ("" and 0 when it set none).
func limitOf(op, holder string, k kind) (limit string, target float64) {
	if k == limitHolder {
		// The hand-rolled weak map against the limits too, without a
		// target: what a weak container cannot avoid shows there.
		if holder == "handrolled" {
			switch op {
			case "Put":
				return "alloc+weak.Make+AddCleanup", 0
			case "Get", "GetMiss", "Contains", "ContainsMiss":
				return "plain", 0
			case "GetParallel":
				return "sync.Map", 0
			}
		}
		return "", 0
	}
	if k == strong {
		switch op {
		case "CyclesToEmpty", "SetCyclesToEmpty":
			return "", 0
		}
		return "plain", 1.1
	}
	weakish := k == weakSweep || k == weakCleanup
	switch op {
	case "Put", "Add":
		switch k {
		case weakSweep:
			return "alloc+weak.Make", 1.2
		case weakCleanup:
			return "alloc+weak.Make+AddCleanup", 1.2
		}
		if op == "Add" {
			return "", 0 // the limits of Add are measured only beside weak sets
		}
		return "plain", 0
	case "Get", "GetMiss", "Contains", "ContainsMiss":
		if weakish {
			return "plain", 1.5
		}
		return "plain", 0
	case "GetParallel":
		if weakish {
			return "sync.Map", 2
		}
		return "sync.Map", 0
	case "ContainsParallel":
		return "plain", 0
	case "Delete", "Remove", "All", "SetAll":
		if weakish {
			return "handrolled", 1.5
		}
		return "plain", 0
	case "BytesPerEntry", "SetBytesPerEntry":
		if weakish {
			return "handrolled", 1.2
		}
		return "plain", 0
	case "CyclesToEmpty", "SetCyclesToEmpty":
		return "handrolled", 0
	}
	return "", 0
}

// writeRatios writes, for every measurement with a limit, the holder's
// median, the limit's median, and the ratio: the median over the rounds
// of the holder's figure divided by its limit's in the same round (the
// median of the limit's figures, where it was measured more than once),
// which cancels much of what the machine's load does to a whole round.
// The last column is the range of those per-round ratios.
func (r *recorder) writeRatios(w io.Writer) {
	keys := make([]sampleKey, 0, len(r.samples))
	for k := range r.samples {
		keys = append(keys, k)
	}
	order := map[string]int{}
	for i, op := range []string{"Put", "Get", "GetMiss", "GetParallel", "Delete", "All", "BytesPerEntry", "CyclesToEmpty",
		"Add", "Contains", "ContainsMiss", "ContainsParallel", "Remove", "SetAll", "SetBytesPerEntry", "SetCyclesToEmpty"} {
		order[op] = i
	}
	holderOrder := map[string]int{}
	for i, c := range mapCases() {
		holderOrder[c.name] = i
	}
	for i, c := range setCases() {
		if _, ok := holderOrder[c.name]; !ok {
			holderOrder[c.name] = 100 + i
		}
	}
	slices.SortFunc(keys, func(a, b sampleKey) int {
		if a.n != b.n {
			return a.n - b.n
		}
		if order[a.op] != order[b.op] {
			return order[a.op] - order[b.op]
		}
		return holderOrder[a.holder] - holderOrder[b.holder]
	})
	fmt.Fprintln(w, "| n | op | holder | median | limit | limit's median | ratio | target | | per-round ratios |")
	fmt.Fprintln(w, "| ---: | --- | --- | ---: | --- | ---: | ---: | ---: | --- | --- |")
	for _, k := range keys {
		limit, target := limitOf(k.op, k.holder, r.kinds[k.holder])
		if limit == "" {
			continue
		}
		lk := k
		lk.holder = limit
		ls, ok := r.samples[lk]
		if !ok {
			continue
		}
		hs := r.samples[k]
		byRound := map[int][]float64{}
		for _, s := range ls {
			byRound[s.round] = append(byRound[s.round], s.v)
		}
		var ratios []float64
		for _, s := range hs {
			if l := byRound[s.round]; len(l) > 0 {
				ratios = append(ratios, s.v/median(l))
			}
		}
		if len(ratios) == 0 {
			continue
		}
		ratio := median(ratios)
		verdict, tgt := "", ""
		if target > 0 {
			tgt = fmt.Sprintf("≤ %.1f×", target)
			verdict = "met"
			if ratio > target {
				verdict = "**missed**"
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %.2f× | %s | %s | %.2f–%.2f |\n",
			sizeName(k.n), k.op, k.holder, format(median(values(hs)), k.unit), limit, format(median(values(ls)), k.unit),
			ratio, tgt, verdict, slices.Min(ratios), slices.Max(ratios))
	}
}

func values(s []sample) []float64 {
	v := make([]float64, len(s))
	for i, x := range s {
		v[i] = x.v
	}
	return v
}

func format(v float64, unit string) string {
	if unit == "ns/op" {
		switch {
		case v >= 1e6:
			return fmt.Sprintf("%.2f ms", v/1e6)
		case v >= 1e4:
			return fmt.Sprintf("%.1f µs", v/1e3)
		}
		return fmt.Sprintf("%.1f ns", v)
	}
	return fmt.Sprintf("%.1f %s", v, unit)
}

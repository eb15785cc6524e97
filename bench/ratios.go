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
// median, the limit's median, their ratio and the target, as Markdown.
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
	fmt.Fprintln(w, "| n | op | holder | median | limit | limit's median | ratio | target | |")
	fmt.Fprintln(w, "| ---: | --- | --- | ---: | --- | ---: | ---: | ---: | --- |")
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
		m, lm := median(r.samples[k]), median(ls)
		ratio := m / lm
		verdict, tgt := "", ""
		if target > 0 {
			tgt = fmt.Sprintf("≤ %.1f×", target)
			verdict = "met"
			if ratio > target {
				verdict = "**missed**"
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %.2f× | %s | %s |\n",
			sizeName(k.n), k.op, k.holder, format(m, k.unit), limit, format(lm, k.unit), ratio, tgt, verdict)
	}
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

package report

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"golang.org/x/perf/benchmath"
)

// benchmathP is the p-value the report package used to get from benchmath.
func benchmathP(a, b []float64) float64 {
	th := benchmath.DefaultThresholds
	// NewSample sorts its argument in place.
	s1 := benchmath.NewSample(slices.Clone(a), &th)
	s2 := benchmath.NewSample(slices.Clone(b), &th)
	return benchmath.AssumeNothing.Compare(s1, s2).P
}

// utestExact reports whether mannWhitneyP (and go-moremath) use the exact
// distribution for a and b rather than the normal approximation.
func utestExact(a, b []float64) bool {
	limit := utestExactLimit
	if hasDuplicates(a, b) {
		limit = utestTiesExactLimit
	}
	return len(a) <= limit && len(b) <= limit
}

// hasDuplicates reports whether some value occurs twice in a and b together.
func hasDuplicates(a, b []float64) bool {
	all := slices.Concat(a, b)
	slices.Sort(all)
	return len(slices.Compact(all)) < len(all)
}

// tieGroups returns, for each distinct value of a and b in increasing order,
// how often it occurs in both together and in a.
func tieGroups(a, b []float64) (size, inA []int) {
	all := slices.Concat(a, b)
	slices.Sort(all)
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j] == all[i] {
			j++
		}
		size = append(size, j-i)
		inA = append(inA, countOf(a, all[i]))
		i = j
	}
	return size, inA
}

// uStatistic counts the pairs in which a's value is the larger, ties as ½.
func uStatistic(a, b []float64) float64 {
	u := 0.0
	for _, x := range a {
		for _, y := range b {
			switch {
			case x > y:
				u++
			case x == y:
				u += 0.5
			}
		}
	}
	return u
}

func countOf(xs []float64, v float64) int {
	n := 0
	for _, x := range xs {
		if x == v {
			n++
		}
	}
	return n
}

// referenceTails computes P(U ≤ u) and P(U ≥ u) for the exact null
// distribution by another route than mannWhitneyP: it enumerates how many of
// a's values fall in each group of equal values (a multivariate
// hypergeometric distribution), weighting each split by its number of
// arrangements. Only for few groups.
func referenceTails(a, b []float64) (lower, upper float64) {
	size, inA := tieGroups(a, b)
	n := len(a) + len(b)
	choose := make([][]float64, n+1) // Pascal's triangle, exact up to n = 50
	for i := range choose {
		choose[i] = make([]float64, i+1)
		choose[i][0], choose[i][i] = 1, 1
		for k := 1; k < i; k++ {
			choose[i][k] = choose[i-1][k-1] + choose[i-1][k]
		}
	}
	rank2 := make([]int, len(size)) // doubled mid-rank of each group
	observed, below := 0, 0
	for g, t := range size {
		rank2[g] = 2*below + t + 1
		observed += inA[g] * rank2[g]
		below += t
	}
	var walk func(g, left, sum int, weight float64)
	walk = func(g, left, sum int, weight float64) {
		if g == len(size) {
			if left == 0 {
				if sum <= observed {
					lower += weight
				}
				if sum >= observed {
					upper += weight
				}
			}
			return
		}
		for k := 0; k <= min(left, size[g]); k++ {
			walk(g+1, left-k, sum+k*rank2[g], weight*choose[size[g]][k])
		}
	}
	walk(0, len(a), 0, 1)
	total := choose[n][len(a)]
	return lower / total, upper / total
}

func TestMannWhitneyPMatchesBenchmath(t *testing.T) {
	rng := rand.New(rand.NewPCG(20240611, 7))
	// draw returns n values: from a small integer range when ties > 0 (so
	// ties are common), continuous otherwise; shift moves the distribution
	// so that small p-values are exercised as well as large ones.
	draw := func(n, ties int, shift float64) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			if ties > 0 {
				xs[i] = float64(rng.IntN(ties)) + math.Round(shift)
			} else {
				xs[i] = rng.NormFloat64() + shift
			}
		}
		return xs
	}
	type pair struct {
		name string
		a, b []float64
	}
	var pairs []pair
	for n1 := 1; n1 <= 12; n1++ {
		for n2 := 1; n2 <= 12; n2++ {
			for rep := range 6 {
				ties := []int{0, 2, 3, 5, 0, 8}[rep]
				shift := []float64{0, 0, 1, 2, 1.5, 3}[rep]
				pairs = append(pairs, pair{fmt.Sprintf("%d+%d/ties=%d/shift=%g", n1, n2, ties, shift),
					draw(n1, ties, 0), draw(n2, ties, shift)})
			}
		}
	}
	// Larger samples: both sides of each exact/normal boundary, and the
	// normal approximation with and without ties.
	for _, c := range []struct {
		n1, n2, ties int
		shift        float64
	}{
		{25, 25, 4, 0}, {25, 25, 6, 2}, {26, 20, 4, 1}, {30, 30, 6, 0},
		{50, 50, 0, 0}, {50, 50, 0, 0.5}, {51, 40, 0, 0.3},
		{60, 60, 0, 0}, {60, 60, 0, 0.4}, {60, 60, 5, 1}, {60, 60, 20, 0},
		{200, 150, 0, 0}, {200, 150, 0, 0.2}, {200, 150, 0, 1}, {200, 150, 10, 1}, {150, 200, 3, 0},
		{10, 200, 0, 0.5}, {3, 60, 0, 1},
		// b below a: go-moremath's 1−Φ(z) branch.
		{60, 60, 0, -0.8}, {200, 150, 0, -0.5}, {200, 150, 0, -1.5},
	} {
		for rep := range 3 {
			pairs = append(pairs, pair{fmt.Sprintf("%d+%d/ties=%d/shift=%g/%d", c.n1, c.n2, c.ties, c.shift, rep),
				draw(c.n1, c.ties, 0), draw(c.n2, c.ties, c.shift)})
		}
	}
	// A symmetric tie pattern keeps U symmetric, so benchmath is right there.
	pairs = append(pairs,
		pair{"symmetric ties", []float64{1, 1, 2, 5}, []float64{3, 4, 6, 6}},
		pair{"symmetric ties 2", []float64{0, 0, 1, 1, 1}, []float64{1, 2, 2}})

	relDiff := func(got, want float64) float64 {
		if got == want {
			return 0
		}
		return math.Abs(got-want) / want
	}
	var worstExact, worstNormal, worstNormalAbs, worstRef, worstAsym float64
	var nBench, nRef, nAsym, nAsymDiffer int
	for _, p := range pairs {
		got := mannWhitneyP(p.a, p.b)
		// benchmath does not cap P at 1 (it can exceed it with ties).
		bench := math.Min(1, benchmathP(p.a, p.b))
		// The p-value does not depend on the order of the samples.
		if rev := mannWhitneyP(p.b, p.a); math.Abs(rev-got) > 1e-12*got {
			t.Errorf("%s: mannWhitneyP(b, a) = %.17g, mannWhitneyP(a, b) = %.17g", p.name, rev, got)
		}
		exact := utestExact(p.a, p.b)
		size, _ := tieGroups(p.a, p.b)
		reversed := slices.Clone(size)
		slices.Reverse(reversed)

		if !exact || len(size) == len(p.a)+len(p.b) || slices.Equal(size, reversed) {
			// Benchmath computes twice the smaller tail here, as we do:
			// in the normal approximation, or when U is symmetric (no
			// ties, or a tie pattern that reads the same from both ends).
			//
			// Both use the same exact distribution and the same normal
			// approximation, so they agree to rounding. Only in the normal
			// regime go-moremath computes the upper tail as 1−Φ(z), which
			// loses relative precision for small p (an absolute error of
			// about 1e-16, and 0 instead of the true tail beyond z ≈ 8.3);
			// we use erfc for both tails. Hence the absolute slack there.
			nBench++
			tol := 1e-9 * bench
			if exact {
				worstExact = max(worstExact, relDiff(got, bench))
			} else {
				worstNormalAbs = max(worstNormalAbs, math.Abs(got-bench))
				if bench >= 1e-6 {
					worstNormal = max(worstNormal, relDiff(got, bench))
				}
				tol += 1e-15
			}
			if !(math.Abs(got-bench) <= tol) {
				t.Errorf("%s: mannWhitneyP = %.17g, benchmath = %.17g (relative difference %.3g)\na = %v\nb = %v",
					p.name, got, bench, relDiff(got, bench), p.a, p.b)
			}
			continue
		}

		// Exact distribution with an asymmetric tie pattern: benchmath's
		// P, twice P(U ≤ min(u, n1·n2−u)), is not twice the smaller tail.
		// Check against the reference enumeration instead.
		nRef++
		lower, upper := referenceTails(p.a, p.b)
		want := math.Min(1, 2*min(lower, upper))
		u, mean := uStatistic(p.a, p.b), float64(len(p.a)*len(p.b))/2
		if u == mean {
			want = 1
		}
		worstRef = max(worstRef, relDiff(got, want))
		if !(math.Abs(got-want) <= 1e-9*want) {
			t.Errorf("%s: mannWhitneyP = %.17g, reference = %.17g (benchmath %.17g)\na = %v\nb = %v",
				p.name, got, want, bench, p.a, p.b)
		}
		if d := relDiff(got, bench); d > 1e-9 {
			nAsymDiffer++
			worstAsym = max(worstAsym, math.Abs(got-bench))
		}
		// Where a is the lower sample and its lower tail the smaller one,
		// benchmath's formula is twice the smaller tail after all.
		if u < mean && lower <= upper {
			nAsym++
			if !(math.Abs(got-bench) <= 1e-9*bench) {
				t.Errorf("%s: mannWhitneyP = %.17g, benchmath = %.17g, both should be twice the lower tail\na = %v\nb = %v",
					p.name, got, bench, p.a, p.b)
			}
		}
	}
	t.Logf("%d pairs. Compared with benchmath: %d, largest relative difference %.3g exact; "+
		"normal approximation %.3g relative where p ≥ 1e-6, %.3g absolute.",
		len(pairs), nBench, worstExact, worstNormal, worstNormalAbs)
	t.Logf("Exact with an asymmetric tie pattern: %d, largest relative difference from the reference %.3g; "+
		"in %d of them (a below the mean, lower tail the smaller) benchmath's formula is twice the smaller tail "+
		"and agrees; %d differ from benchmath (by up to %.3g absolute).",
		nRef, worstRef, nAsym, nAsymDiffer, worstAsym)
}

func TestMannWhitneyPKnownValues(t *testing.T) {
	seq := func(from, n int) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(from + i)
		}
		return xs
	}
	for _, c := range []struct {
		name  string
		a, b  []float64
		want  float64
		bench float64 // benchmath's P, if it differs from want
	}{
		// Completely separated samples: only one of the C(n1+n2, n1)
		// arrangements is as extreme on each side.
		{"separated 5+5", seq(0, 5), seq(5, 5), 2.0 / 252, 0},
		{"separated 5+5 reversed", seq(5, 5), seq(0, 5), 2.0 / 252, 0},
		{"separated 4+4", seq(0, 4), seq(10, 4), 2.0 / 70, 0},
		{"separated 3+3", seq(0, 3), seq(3, 3), 2.0 / 20, 0},
		{"separated 2+3", seq(0, 2), seq(2, 3), 2.0 / 10, 0},
		{"separated 1+9", seq(0, 1), seq(1, 9), 2.0 / 10, 0},
		{"separated 1+1", []float64{1}, []float64{2}, 1, 0},
		// Interleaved so that U equals its mean.
		{"balanced", []float64{1, 4}, []float64{2, 3}, 1, 0},
		// Mid-ranks 1, 2.5, 2.5, 4 (a symmetric pattern); the 2-subsets
		// have rank sums 3.5, 3.5, 5, 5, 6.5, 6.5 and a has 3.5, so
		// p = 2·P(W ≤ 3.5) = 2·2/6.
		{"ties 2+2", []float64{1, 2}, []float64{2, 3}, 4.0 / 6, 0},
		// Mid-ranks 2, 2, 2, 4.5, 4.5, not symmetric. a = {0, 0} has U = 1
		// (of n1·n2 = 6); C(3,2) = 3 of the C(5,2) = 10 subsets have U ≤ 1
		// and all have U ≥ 1, so p = 2·3/10.
		{"ties 2+3", []float64{0, 0}, []float64{0, 1, 1}, 6.0 / 10, 0},
		// The same samples swapped: U = 5, and C(3,1) = 3 of the C(5,3) = 10
		// subsets of size 3 have U ≥ 5: p = 2·3/10 again. Benchmath doubles
		// P(U ≤ min(5, 6−5)) = 1/10 instead.
		{"ties 3+2", []float64{0, 1, 1}, []float64{0, 0}, 6.0 / 10, 2.0 / 10},
		// Mid-ranks 1.5, 1.5, 3: U = 0.5; P(U ≤ 0.5) = 2/3 and P(U ≥ 0.5) = 1,
		// so p = min(1, 2·2/3) = 1. Benchmath does not cap.
		{"ties 1+2 capped", []float64{0}, []float64{0, 1}, 1, 4.0 / 3},
		// Mid-ranks 7/2 (six times), 8 (three times): a = {1, 1} has U = 13
		// of 14, reached by C(3,2) = 3 of the C(9,2) = 36 subsets: p = 2·3/36.
		// No subset has U ≤ 14−13, but benchmath's count for it comes out
		// as C(6,2) = 15 (an integer division truncating −6/9 to 0).
		{"ties 2+7 upper tail", []float64{1, 1}, []float64{0, 0, 1, 0, 0, 0, 0}, 6.0 / 36, 30.0 / 36},
	} {
		if got := mannWhitneyP(c.a, c.b); math.Abs(got-c.want) > 1e-12*c.want {
			t.Errorf("%s: mannWhitneyP(%v, %v) = %.17g, want %.17g", c.name, c.a, c.b, got, c.want)
		}
		bench := c.bench
		if bench == 0 {
			bench = c.want
		}
		if got := benchmathP(c.a, c.b); math.Abs(got-bench) > 1e-12*bench {
			t.Errorf("%s: benchmath gives %.17g, want %.17g", c.name, got, bench)
		}
	}
}

func TestMannWhitneyPEdgeCases(t *testing.T) {
	same := func(v float64, n int) []float64 { return slices.Repeat([]float64{v}, n) }
	for _, c := range []struct {
		name string
		a, b []float64
	}{
		{"both empty", nil, nil},
		{"a empty", nil, []float64{1, 2, 3}},
		{"b empty", []float64{1, 2, 3}, []float64{}},
		{"single equal values", []float64{7}, []float64{7}},
		{"all equal small", same(3, 4), same(3, 6)},
		{"all equal large", same(3, 80), same(3, 70)},
	} {
		if got := mannWhitneyP(c.a, c.b); got != 1 {
			t.Errorf("%s: mannWhitneyP = %v, want 1", c.name, got)
		}
		if got := benchmathP(c.a, c.b); got != 1 {
			t.Errorf("%s: benchmath gives %v, want 1", c.name, got)
		}
	}

	// The inputs are left as they are.
	a, b := []float64{3, 1, 2}, []float64{9, 0, 5, 4}
	mannWhitneyP(a, b)
	if !slices.Equal(a, []float64{3, 1, 2}) || !slices.Equal(b, []float64{9, 0, 5, 4}) {
		t.Errorf("mannWhitneyP modified its inputs: %v, %v", a, b)
	}
}

package report

import (
	"cmp"
	"math"
	"slices"
)

// Sample sizes up to which mannWhitneyP uses the exact null distribution of
// U: both samples at most utestExactLimit when no value repeats, at most
// utestTiesExactLimit when some value repeats. Beyond them it uses the normal
// approximation. These are the limits benchmath's AssumeNothing gets from
// go-moremath (MannWhitneyExactLimit, MannWhitneyTiesExactLimit), so both
// use the same method for the same samples.
const (
	utestExactLimit     = 50
	utestTiesExactLimit = 25
)

// mannWhitneyP returns the two-sided p-value of the Mann–Whitney U test
// (Wilcoxon rank-sum test) of the null hypothesis that a and b come from the
// same distribution, against the alternative that one tends to have larger
// values than the other. Tied values get their mid-rank.
//
// With U the statistic of a (the pairs in which a's value is the larger, ties
// counting ½) and u its observed value, the p-value is twice the smaller tail,
// 2·min(P(U ≤ u), P(U ≥ u)) under the null hypothesis, capped at 1, and 1 when
// u is the mean n1·n2/2. It is 1 when either sample is empty or all values are
// equal. It does not depend on the order of a and b. For small samples the
// distribution of U is computed exactly, ties included; for larger ones it is
// approximated by a normal distribution with the tie and continuity
// corrections (see utestExactLimit).
//
// This is the P that golang.org/x/perf/benchmath's AssumeNothing.Compare
// reports (through go-moremath's MannWhitneyUTest with LocationDiffers), with
// one deliberate exception: go-moremath doubles the lower tail at
// min(u, n1·n2−u), which is twice the smaller tail only when the distribution
// of U is symmetric. That holds without ties, and with ties whose pattern reads
// the same from either end. Otherwise (ties in the exact regime) its P can
// depend on the order of the samples, exceed 1, or be 0 for a possible
// outcome; there we return twice the smaller tail.
//
// We have our own rather than calling benchmath so that the results model
// stays standard-library only and importing the scenario framework stays
// light. The inputs are not modified; they must not contain NaNs.
func mannWhitneyP(a, b []float64) float64 {
	if len(b) < len(a) {
		a, b = b, a // the exact distribution is cheaper for the smaller a
	}
	n1, n2 := len(a), len(b)
	if n1 == 0 {
		return 1
	}
	type obs struct {
		v   float64
		inA bool
	}
	all := make([]obs, 0, n1+n2)
	for _, v := range a {
		all = append(all, obs{v, true})
	}
	for _, v := range b {
		all = append(all, obs{v, false})
	}
	slices.SortFunc(all, func(x, y obs) int { return cmp.Compare(x.v, y.v) })

	// Group equal values. Ranks are doubled so that mid-ranks are integers:
	// the values at sorted positions i..j-1 (ranks i+1..j) all get rank
	// (i+1+j)/2.
	n := n1 + n2
	var sizes []int  // sizes of the groups of equal values, in order
	sumA := 0        // doubled rank sum of a
	tieTerm := 0.0   // Σ (t³ − t) over the group sizes t
	hasTies := false // some value occurs more than once
	for i := 0; i < n; {
		j := i + 1
		for j < n && all[j].v == all[i].v {
			j++
		}
		if i == 0 && j == n {
			return 1 // all values equal: nothing to test
		}
		for k := i; k < j; k++ {
			if all[k].inA {
				sumA += i + 1 + j
			}
		}
		t := j - i
		sizes = append(sizes, t)
		if t > 1 {
			hasTies = true
			tieTerm += float64(t)*float64(t)*float64(t) - float64(t)
		}
		i = j
	}
	// U = (rank sum of a) − n1(n1+1)/2. u2 is twice its observed value and
	// nn = n1·n2 twice its mean.
	u2 := sumA - n1*(n1+1)
	nn := n1 * n2

	limit := utestExactLimit
	if hasTies {
		limit = utestTiesExactLimit
	}
	if n2 <= limit { // and so n1 ≤ limit
		if u2 == nn {
			return 1
		}
		if !hasTies {
			// U is symmetric about its mean: P(U ≥ u) = P(U ≤ n1·n2−u).
			return math.Min(1, 2*uCDF(sizes, n1, min(u2, 2*nn-u2)))
		}
		// Reading the groups from the other end turns U into n1·n2−U.
		rev := slices.Clone(sizes)
		slices.Reverse(rev)
		tail := min(uCDF(sizes, n1, u2), uCDF(rev, n1, 2*nn-u2))
		return math.Min(1, 2*tail)
	}

	// Normal approximation: mean n1·n2/2, variance
	// n1·n2/12·(n+1 − Σ(t³−t)/(n(n−1))).
	nf := float64(n)
	sigma := math.Sqrt(float64(n1) * float64(n2) * ((nf + 1) - tieTerm/(nf*(nf-1))) / 12)
	d := math.Abs(float64(u2-nn))/2 - 0.5 // |u − mean| with continuity correction
	if sigma == 0 || d <= 0 {
		return 1
	}
	// Both tails of the standard normal beyond z = d/sigma: 2(1−Φ(z)).
	return math.Min(1, math.Erfc(d/sigma/math.Sqrt2))
}

// uCDF returns P(2U ≤ bound) when m of the positions of groups of equal
// values with the given sizes (in increasing order of value) are drawn
// uniformly at random, U being the Mann–Whitney statistic of the drawn ones
// with mid-ranks for ties.
//
// It counts the subsets by their value of 2U with a dynamic programme over
// the groups. For a k-subset of the first p positions, let x be twice its
// rank sum minus k(k+1), which is 2U at the end. Taking j more values from a
// group of t at positions p+1..p+t (doubled mid-rank 2p+t+1) adds
// j(2(p−k)+t−j) ≥ 0 to x, so x never decreases and values above bound can be
// dropped as they go.
func uCDF(sizes []int, m, bound int) float64 {
	if bound < 0 {
		return 0
	}
	n := 0
	for _, t := range sizes {
		n += t
	}
	// Without ties every step is even; count in steps of 2 then.
	step := 2
	if slices.Max(sizes) > 1 {
		step = 1
	}
	// count[k*w+x/step] is the number of k-subsets of the positions seen so
	// far with value x.
	w := bound/step + 1
	count := make([]float64, (m+1)*w)
	count[0] = 1
	binom := make([]float64, 0, n+1) // C(t, j) for j = 0..t
	p := 0                           // positions seen so far
	for _, t := range sizes {
		binom = binom[:1]
		binom[0] = 1
		for j := 1; j <= t; j++ {
			binom = append(binom, binom[j-1]*float64(t-j+1)/float64(j))
		}
		// Update k from large to small so that the rows for k−j are still
		// those before this group. Rows k < m−(n−p−t) could not grow to m
		// any more and are left alone.
		for k := min(p+t, m); k >= max(1, m-(n-p-t)); k-- {
			cur := count[k*w : (k+1)*w]
			for j := max(1, k-p); j <= min(t, k); j++ {
				prev := count[(k-j)*w : (k-j+1)*w]
				inc := j * (2*(p-(k-j)) + t - j) / step
				c := binom[j]
				for x := w - 1; x >= inc; x-- {
					cur[x] += c * prev[x-inc]
				}
			}
		}
		p += t
	}
	tail := 0.0
	for _, c := range count[m*w:] {
		tail += c
	}
	// Number of m-subsets of n positions.
	total := 1.0
	for i := 1; i <= m; i++ {
		total = total * float64(n-m+i) / float64(i)
	}
	return tail / total
}

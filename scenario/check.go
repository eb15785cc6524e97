package scenario

import (
	"fmt"
	"math"
	"strings"

	"github.com/weakscope/weakscope/report"
)

// Check decides an expectation from each variant's metrics and the run's
// parameters, and says which numbers decided it, e.g.
// "weak entries = 0, want 0". A metric a variant did not report is NaN
// (see [Measured.Get]), which fails every comparison, so a misspelt metric
// name fails the check instead of passing it.
type Check func(m Measured, p Params) (pass bool, detail string)

// Quantity is a number that depends on the run's parameters, such as the
// number of objects a scenario stored: expectations state their bounds with
// it so that they hold at any --objects and --size.
type Quantity func(p Params) float64

// Const is a quantity that does not depend on the parameters.
func Const(x float64) Quantity { return func(Params) float64 { return x } }

// The quantities every protocol shares.
var (
	// ObjectCount is the number of objects the scenario stores: p.Objects.
	ObjectCount Quantity = func(p Params) float64 { return float64(p.Objects) }
	// KeptCount is the number of objects the callers keep at the release:
	// the Keep fraction of p.Objects, rounded to the nearest whole object.
	KeptCount Quantity = func(p Params) float64 { return float64(KeepCount(p.Objects, p.Keep)) }
	// DroppedCount is the number of objects the callers drop at the
	// release: ObjectCount minus KeptCount.
	DroppedCount Quantity = func(p Params) float64 { return float64(p.Objects - KeepCount(p.Objects, p.Keep)) }
)

// KeepCount is how many of n objects a keep fraction keeps, rounded to the
// nearest whole object; the protocols of [Map] and [Set] keep the first
// KeepCount(n, keep) objects they stored.
func KeepCount(n int, keep float64) int {
	return int(math.Round(float64(n) * keep))
}

// Scaled is q times factor.
func (q Quantity) Scaled(factor float64) Quantity {
	return func(p Params) float64 { return factor * q(p) }
}

// Plus is q plus x.
func (q Quantity) Plus(x float64) Quantity {
	return func(p Params) float64 { return q(p) + x }
}

// Equals checks that variant's metric equals want.
func Equals(variant, metric string, want Quantity) Check {
	return func(m Measured, p Params) (bool, string) {
		got, w := m.Get(variant, metric), want(p)
		return got == w, fmt.Sprintf("%s %s = %s, want %s", variant, metric, num(metric, got), num(metric, w))
	}
}

// AtMost checks that variant's metric is at most limit.
func AtMost(variant, metric string, limit Quantity) Check {
	return func(m Measured, p Params) (bool, string) {
		got, l := m.Get(variant, metric), limit(p)
		return got <= l, fmt.Sprintf("%s %s = %s, limit %s", variant, metric, num(metric, got), num(metric, l))
	}
}

// AtLeast checks that variant's metric is at least floor.
func AtLeast(variant, metric string, floor Quantity) Check {
	return func(m Measured, p Params) (bool, string) {
		got, f := m.Get(variant, metric), floor(p)
		return got >= f, fmt.Sprintf("%s %s = %s, floor %s", variant, metric, num(metric, got), num(metric, f))
	}
}

// Less checks that variant a's metric is less than variant b's.
func Less(a, b, metric string) Check {
	return func(m Measured, _ Params) (bool, string) {
		x, y := m.Get(a, metric), m.Get(b, metric)
		return x < y, fmt.Sprintf("%s %s = %s, %s %s = %s", a, metric, num(metric, x), b, metric, num(metric, y))
	}
}

// AtLeastAs checks that variant a's metric is at least variant b's.
func AtLeastAs(a, b, metric string) Check {
	return func(m Measured, _ Params) (bool, string) {
		x, y := m.Get(a, metric), m.Get(b, metric)
		return x >= y, fmt.Sprintf("%s %s = %s, %s %s = %s", a, metric, num(metric, x), b, metric, num(metric, y))
	}
}

// AllOf passes when every check passes; its detail joins theirs.
func AllOf(checks ...Check) Check {
	return func(m Measured, p Params) (bool, string) {
		pass := true
		details := make([]string, 0, len(checks))
		for _, c := range checks {
			ok, d := c(m, p)
			pass = pass && ok
			details = append(details, d)
		}
		return pass, strings.Join(details, "; ")
	}
}

// num shows a metric's value in the unit the tables use, or says it was
// not measured.
func num(metric string, x float64) string {
	if math.IsNaN(x) {
		return "not measured"
	}
	return report.FormatMetric(metric, x)
}

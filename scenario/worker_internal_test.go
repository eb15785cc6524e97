package scenario

import (
	"slices"
	"testing"

	"github.com/weakscope/weakscope/report"
)

// The child gets GOGC and GOMEMLIMIT in the runtime's own syntax, whatever
// form the flags took, and the parent's values are replaced, not repeated.
func TestWorkerEnvCanonical(t *testing.T) {
	parent := []string{"HOME=/h", "GOGC=100", "GOMEMLIMIT=1GiB"}
	for _, tc := range []struct {
		set  report.Setting
		want []string
	}{
		{report.Setting{}, parent},
		{report.Setting{GOGC: "050"}, []string{"HOME=/h", "GOMEMLIMIT=1GiB", "GOGC=50"}},
		{report.Setting{GOGC: "off", GOMEMLIMIT: "1.5GiB"}, []string{"HOME=/h", "GOGC=off", "GOMEMLIMIT=1610612736"}},
		{report.Setting{GOMEMLIMIT: "10MB"}, []string{"HOME=/h", "GOGC=100", "GOMEMLIMIT=10000000"}},
		{report.Setting{GOMEMLIMIT: "off"}, []string{"HOME=/h", "GOGC=100", "GOMEMLIMIT=off"}},
	} {
		got, err := workerEnviron(parent, tc.set)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("workerEnviron(%+v) = %q, %v; want %q", tc.set, got, err, tc.want)
		}
	}
	if _, err := workerEnviron(parent, report.Setting{GOGC: "+5"}); err == nil {
		t.Error("workerEnv accepted GOGC +5")
	}
}

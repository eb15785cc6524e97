package report

import (
	"os"
	"runtime"
	"runtime/debug"
	"time"
)

// modulePath is weakscope's module, whose version a binary reports: the
// main module in weakscope's own binary, a dependency in a user's harness.
const modulePath = "github.com/weakscope/weakscope"

// ToolVersion is weakscope's module version recorded in the binary: a tag
// such as v1.2.0 when installed with "go install ...@v1.2.0" or required by
// a harness, "(devel)" for a build from a checkout (or a replace directive),
// followed by the VCS revision when the build recorded one.
func ToolVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	if bi.Main.Path != modulePath {
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				if d.Replace != nil {
					return "(devel)"
				}
				return d.Version
			}
		}
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if v == "(devel)" && rev != "" {
		v += " " + rev[:min(len(rev), 12)] + dirty
	}
	return v
}

// NewResults starts a results document for a run in this process: the
// schema, weakscope's version, the start time and the environment (Go
// version, platform, GOMAXPROCS, CPUs, and GOGC and GOMEMLIMIT as set in
// the environment).
func NewResults() *Results {
	return &Results{
		Schema:      Schema,
		ToolVersion: ToolVersion(),
		Started:     time.Now().UTC(),
		Env: Env{
			GoVersion:  runtime.Version(),
			GOOS:       runtime.GOOS,
			GOARCH:     runtime.GOARCH,
			GOMAXPROCS: runtime.GOMAXPROCS(0),
			NumCPU:     runtime.NumCPU(),
			GOGC:       os.Getenv("GOGC"),
			GOMEMLIMIT: os.Getenv("GOMEMLIMIT"),
		},
	}
}

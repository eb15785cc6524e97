package scenariotest_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The framework and this package stay light to import: nothing outside
// the standard library and weakscope's own model and observers (no
// renderers, no command line, no third-party caches).
func TestLightToImport(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list dependencies with")
	}
	for _, pkg := range []string{"github.com/weakscope/weakscope/scenario", "github.com/weakscope/weakscope/scenario/scenariotest", "github.com/weakscope/weakscope/report"} {
		out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if !strings.HasPrefix(dep, "github.com/weakscope/weakscope/") {
				t.Errorf("%s imports %s", pkg, dep)
			}
			for _, heavy := range []string{"/report/render", "/cli", "/catalogue"} {
				if strings.HasSuffix(dep, heavy) {
					t.Errorf("%s imports %s", pkg, dep)
				}
			}
		}
	}
}

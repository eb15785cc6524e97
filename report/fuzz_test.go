package report_test

import (
	"bytes"
	"testing"

	"github.com/weakscope/weakscope/report"
)

// FuzzDecode feeds the results reader (which check and report use on
// user-supplied files) arbitrary bytes: it must return an error or a valid
// document, never panic, and what it accepts must survive a round trip.
func FuzzDecode(f *testing.F) {
	// A small valid document: the fixtures are large enough to slow the
	// fuzzer down a thousandfold.
	f.Add([]byte(`{"schema":"weakscope/results/v1","tool_version":"t","env":{"go_version":"go1.26.8"},"scenarios":[{"name":"s","params":{"objects":2,"size":8,"keep":0.5},"expectations":[{"text":"e","pass":true,"detail":"d"}],"variants":[{"variant":"weak","holder":"h","runs":2,"metrics":{"retained_bytes":-8,"entries":1},"samples":{"entries":[1,1]},"setting":{"gogc":"off"},"timeline":[{"cycle":3,"time":"2026-01-02T03:04:05Z","mark":true,"phase":"start"}]},{"variant":"x","error":"worker timed out"}]}]}`))
	f.Add([]byte(`{"schema":"weakscope/results/v1","scenarios":[{"name":"s","variants":[{"variant":"v","metrics":{"entries":-1}}]}]}`))
	f.Add([]byte(`{"schema":"weakscope/results/v1"}`))
	f.Add([]byte(`{"schema":"x"}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := report.Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		if r.Schema != report.Schema || r.Validate() != nil {
			t.Fatalf("accepted an invalid document: %+v", r)
		}
		var b bytes.Buffer
		if err := r.Encode(&b); err != nil {
			t.Fatal(err)
		}
		if _, err := report.Decode(&b); err != nil {
			t.Fatalf("re-encoded document does not decode: %v", err)
		}
	})
}

func TestValidateRejects(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"no scenarios", `{"schema":"weakscope/results/v1","scenarios":[]}`, "no scenarios"},
		{"unnamed scenario", `{"schema":"weakscope/results/v1","scenarios":[{"variants":[]}]}`, "scenarios[0] has no name"},
		{"unnamed variant", `{"schema":"weakscope/results/v1","scenarios":[{"name":"s","variants":[{"metrics":{"entries":1}}]}]}`, "variants[0] has no name"},
		{"no metrics", `{"schema":"weakscope/results/v1","scenarios":[{"name":"s","variants":[{"variant":"v"}]}]}`, "neither metrics nor an error"},
		{"negative entries", `{"schema":"weakscope/results/v1","scenarios":[{"name":"s","variants":[{"variant":"v","metrics":{"entries":-1}}]}]}`, "entries = -1"},
		{"negative objects", `{"schema":"weakscope/results/v1","scenarios":[{"name":"s","params":{"objects":-5},"variants":[]}]}`, "negative or impossible parameters"},
		{"negative runs", `{"schema":"weakscope/results/v1","scenarios":[{"name":"s","variants":[{"variant":"v","runs":-2,"metrics":{"entries":1}}]}]}`, "-2 runs"},
		// encoding/json keeps the last of two equal keys: a median could
		// then lie outside its own range.
		{"duplicate metric", `{"schema":"weakscope/results/v1","scenarios":[{"name":"s","variants":[{"variant":"v","metrics":{"retained_bytes":1,"retained_bytes":2}}]}]}`,
			`duplicate key "retained_bytes" in scenarios[0].variants[0].metrics at offset 115`},
		{"duplicate top-level key", `{"schema":"weakscope/results/v1","schema":"weakscope/results/v1","scenarios":[]}`, `duplicate key "schema" in the top-level object`},
		{"trailing garbage", `{"schema":"weakscope/results/v1","scenarios":[{"name":"s","variants":[{"variant":"v","metrics":{"entries":1}}]}]} }`, "data after the document at offset 114"},
		{"second document", `{"schema":"weakscope/results/v1","scenarios":[{"name":"s","variants":[{"variant":"v","metrics":{"entries":1}}]}]}` + "\n{}", "data after the document at offset"},
		{"empty", "  \n", "the file is empty"},
	} {
		_, err := report.Decode(bytes.NewReader([]byte(tc.doc)))
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
}

package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/weakscope/weakscope/report"
)

// pipeTimeout bounds how long a results file that is not a regular file
// (a named pipe, <(…), a device) may take to deliver: a pipe that nobody
// writes to would otherwise block the command forever.
var pipeTimeout = 5 * time.Second

// readResultsFile reads and checks a results file like report.ReadFile,
// but gives up on a pipe that delivers nothing within pipeTimeout. Errors
// name the file.
func readResultsFile(name string) (*report.Results, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if fi.Mode().IsRegular() || fi.IsDir() {
		return report.ReadFile(name)
	}
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		// Opening a named pipe blocks until a writer opens it; the
		// goroutine is left behind if none ever does, and ends with the
		// process.
		f, err := os.Open(name)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("%s: %w", name, r.err)
		}
		res, err := report.Decode(bytes.NewReader(r.data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return res, nil
	case <-time.After(pipeTimeout):
		return nil, fmt.Errorf("%s: nothing to read within %v (a named pipe with no writer?); give a file, or a pipe that delivers", name, pipeTimeout)
	}
}

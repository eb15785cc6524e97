package cli

import (
	"bytes"
	"errors"
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
// but gives up on a pipe that delivers nothing within pipeTimeout, from
// opening it to its end. Errors name the file.
func readResultsFile(name string) (*report.Results, error) {
	start := time.Now()
	f, err := openWithin(name, pipeTimeout)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		// A pipe's reads wait on the poller, so a deadline bounds them.
		f.SetReadDeadline(start.Add(pipeTimeout))
	}
	data, err := io.ReadAll(f)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return nil, fmt.Errorf("%s: nothing to read within %v (a named pipe with no writer?); give a file, or a pipe that delivers", name, pipeTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	res, err := report.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return res, nil
}

// openWithin opens name, giving up after d when it is a pipe that no one
// writes to (opening one blocks until a writer comes).
func openWithin(name string, d time.Duration) (*os.File, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory", name)
	}
	if fi.Mode().IsRegular() {
		return os.Open(name)
	}
	type result struct {
		f   *os.File
		err error
	}
	done := make(chan result, 1)
	go func() {
		f, err := os.Open(name)
		done <- result{f, err}
	}()
	select {
	case r := <-done:
		return r.f, r.err
	case <-time.After(d):
		// Should a writer come after all, close what it opened.
		go func() {
			if r := <-done; r.f != nil {
				r.f.Close()
			}
		}()
		return nil, fmt.Errorf("%s: nothing to read within %v (a named pipe with no writer?)", name, d)
	}
}

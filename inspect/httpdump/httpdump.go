// Package httpdump serves heap dumps of a running program over HTTP, for
// "weakscope heap" to analyse. It is apart from package inspect so that
// importing inspect does not bring in net/http.
package httpdump

import (
	"errors"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"

	"github.com/weakscope/weakscope/inspect"
)

// Handler returns an HTTP handler that serves a heap dump of this process:
// mount it beside net/http/pprof,
//
//	mux.Handle("/debug/heapdump", httpdump.Handler(""))
//
// fetch it with "curl -o heap.dump http://…/debug/heapdump" and analyse it
// with "weakscope heap heap.dump --exe ./yourprogram". Each request runs a
// GC cycle, writes the dump to a temporary file in dir (os.TempDir when
// ""), streams it and removes it (inspect.WriteHeapDumpFile). Writing a
// dump stops the world for as long as it takes and needs about the live
// heap's size on disk: a request is refused with 507 Insufficient Storage
// when that room is not there, with 503 while another dump is being
// written, and with 405 for a method other than GET or HEAD.
func Handler(dir string) http.Handler {
	var busy sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "heap dump: GET only", http.StatusMethodNotAllowed)
			return
		}
		if !busy.TryLock() {
			http.Error(w, "heap dump: another dump is being written; try again", http.StatusServiceUnavailable)
			return
		}
		defer busy.Unlock()
		f, err := inspect.WriteHeapDumpFile(dir)
		if err != nil {
			status := http.StatusInternalServerError
			if errors.Is(err, inspect.ErrNoRoom) {
				status = http.StatusInsufficientStorage
			}
			http.Error(w, "heap dump: "+err.Error(), status)
			return
		}
		defer os.Remove(f.Name())
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			http.Error(w, "heap dump: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="heap.dump"`)
		w.Header().Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
		w.Header().Set("X-Go-Version", runtime.Version())
		if r.Method == http.MethodHead {
			return
		}
		io.Copy(w, f)
	})
}

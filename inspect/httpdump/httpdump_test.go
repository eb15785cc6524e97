package httpdump_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/inspect/heapdump"
	"github.com/weakscope/weakscope/inspect/httpdump"
	"github.com/weakscope/weakscope/internal/tmpfs"
)

// The handler serves a dump that the analysis reads, and refuses what it
// cannot do.
func TestHandler(t *testing.T) {
	dir := t.TempDir()
	srv := httptest.NewServer(httpdump.Handler(dir))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Length") == "" {
		t.Fatalf("status %d, headers %v", resp.StatusCode, resp.Header)
	}
	d, err := heapdump.Read(bufio.NewReader(resp.Body))
	if err != nil {
		t.Fatalf("the served dump does not read: %v", err)
	}
	if _, err := inspect.AnalyzeHeap(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("dump files left behind: %v", left)
	}

	post, err := http.Post(srv.URL, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d", post.StatusCode)
	}
}

// No room for the dump: 507, and nothing left behind.
func TestHandlerNoRoom(t *testing.T) {
	dir := tmpfs.Mount(t, "128k")
	rec := httptest.NewRecorder()
	httpdump.Handler(dir).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/heapdump", nil))
	if rec.Code != http.StatusInsufficientStorage {
		t.Errorf("status %d, body %q", rec.Code, rec.Body.String())
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("dump files left behind: %v", left)
	}
}

package httpdump_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/weakscope/weakscope/inspect/httpdump"
)

// Mount the handler beside net/http/pprof; here a test server stands in
// for the service.
func ExampleHandler() {
	mux := http.NewServeMux()
	mux.Handle("/debug/heapdump", httpdump.Handler(""))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/debug/heapdump")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	head := make([]byte, 16)
	if _, err := io.ReadFull(resp.Body, head); err != nil {
		panic(err)
	}
	fmt.Printf("%d %s %q\n", resp.StatusCode, resp.Header.Get("Content-Type"), head)
	// Output: 200 application/octet-stream "go1.7 heap dump\n"
}

package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHTTPServerTimeouts(t *testing.T) {
	srv := newHTTPServer(":0", http.NotFoundHandler())
	if srv.ReadHeaderTimeout == 0 || srv.ReadTimeout == 0 || srv.IdleTimeout == 0 || srv.WriteTimeout == 0 {
		t.Fatalf("unbounded server: %+v", srv)
	}
	// verify-webhook-endpoint answers after at most 30 s + 10 s of waiting.
	if srv.WriteTimeout <= 40*time.Second {
		t.Fatalf("write timeout %s would cut off verify-webhook-endpoint", srv.WriteTimeout)
	}
}

// A client that sends headers and then stalls its body is cut off by the
// read timeout instead of holding the connection forever.
func TestHTTPServerDropsStalledBody(t *testing.T) {
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = bufio.NewReader(r.Body).ReadString(0)
	}))
	ts.Config = newHTTPServer("", ts.Config.Handler)
	ts.Config.ReadTimeout = 300 * time.Millisecond // the production value, scaled down
	ts.Start()
	defer ts.Close()
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = c.Write([]byte("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	// The server answers (or not) and closes: EOF, not our deadline.
	if _, err := io.ReadAll(c); err != nil && strings.Contains(err.Error(), "timeout") {
		t.Fatalf("connection still open after the read timeout: %v", err)
	}
}

func TestPprofHidesCommandLine(t *testing.T) {
	ts := httptest.NewServer(pprofMux())
	defer ts.Close()
	for path, want := range map[string]int{"/debug/pprof/cmdline": http.StatusNotFound, "/debug/pprof/": http.StatusOK} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/pprof"
)

// startPprof serves Go's profiles on addr (when set) until the returned stop
// is called: `go tool pprof http://addr/debug/pprof/profile?seconds=30`.
// Only the long-running commands (serve, worker, dev) start it, so a bench
// parent or a CLI call never takes the port from the process to profile.
func startPprof(ctx context.Context, addr string) (stop func()) {
	if addr == "" {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := serveHTTP(ctx, slog.Default(), "pprof", addr, pprofMux()); err != nil {
			slog.Warn("pprof server stopped", "addr", addr, "err", err)
		}
	}()
	return func() { cancel(); <-done }
}

// pprofMux serves the profiles but not /debug/pprof/cmdline: the command line
// may carry secrets passed as flags.
func pprofMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

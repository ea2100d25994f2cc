package hooklinetest

import (
	"context"
	"testing"
	"time"
)

// RunSources consumes the ingest sources in this process, as a worker
// does, polling settings and flushing counters every 100 ms; it stops when
// the test ends.
func (e *Env) RunSources(t testing.TB) {
	t.Helper()
	r := e.App.SourceRunner
	r.Poll, r.Flush = 100*time.Millisecond, 100*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

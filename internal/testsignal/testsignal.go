// Package testsignal lets tests wait for something product code did instead
// of sleeping (compare river's TestSignals): the code calls Signal, a no-op
// unless a test called Init first; the test waits for the values.
package testsignal

import (
	"testing"
	"time"
)

// Signal carries values of T from product code to a waiting test.
type Signal[T any] struct {
	ch chan T
}

// Init turns the signal on; call it before the code that signals runs.
func (s *Signal[T]) Init() { s.ch = make(chan T, 10_000) }

// Signal records v for a test, never blocking; without Init it does nothing.
func (s *Signal[T]) Signal(v T) {
	if s.ch == nil {
		return
	}
	select {
	case s.ch <- v:
	default: // a test that stopped reading must not stall the product
	}
}

// WaitOrTimeout returns the next value, failing the test after timeout.
func (s *Signal[T]) WaitOrTimeout(t testing.TB, timeout time.Duration) T {
	t.Helper()
	select {
	case v := <-s.ch:
		return v
	case <-time.After(timeout):
		t.Fatalf("no signal within %s", timeout)
		var zero T
		return zero
	}
}

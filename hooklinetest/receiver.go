package hooklinetest

import (
	"net/http/httptest"
	"testing"

	"github.com/hookline/hookline/internal/receiver"
)

// Receiver is a webhook receiver on its own test server (receiver.Receiver:
// records requests, verifies signatures with the official Standard Webhooks
// library, answers as its handler says).
type Receiver struct {
	*httptest.Server
	*receiver.Receiver
}

// NewReceiver starts a receiver, closed when the test ends.
func NewReceiver(t testing.TB) *Receiver {
	rc := receiver.New(receiver.Options{KeepRequests: true})
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return &Receiver{Server: srv, Receiver: rc}
}

// Echo answers verification challenges correctly.
var Echo = receiver.Echo

// Handler answers request n (0-based) of a Receiver.
type Handler = receiver.Handler

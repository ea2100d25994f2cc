package testenv

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Request is one request a Receiver got.
type Request struct {
	Header http.Header
	Body   []byte
	// Verified lists which of the receiver's secrets verified the request
	// with the official standardwebhooks library.
	Verified []bool
}

// Receiver is a webhook receiver: it records requests, checks signatures with
// the official Standard Webhooks library and answers as its Handler says.
type Receiver struct {
	*httptest.Server
	mu      sync.Mutex
	secrets []string
	reqs    []Request
	handler Handler
}

// Handler answers request n (0-based) of a Receiver.
type Handler func(n int, w http.ResponseWriter, r *http.Request, body []byte)

// SetHandler sets how requests are answered from now on; nil answers 204.
func (rc *Receiver) SetHandler(h Handler) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.handler = h
}

// NewReceiver starts a receiver, closed when the test ends.
func NewReceiver(t testing.TB) *Receiver {
	rc := &Receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

// SetSecrets sets the secrets each request is verified against.
func (rc *Receiver) SetSecrets(secrets ...string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secrets = secrets
}

func (rc *Receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	req := Request{Header: r.Header.Clone(), Body: body}
	for _, s := range rc.secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		req.Verified = append(req.Verified, err == nil && wh.Verify(body, r.Header) == nil)
	}
	n := len(rc.reqs)
	rc.reqs = append(rc.reqs, req)
	h := rc.handler
	rc.mu.Unlock()
	if h == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h(n, w, r, body)
}

// Requests returns a copy of what was received so far.
func (rc *Receiver) Requests() []Request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Request(nil), rc.reqs...)
}

// Count is the number of requests received.
func (rc *Receiver) Count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.reqs)
}

// Echo answers verification challenges correctly.
func Echo(_ int, w http.ResponseWriter, _ *http.Request, body []byte) {
	var in struct {
		Challenge string `json:"challenge"`
	}
	_ = json.Unmarshal(body, &in)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"challenge": in.Challenge})
}

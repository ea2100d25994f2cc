// Package receiver is the one webhook receiver of the tests and the bench:
// an http.Handler that records what arrives, verifies Standard Webhooks
// signatures with the official library, counts arrivals by webhook-id, and
// answers as its handler says.
package receiver

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Request is one request a Receiver got.
type Request struct {
	Path   string
	Header http.Header
	Body   []byte
	// Verified lists which of the secrets verified the request.
	Verified []bool
	At       time.Time
}

// Handler answers request n (0-based).
type Handler func(n int, w http.ResponseWriter, r *http.Request, body []byte)

// Stats count arrivals by webhook-id; verified means by at least one secret.
type Stats struct {
	Received      int `json:"received"`
	Unique        int `json:"unique"` // verified, distinct webhook-ids
	Duplicates    int `json:"duplicates"`
	BadSignatures int `json:"bad_signatures"`
	Unchecked     int `json:"unchecked"` // no secret to check them with
}

// Receiver records and answers webhook requests. The zero value is not
// usable: call New.
type Receiver struct {
	mu         sync.Mutex
	secrets    []string
	secretsFor func(*http.Request) []string
	handler    Handler
	keep       bool
	reject     bool
	reqs       []Request
	stats      Stats
	first      map[string]time.Time // webhook-id → first verified arrival
}

// Options shape a Receiver.
type Options struct {
	// KeepRequests records every request (Requests); off, only the counts
	// and first arrivals are kept (the bench's many requests).
	KeepRequests bool
	// RejectUnverified answers 401, without calling the handler, when no
	// secret verifies a request that had secrets to check.
	RejectUnverified bool
}

// New returns a receiver answering 204 until told otherwise.
func New(o Options) *Receiver {
	return &Receiver{keep: o.KeepRequests, reject: o.RejectUnverified, first: map[string]time.Time{}}
}

// SetSecrets sets the secrets every request is verified against.
func (rc *Receiver) SetSecrets(secrets ...string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secrets = secrets
}

// SetSecretsFunc picks the secrets per request (e.g. by path) instead.
func (rc *Receiver) SetSecretsFunc(f func(*http.Request) []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secretsFor = f
}

// SetHandler sets how requests are answered from now on; nil answers 204.
func (rc *Receiver) SetHandler(h Handler) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.handler = h
}

// ServeHTTP records, verifies and answers one request.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	secrets, secretsFor := rc.secrets, rc.secretsFor
	rc.mu.Unlock()
	if secretsFor != nil {
		secrets = secretsFor(r)
	}
	req := Request{Path: r.URL.Path, Header: r.Header.Clone(), Body: body, At: at}
	verified := false
	for _, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		ok := err == nil && wh.Verify(body, r.Header) == nil
		req.Verified = append(req.Verified, ok)
		verified = verified || ok
	}
	rc.mu.Lock()
	n := rc.stats.Received
	rc.count(req, verified)
	h := rc.handler
	rc.mu.Unlock()
	if rc.reject && len(secrets) > 0 && !verified {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if h == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h(n, w, r, body)
}

// count updates the stats with req; rc.mu is held.
func (rc *Receiver) count(req Request, verified bool) {
	rc.stats.Received++
	if rc.keep {
		rc.reqs = append(rc.reqs, req)
	}
	if !verified {
		if len(req.Verified) > 0 {
			rc.stats.BadSignatures++
		} else {
			rc.stats.Unchecked++
		}
		return
	}
	id := req.Header.Get("webhook-id")
	if _, seen := rc.first[id]; seen {
		rc.stats.Duplicates++
		return
	}
	rc.first[id] = req.At
	rc.stats.Unique++
}

// Requests returns a copy of what was received so far (KeepRequests).
func (rc *Receiver) Requests() []Request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Request(nil), rc.reqs...)
}

// Count is the number of requests received.
func (rc *Receiver) Count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.stats.Received
}

// Stats returns the counts so far.
func (rc *Receiver) Stats() Stats {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.stats
}

// FirstArrivals returns when each verified webhook-id first arrived.
func (rc *Receiver) FirstArrivals() map[string]time.Time {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make(map[string]time.Time, len(rc.first))
	for k, v := range rc.first {
		out[k] = v
	}
	return out
}

// Reset forgets every request and count.
func (rc *Receiver) Reset() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.reqs, rc.stats, rc.first = nil, Stats{}, map[string]time.Time{}
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

// Status answers every request with code.
func Status(code int) Handler {
	return func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(code) }
}

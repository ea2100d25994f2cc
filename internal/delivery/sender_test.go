package delivery

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// refreshing hands out "Bearer 1", then "Bearer 2", … on each refresh.
type refreshing struct{ n atomic.Int32 }

func (r *refreshing) Authorization(context.Context) (string, error) {
	return "Bearer " + string(rune('0'+r.n.Load())), nil
}

func (r *refreshing) Refresh(ctx context.Context, _ string) (string, bool, error) {
	r.n.Add(1)
	v, err := r.Authorization(ctx)
	return v, true, err
}

type failing struct{}

func (failing) Authorization(context.Context) (string, error) {
	return "", errors.New("token endpoint answered HTTP 500")
}
func (failing) Refresh(context.Context, string) (string, bool, error) {
	return "", false, nil
}

func TestSendAuthAndHeaders(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	sent := func() []string { mu.Lock(); defer mu.Unlock(); return slices.Clone(seen) }
	reset := func() { mu.Lock(); defer mu.Unlock(); seen = nil }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Team") != "core" || r.Header.Get("webhook-signature") == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if r.Header.Get("Authorization") != "Bearer 1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	s := &Sender{Client: srv.Client(), UserAgent: "test"}
	req := Request{URL: srv.URL, MsgID: "msg_1", Body: []byte(`{}`), Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		Headers: map[string]string{"X-Team": "core", "Content-Type": "text/plain"}}

	auth := &refreshing{}
	req.Auth = auth
	out := s.Send(context.Background(), req)
	if !out.OK() || !slices.Equal(sent(), []string{"Bearer 0", "Bearer 1"}) {
		t.Fatalf("401 then refresh: %+v, sent %v", out, sent())
	}
	if !slices.Contains(out.Headers, "authorization") || !slices.Contains(out.Headers, "x-team") {
		t.Fatalf("header names %v", out.Headers)
	}

	// A credential that cannot be refreshed: the 401 is the outcome.
	reset()
	req.Auth = BearerAuth("0")
	if out := s.Send(context.Background(), req); out.Code != http.StatusUnauthorized || len(sent()) != 1 {
		t.Fatalf("static bearer: %+v, %d requests", out, len(sent()))
	}

	// No credential, no request: auth_error, retryable.
	reset()
	req.Auth = failing{}
	out = s.Send(context.Background(), req)
	if !out.AuthError || !out.Retryable || out.Class() != "auth_error" || out.Reason != "auth_error: token endpoint answered HTTP 500" || len(sent()) != 0 {
		t.Fatalf("failing auth: %+v, %d requests", out, len(sent()))
	}
}

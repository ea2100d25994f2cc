package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookline/hookline/internal/receiver"
)

// Receiver is the bench's webhook receiver, run in its own process so its CPU
// is not counted as Hookline's: the shared receiver.Receiver behind a small
// control API. POST /hook/<name> verifies the signature with the secret
// registered for <name> (401 when it fails) and answers 204; POST
// /fail/<name> answers 503 (parked retries). GET /_stats reports arrivals.
type Receiver struct {
	mu      sync.Mutex
	secrets map[string]string
	rc      *receiver.Receiver
	hanging atomic.Int64
	// tokens counts OAuth2 tokens issued by POST /token; /auth/ accepts
	// any issued one (each endpoint holds its own).
	tokens atomic.Int64
	issued sync.Map
	traces atomic.Int64
	// modes make /hook/<name> hang or fail for a while (the chaos phase);
	// answered counts the 2xx answers per webhook-id.
	modes    map[string]string
	answered map[string]int
}

// ReceiverStats is what GET /_stats returns.
type ReceiverStats struct {
	Received      int              `json:"received"`
	Unique        int              `json:"unique"`
	Duplicates    int              `json:"duplicates"`
	BadSignatures int              `json:"bad_signatures"`
	Failed        int              `json:"failed"`
	Hanging       int64            `json:"hanging"`            // requests to /hang/ held open now
	TokenFetches  int64            `json:"token_fetches"`      // OAuth2 tokens issued
	TraceExports  int64            `json:"trace_exports"`      // OTLP trace exports received (and dropped)
	Arrivals      map[string]int64 `json:"arrivals,omitempty"` // webhook-id → first arrival, unix ns
	// Answered2xx counts webhook-ids answered 2xx at least once;
	// Duplicates2xx the 2xx answers beyond the first of each (a delivery
	// received and accepted twice).
	Answered2xx   int `json:"answered_2xx"`
	Duplicates2xx int `json:"duplicates_2xx"`
}

// Serve runs the receiver on addr until ctx ends.
func (b *Receiver) Serve(ctx context.Context, addr string) error {
	b.secrets, b.modes, b.answered = map[string]string{}, map[string]string{}, map[string]int{}
	b.rc = receiver.New(receiver.Options{RejectUnverified: true})
	b.rc.SetSecretsFunc(func(r *http.Request) []string {
		b.mu.Lock()
		defer b.mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/hook/") || strings.HasPrefix(r.URL.Path, "/auth/") {
			return []string{b.secrets[r.PathValue("name")]} // none registered: a bad signature
		}
		return nil
	})
	b.rc.SetHandler(func(_ int, w http.ResponseWriter, r *http.Request, _ []byte) {
		if strings.HasPrefix(r.URL.Path, "/fail/") {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if _, ok := b.issued.Load(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")); strings.HasPrefix(r.URL.Path, "/auth/") && !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		b.mu.Lock()
		mode := b.modes[r.PathValue("name")]
		if mode == "" {
			b.answered[r.Header.Get("webhook-id")]++
		}
		b.mu.Unlock()
		switch mode {
		case "hang": // until the sender gives up
			<-r.Context().Done()
		case "fail":
			w.WriteHeader(http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	mux := http.NewServeMux()
	mux.Handle("POST /hook/{name}", b.rc)
	// Chaos: {"name": …, "mode": "hang" | "fail" | ""} switches /hook/<name>.
	mux.HandleFunc("POST /_mode", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Name, Mode string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		b.mu.Lock()
		b.modes[in.Name] = in.Mode
		b.mu.Unlock()
	})
	mux.Handle("POST /fail/{name}", b.rc)
	// Receivers behind OAuth2 (the oauth2 phase): /token issues a token
	// per request, /auth/ accepts the latest.
	mux.Handle("POST /auth/{name}", b.rc)
	// An OTLP/HTTP traces sink (the traced phase): read, count, drop. An
	// empty body is a valid empty ExportTraceServiceResponse.
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		b.traces.Add(1)
		w.Header().Set("Content-Type", "application/x-protobuf")
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if id, secret, ok := r.BasicAuth(); !ok || id != "bench" || secret != "bench-secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		tok := "bench-token-" + strconv.FormatInt(b.tokens.Add(1), 10)
		b.issued.Store(tok, true)
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
	})
	// A receiver that accepts the request and never answers (until the
	// client gives up): the noisy neighbour's endpoints.
	mux.HandleFunc("POST /hang/{name}", func(w http.ResponseWriter, r *http.Request) {
		b.hanging.Add(1)
		defer b.hanging.Add(-1)
		<-r.Context().Done()
	})
	mux.HandleFunc("POST /_secrets", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]string
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		b.mu.Lock()
		for k, v := range in {
			b.secrets[k] = v
		}
		b.mu.Unlock()
	})
	mux.HandleFunc("GET /_stats", func(w http.ResponseWriter, r *http.Request) {
		st := b.rc.Stats()
		out := ReceiverStats{Received: st.Received, Unique: st.Unique, Duplicates: st.Duplicates, BadSignatures: st.BadSignatures,
			Failed: st.Unchecked, Hanging: b.hanging.Load(), TokenFetches: b.tokens.Load(), TraceExports: b.traces.Load()}
		b.mu.Lock()
		for _, n := range b.answered {
			out.Answered2xx++
			out.Duplicates2xx += n - 1
		}
		b.mu.Unlock()
		if r.URL.Query().Get("arrivals") == "1" {
			first := b.rc.FirstArrivals()
			out.Arrivals = make(map[string]int64, len(first))
			for k, v := range first {
				out.Arrivals[k] = v.UnixNano()
			}
		}
		_ = json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("POST /_reset", func(http.ResponseWriter, *http.Request) {
		b.rc.Reset()
		b.mu.Lock()
		b.answered = map[string]int{}
		b.mu.Unlock()
	})
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(l); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// receiverClient talks to a receiver process.
type receiverClient struct{ base string }

func (c receiverClient) setSecrets(ctx context.Context, s map[string]string) error {
	b, _ := json.Marshal(s)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/_secrets", bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func (c receiverClient) setMode(ctx context.Context, name, mode string) error {
	b, _ := json.Marshal(map[string]string{"name": name, "mode": mode})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/_mode", bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func (c receiverClient) reset(ctx context.Context) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/_reset", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func (c receiverClient) stats(ctx context.Context, arrivals bool) (ReceiverStats, error) {
	u := c.base + "/_stats"
	if arrivals {
		u += "?arrivals=1"
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ReceiverStats{}, err
	}
	defer resp.Body.Close()
	var st ReceiverStats
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

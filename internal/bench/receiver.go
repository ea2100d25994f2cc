package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/hookline/hookline/internal/signing"
)

// Receiver is the bench's webhook receiver, run in its own process so its CPU
// is not counted as Hookline's. POST /hook/<name> verifies the signature with
// the secret registered for <name> and answers 204; POST /fail/<name> answers
// 503 (parked retries). GET /_stats reports arrivals.
type Receiver struct {
	mu       sync.Mutex
	secrets  map[string]string
	arrivals map[string]int64 // webhook-id → first arrival, unix ns
	received int
	dupes    int
	badSigs  int
	failed   int
}

// ReceiverStats is what GET /_stats returns.
type ReceiverStats struct {
	Received      int              `json:"received"`
	Unique        int              `json:"unique"`
	Duplicates    int              `json:"duplicates"`
	BadSignatures int              `json:"bad_signatures"`
	Failed        int              `json:"failed"`
	Arrivals      map[string]int64 `json:"arrivals,omitempty"`
}

// Serve runs the receiver on addr until ctx ends.
func (rc *Receiver) Serve(ctx context.Context, addr string) error {
	rc.secrets = map[string]string{}
	rc.arrivals = map[string]int64{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hook/{name}", rc.hook)
	mux.HandleFunc("POST /fail/{name}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		rc.mu.Lock()
		rc.failed++
		rc.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	mux.HandleFunc("POST /_secrets", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]string
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		for k, v := range in {
			rc.secrets[k] = v
		}
		rc.mu.Unlock()
	})
	mux.HandleFunc("GET /_stats", func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		st := ReceiverStats{Received: rc.received, Unique: len(rc.arrivals), Duplicates: rc.dupes, BadSignatures: rc.badSigs, Failed: rc.failed}
		if r.URL.Query().Get("arrivals") == "1" {
			st.Arrivals = make(map[string]int64, len(rc.arrivals))
			for k, v := range rc.arrivals {
				st.Arrivals[k] = v
			}
		}
		rc.mu.Unlock()
		_ = json.NewEncoder(w).Encode(st)
	})
	mux.HandleFunc("POST /_reset", func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		rc.arrivals, rc.received, rc.dupes, rc.badSigs, rc.failed = map[string]int64{}, 0, 0, 0, 0
		rc.mu.Unlock()
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

func (rc *Receiver) hook(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	secret := rc.secrets[r.PathValue("name")]
	rc.mu.Unlock()
	ok := secret != "" && signing.Verify(secret, r.Header, body, now, 5*time.Minute) == nil
	id := r.Header.Get(signing.HeaderID)
	rc.mu.Lock()
	rc.received++
	switch {
	case !ok:
		rc.badSigs++
	default:
		if _, seen := rc.arrivals[id]; seen {
			rc.dupes++
		} else {
			rc.arrivals[id] = now.UnixNano()
		}
	}
	rc.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusNoContent)
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

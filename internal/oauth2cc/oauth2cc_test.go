package oauth2cc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/netguard"
)

const secret = "s3cr+t/=:%&é"

// fakeClock is the injectable clock: tests move time, never sleep.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// tokenServer answers with handle; n counts requests from 1.
func tokenServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int32)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var count atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handle(w, r, count.Add(1))
	}))
	t.Cleanup(srv.Close)
	return srv, &count
}

// issue answers tok-n with the given expires_in JSON ("" leaves it out).
func issue(expiresIn string) func(http.ResponseWriter, *http.Request, int32) {
	return func(w http.ResponseWriter, _ *http.Request, n int32) {
		w.Header().Set("Content-Type", "application/json")
		exp := ""
		if expiresIn != "" {
			exp = `,"expires_in":` + expiresIn
		}
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer"%s}`, n, exp)
	}
}

func newCache(srv *httptest.Server, clk *fakeClock) *Cache {
	c := New(srv.Client())
	c.Now = clk.Now
	return c
}

func cfgFor(srv *httptest.Server) Config {
	return Config{TokenURL: srv.URL + "/token", ClientID: "hookline", ClientSecret: secret}
}

func mustToken(t *testing.T, c *Cache, key string, cfg Config) string {
	t.Helper()
	tok, err := c.Token(t.Context(), key, cfg)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	return tok
}

func TestValidAuthMethod(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{AuthMethodBasic: true, AuthMethodPost: true, "": false, "private_key_jwt": false} {
		if got := ValidAuthMethod(s); got != want {
			t.Errorf("ValidAuthMethod(%q) = %v", s, got)
		}
	}
}

func TestRequestEncoding(t *testing.T) {
	t.Parallel()
	const id = "my id:1&x+y"
	tests := []struct {
		name      string
		cfg       Config
		wantBasic bool
		wantForm  url.Values
	}{
		{name: "default is basic", cfg: Config{ClientID: id, ClientSecret: secret}, wantBasic: true,
			wantForm: url.Values{"grant_type": {"client_credentials"}}},
		{name: "basic", cfg: Config{ClientID: id, ClientSecret: secret, AuthMethod: AuthMethodBasic}, wantBasic: true,
			wantForm: url.Values{"grant_type": {"client_credentials"}}},
		{name: "post", cfg: Config{ClientID: id, ClientSecret: secret, AuthMethod: AuthMethodPost},
			wantForm: url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}},
		{name: "scopes and audience", cfg: Config{ClientID: id, ClientSecret: secret, Scopes: []string{"webhooks:write", "read"}, Audience: "https://api.example.com/"},
			wantBasic: true, wantForm: url.Values{"grant_type": {"client_credentials"}, "scope": {"webhooks:write read"}, "audience": {"https://api.example.com/"}}},
		{name: "empty scopes are not sent", cfg: Config{ClientID: id, ClientSecret: secret, Scopes: []string{}}, wantBasic: true,
			wantForm: url.Values{"grant_type": {"client_credentials"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			seen := make(chan *http.Request, 1)
			srv, _ := tokenServer(t, func(w http.ResponseWriter, r *http.Request, n int32) {
				_ = r.ParseForm()
				seen <- r.Clone(context.Background())
				issue("3600")(w, r, n)
			})
			cfg := tc.cfg
			cfg.TokenURL = srv.URL + "/token"
			mustToken(t, newCache(srv, newClock()), "ep", cfg)
			got := <-seen

			if got.Method != http.MethodPost || got.URL.Path != "/token" {
				t.Errorf("request = %s %s", got.Method, got.URL.Path)
			}
			if ct := got.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
				t.Errorf("Content-Type = %q", ct)
			}
			if a := got.Header.Get("Accept"); a != "application/json" {
				t.Errorf("Accept = %q", a)
			}
			user, pass, ok := got.BasicAuth()
			if ok != tc.wantBasic {
				t.Fatalf("Basic auth present = %v, want %v", ok, tc.wantBasic)
			}
			if ok {
				// RFC 6749 §2.3.1: form-encoded inside the Basic credentials.
				if user != url.QueryEscape(id) || pass != url.QueryEscape(secret) {
					t.Errorf("Basic = %q:%q, want form-encoded id and secret", user, pass)
				}
				if strings.Contains(user, " ") || strings.Contains(user, ":") {
					t.Errorf("Basic user %q is not encoded", user)
				}
			}
			if fmt.Sprint(got.PostForm) != fmt.Sprint(tc.wantForm) {
				t.Errorf("form = %v, want %v", got.PostForm, tc.wantForm)
			}
		})
	}
}

func TestConcurrentCallsShareOneFetch(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv, fetches := tokenServer(t, func(w http.ResponseWriter, r *http.Request, n int32) {
		<-release
		issue("3600")(w, r, n)
	})
	c := newCache(srv, newClock())
	cfg := cfgFor(srv)
	var started, done sync.WaitGroup
	toks := make([]string, 50)
	errs := make([]error, 50)
	for i := range toks {
		started.Add(1)
		done.Go(func() {
			started.Done()
			toks[i], errs[i] = c.Token(t.Context(), "ep", cfg)
		})
	}
	started.Wait()
	close(release)
	done.Wait()
	for i := range toks {
		if errs[i] != nil || toks[i] != "tok-1" {
			t.Fatalf("call %d = %q, %v", i, toks[i], errs[i])
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("fetches = %d, want 1", n)
	}
}

func TestExpiryMargin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		expiresIn  string
		stillFresh time.Duration // no refetch this long after the fetch
		stale      time.Duration // refetch from here on
	}{
		{"100 s: 10 % margin", "100", 89 * time.Second, 90 * time.Second},
		{"3600 s: 60 s margin", "3600", 3539 * time.Second, 3540 * time.Second},
		{"quoted number", `"100"`, 89 * time.Second, 90 * time.Second},
		{"absent: 5 min default", "", 269 * time.Second, 270 * time.Second},
		{"zero: default", "0", 269 * time.Second, 270 * time.Second},
		{"garbage: default", `"soon"`, 269 * time.Second, 270 * time.Second},
		{"huge: 24 h cap", "1e12", 24*time.Hour - 61*time.Second, 24*time.Hour - 60*time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, fetches := tokenServer(t, issue(tc.expiresIn))
			clk := newClock()
			c, cfg := newCache(srv, clk), cfgFor(srv)
			t0 := clk.Now()
			mustToken(t, c, "ep", cfg)
			clk.Add(tc.stillFresh)
			if tok := mustToken(t, c, "ep", cfg); tok != "tok-1" || fetches.Load() != 1 {
				t.Fatalf("at +%v: %q after %d fetches, want the cached token", clk.Now().Sub(t0), tok, fetches.Load())
			}
			clk.Add(tc.stale - tc.stillFresh)
			if tok := mustToken(t, c, "ep", cfg); tok != "tok-2" || fetches.Load() != 2 {
				t.Fatalf("at +%v: %q after %d fetches, want a refetch", clk.Now().Sub(t0), tok, fetches.Load())
			}
		})
	}
}

func TestConfigChangeRefetches(t *testing.T) {
	t.Parallel()
	srv, fetches := tokenServer(t, issue("3600"))
	c, base := newCache(srv, newClock()), cfgFor(srv)
	mustToken(t, c, "ep", base)
	changes := []func(*Config){
		func(c *Config) { c.TokenURL += "?v=2" },
		func(c *Config) { c.ClientID += "2" },
		func(c *Config) { c.ClientSecret += "2" },
		func(c *Config) { c.Scopes = []string{"a"} },
		func(c *Config) { c.Scopes = []string{"a", "b"} },
		func(c *Config) { c.Audience = "aud" },
		func(c *Config) { c.AuthMethod = AuthMethodPost },
	}
	for i, change := range changes {
		cfg := base
		change(&cfg)
		if tok := mustToken(t, c, "ep", cfg); tok != fmt.Sprintf("tok-%d", i+2) {
			t.Errorf("change %d reused token %q", i, tok)
		}
	}
	// "" and client_secret_basic are the same method: no refetch.
	cfg := base
	mustToken(t, c, "ep", cfg)
	n := fetches.Load()
	cfg.AuthMethod = AuthMethodBasic
	mustToken(t, c, "ep", cfg)
	if fetches.Load() != n {
		t.Error("explicit client_secret_basic refetched")
	}
	// Endpoints do not share tokens.
	if tok := mustToken(t, c, "other", base); tok == mustToken(t, c, "ep", base) {
		t.Error("two endpoints share a token")
	}
}

func TestInvalidate(t *testing.T) {
	t.Parallel()
	srv, fetches := tokenServer(t, issue("3600"))
	c, cfg := newCache(srv, newClock()), cfgFor(srv)
	old := mustToken(t, c, "ep", cfg)
	c.Invalidate("ep", old)
	cur := mustToken(t, c, "ep", cfg)
	if cur == old || fetches.Load() != 2 {
		t.Fatalf("after Invalidate(current): %q, %d fetches", cur, fetches.Load())
	}
	c.Invalidate("ep", old) // a late 401 for the old token
	c.Invalidate("nope", cur)
	if tok := mustToken(t, c, "ep", cfg); tok != cur || fetches.Load() != 2 {
		t.Fatalf("after Invalidate(old): %q, %d fetches", tok, fetches.Load())
	}
}

func TestConcurrentInvalidateRefetchesOnce(t *testing.T) {
	t.Parallel()
	srv, fetches := tokenServer(t, issue("3600"))
	c, cfg := newCache(srv, newClock()), cfgFor(srv)
	old := mustToken(t, c, "ep", cfg)
	var wg sync.WaitGroup
	toks := make([]string, 50)
	for i := range toks {
		wg.Go(func() { // each got a 401 for old
			c.Invalidate("ep", old)
			toks[i], _ = c.Token(t.Context(), "ep", cfg)
		})
	}
	wg.Wait()
	for i, tok := range toks {
		if tok != "tok-2" {
			t.Fatalf("call %d got %q", i, tok)
		}
	}
	if n := fetches.Load(); n != 2 {
		t.Errorf("fetches = %d, want 2 (one refetch)", n)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		reason string
	}{
		{"500", 500, `{"error":"server_error","error_description":"` + secret + `"}`, "token endpoint answered HTTP 500"},
		{"401 names the OAuth error code", 401, `{"error":"invalid_client","error_description":"bad ` + secret + `"}`, "token endpoint answered HTTP 401 (invalid_client)"},
		{"unknown error code is not quoted", 400, `{"error":"` + secret + `"}`, "token endpoint answered HTTP 400"},
		{"redirect is not followed by this package", 302, ``, "token endpoint answered HTTP 302"},
		{"invalid JSON", 200, `{"access_token":"` + secret, "token response is not valid JSON"},
		{"wrong types", 200, `{"access_token":42}`, "token response is malformed"},
		{"missing access_token", 200, `{"token_type":"bearer","expires_in":3600,"secret":"` + secret + `"}`, "token response has no access_token"},
		{"access_token with CRLF", 200, `{"access_token":"a\r\nX-Evil: 1"}`, "token response has an access_token that is not visible ASCII"},
		{"mac token", 200, `{"access_token":"t","token_type":"mac"}`, `token_type "mac" is not bearer`},
		{"too large", 200, `{"access_token":"t","pad":"` + strings.Repeat("x", MaxResponseBytes) + `"}`, "token response is larger than 64 KiB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, fetches := tokenServer(t, func(w http.ResponseWriter, _ *http.Request, _ int32) {
				if tc.status == 302 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			})
			c := newCache(srv, newClock())
			client := *srv.Client()
			client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			c.Client = &client // as netguard's: a 3xx is the answer
			cfg := cfgFor(srv)
			cfg.TokenURL += "?api_key=querysecret"
			_, err := c.Token(t.Context(), "ep", cfg)
			e := checkError(t, err, tc.reason, srv.URL)
			if e.StatusCode != tc.status {
				t.Errorf("StatusCode = %d, want %d", e.StatusCode, tc.status)
			}
			// A failure is not cached: the next call asks again.
			_, _ = c.Token(t.Context(), "ep", cfg)
			if n := fetches.Load(); n != 2 {
				t.Errorf("fetches = %d, want 2", n)
			}
		})
	}
}

// checkError asserts err is an *Error with reason and nothing secret.
func checkError(t *testing.T, err error, reason, tokenURL string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not *Error", err, err)
	}
	if e.Reason != reason || err.Error() != reason {
		t.Errorf("reason = %q, want %q", err.Error(), reason)
	}
	for _, leak := range []string{secret, url.QueryEscape(secret), "querysecret", tokenURL, "127.0.0.1", "tok-"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error %q leaks %q", err.Error(), leak)
		}
	}
	return e
}

func TestFailedFetchIsNotCached(t *testing.T) {
	t.Parallel()
	srv, fetches := tokenServer(t, func(w http.ResponseWriter, r *http.Request, n int32) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		issue("3600")(w, r, n)
	})
	c, cfg := newCache(srv, newClock()), cfgFor(srv)
	if _, err := c.Token(t.Context(), "ep", cfg); err == nil {
		t.Fatal("first call succeeded")
	}
	if tok := mustToken(t, c, "ep", cfg); tok != "tok-2" || fetches.Load() != 2 {
		t.Errorf("retry = %q after %d fetches", tok, fetches.Load())
	}
}

func TestTransportErrors(t *testing.T) {
	t.Parallel()

	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		cfg := cfgFor(srv)
		cfg.TokenURL += "?api_key=querysecret"
		srv.Close()
		_, err := New(http.DefaultClient).Token(t.Context(), "ep", cfg)
		checkError(t, err, "token endpoint unreachable", srv.URL)
	})

	t.Run("blocked by the SSRF guard", func(t *testing.T) {
		t.Parallel()
		srv, fetches := tokenServer(t, issue("3600"))
		c := New(netguard.New(nil).Client(netguard.ClientOptions{}))
		_, err := c.Token(t.Context(), "ep", cfgFor(srv))
		checkError(t, err, "token endpoint address is not allowed", srv.URL)
		var be *netguard.BlockedError
		if !errors.As(err, &be) || !be.Addr.IsLoopback() {
			t.Errorf("error does not unwrap to the blocked address: %v", err)
		}
		if fetches.Load() != 0 {
			t.Error("the guarded client reached the server")
		}
	})

	t.Run("bad token_url", func(t *testing.T) {
		t.Parallel()
		for _, u := range []string{"ftp://example.com/token", "/token", "http://%zz"} {
			_, err := New(http.DefaultClient).Token(t.Context(), "ep", Config{TokenURL: u, ClientSecret: secret})
			checkError(t, err, "token_url is not an absolute http(s) URL", u)
		}
	})

	t.Run("bad auth_method", func(t *testing.T) {
		t.Parallel()
		_, err := New(http.DefaultClient).Token(t.Context(), "ep", Config{TokenURL: "https://example.com", AuthMethod: "private_key_jwt"})
		checkError(t, err, "auth_method is not supported", "example.com")
	})
}

// hang answers only when the test ends (or the client goes away).
func hang(t *testing.T) (*httptest.Server, *atomic.Int32) {
	release := make(chan struct{})
	srv, n := tokenServer(t, func(w http.ResponseWriter, r *http.Request, n int32) {
		select {
		case <-release:
			issue("3600")(w, r, n)
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	return srv, n
}

func TestCallerDeadline(t *testing.T) {
	t.Parallel()
	srv, _ := hang(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err := newCache(srv, newClock()).Token(ctx, "ep", cfgFor(srv))
	checkError(t, err, "token endpoint timeout", srv.URL)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error does not wrap context.DeadlineExceeded: %v", err)
	}

	// An already expired context does not start a fetch.
	srv2, fetches := tokenServer(t, issue("3600"))
	_, err = newCache(srv2, newClock()).Token(ctx, "ep", cfgFor(srv2))
	checkError(t, err, "token endpoint timeout", srv2.URL)
	if fetches.Load() != 0 {
		t.Error("expired context fetched")
	}
}

func TestFetchTimeout(t *testing.T) {
	t.Parallel()
	srv, _ := hang(t)
	c := newCache(srv, newClock())
	c.FetchTimeout = 20 * time.Millisecond
	_, err := c.Token(t.Context(), "ep", cfgFor(srv))
	checkError(t, err, "token endpoint timeout", srv.URL)
}

// The caller that starts a fetch giving up must not fail the others.
func TestStarterCancelDoesNotFailOthers(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}), make(chan struct{})
	srv, fetches := tokenServer(t, func(w http.ResponseWriter, r *http.Request, n int32) {
		close(arrived)
		<-release
		issue("3600")(w, r, n)
	})
	c, cfg := newCache(srv, newClock()), cfgFor(srv)
	ctx, cancel := context.WithCancel(t.Context())
	starter := make(chan error, 1)
	go func() { _, err := c.Token(ctx, "ep", cfg); starter <- err }()
	<-arrived
	cancel()
	checkError(t, <-starter, "token request canceled", srv.URL)

	other := make(chan string, 1)
	go func() { tok, _ := c.Token(t.Context(), "ep", cfg); other <- tok }()
	close(release)
	if tok := <-other; tok != "tok-1" || fetches.Load() != 1 {
		t.Errorf("other caller got %q after %d fetches", tok, fetches.Load())
	}
}

func TestCacheIsBounded(t *testing.T) {
	t.Parallel()
	srv, _ := tokenServer(t, issue("100"))
	clk := newClock()
	c, cfg := newCache(srv, clk), cfgFor(srv)
	c.MaxEntries = 2
	for _, ep := range []string{"a", "b", "c"} {
		mustToken(t, c, ep, cfg)
		clk.Add(time.Second)
	}
	if len(c.entries) != 2 {
		t.Fatalf("entries = %d, want 2", len(c.entries))
	}
	if _, ok := c.entries["a"]; ok {
		t.Error("the entry due soonest (a) was kept")
	}
	// Stale entries go first, all of them.
	clk.Add(time.Hour)
	mustToken(t, c, "d", cfg)
	if _, ok := c.entries["d"]; len(c.entries) != 1 || !ok {
		t.Errorf("entries = %v, want only d", c.entries)
	}
	// Refreshing an endpoint replaces its entry, never evicts another.
	clk.Add(time.Hour)
	mustToken(t, c, "e", cfg)
	clk.Add(time.Hour)
	mustToken(t, c, "e", cfg)
	if _, ok := c.entries["d"]; len(c.entries) != 2 || !ok {
		t.Errorf("entries = %v, want d and e", c.entries)
	}
}

// Package oauth2cc gets OAuth 2.0 client-credentials access tokens (RFC 6749
// §4.4) for deliveries to endpoints whose receiver auth is
// oauth2_client_credentials, and caches one token per endpoint.
//
// It never logs. Its errors are *Error, whose message is safe to show the
// tenant: it never holds the client secret, a token, the token URL or the
// token endpoint's response body.
package oauth2cc

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/hookline/hookline/internal/netguard"
)

// The client authentication methods (RFC 6749 §2.3.1).
const (
	AuthMethodBasic = "client_secret_basic" // HTTP Basic; the default
	AuthMethodPost  = "client_secret_post"  // client_id and client_secret in the form
)

// ValidAuthMethod reports whether s names a supported auth method. Config
// treats "" as AuthMethodBasic, but "" is not a name.
func ValidAuthMethod(s string) bool { return s == AuthMethodBasic || s == AuthMethodPost }

const (
	// DefaultMaxEntries bounds a Cache whose MaxEntries is unset.
	DefaultMaxEntries = 10_000
	// DefaultFetchTimeout bounds a token request when FetchTimeout is unset.
	DefaultFetchTimeout = 30 * time.Second
	// DefaultLifetime is assumed when a response has no usable expires_in
	// (RFC 6749 makes it optional): short, so a token of unknown life is not
	// reused for long.
	DefaultLifetime = 5 * time.Minute
	// MaxLifetime caps expires_in, so a token the server later revokes is
	// not kept for days (and the arithmetic cannot overflow).
	MaxLifetime = 24 * time.Hour
	// MaxResponseBytes bounds the token endpoint's response body.
	MaxResponseBytes = 64 << 10
	// maxMargin caps how long before expiry a token is refreshed.
	maxMargin = 60 * time.Second
)

// Config is an endpoint's token request.
type Config struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	Scopes       []string // sent space-joined as scope, when not empty
	Audience     string   // sent as audience (an Auth0-style extension), when set
	AuthMethod   string   // AuthMethodBasic (also when "") or AuthMethodPost
}

func (c Config) authMethod() string {
	if c.AuthMethod == "" {
		return AuthMethodBasic
	}
	return c.AuthMethod
}

// hash identifies the whole config, secret included, so a changed config
// never reuses a token fetched with the old one.
func (c Config) hash() [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	put := func(s string) { // length-prefixed: fields cannot run into each other
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	put(c.TokenURL)
	put(c.ClientID)
	put(c.ClientSecret)
	put(c.Audience)
	put(c.authMethod())
	binary.BigEndian.PutUint64(n[:], uint64(len(c.Scopes)))
	h.Write(n[:])
	for _, s := range c.Scopes {
		put(s)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// Cache fetches tokens and keeps one per endpoint until shortly before it
// expires. Set its fields before first use; it is safe for concurrent use.
type Cache struct {
	// Client sends token requests. It must be the SSRF-guarded delivery
	// client, so token_url passes the same guard as deliveries; its redirect
	// policy applies (netguard's follows none).
	Client *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxEntries bounds the cache; <= 0 means DefaultMaxEntries.
	MaxEntries int
	// FetchTimeout bounds one token request; <= 0 means DefaultFetchTimeout.
	// A request is shared by concurrent callers, so it does not stop when
	// the caller that started it gives up; each caller still returns by its
	// own context's deadline.
	FetchTimeout time.Duration

	mu      sync.Mutex
	entries map[string]entry // by endpoint key: one token per endpoint
	group   singleflight.Group
}

type entry struct {
	hash      [sha256.Size]byte
	token     string
	refreshAt time.Time
}

// New returns a Cache that sends token requests with client.
func New(client *http.Client) *Cache { return &Cache{Client: client} }

// Token returns a bearer token for the endpoint named endpointKey: the
// cached one while it is fresh and was fetched with the same cfg, else a
// new one. Concurrent callers for the same endpoint and cfg share one
// request. Failures are not cached; the error is an *Error.
func (c *Cache) Token(ctx context.Context, endpointKey string, cfg Config) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", contextError(err)
	}
	h := cfg.hash()
	if tok, ok := c.lookup(endpointKey, h); ok {
		return tok, nil
	}
	ch := c.group.DoChan(endpointKey+"\x00"+string(h[:]), func() (any, error) {
		// A flight that ended between our miss and now may have stored one.
		if tok, ok := c.lookup(endpointKey, h); ok {
			return tok, nil
		}
		// Detached from the starter's cancellation: the others share it.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.fetchTimeout())
		defer cancel()
		start := c.now() // lifetime counts from before the request: conservative
		tok, life, err := c.fetch(fctx, cfg)
		if err != nil {
			return "", err
		}
		c.store(endpointKey, entry{hash: h, token: tok, refreshAt: start.Add(life - min(life/10, maxMargin))})
		return tok, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", contextError(ctx.Err())
	}
}

// Invalidate drops the endpoint's cached token if it is still token: the
// receiver answered 401 to it. Only the first of concurrent 401s for the
// same token drops it; the rest find it gone or already replaced, so the
// Token calls that follow share one fetch.
func (c *Cache) Invalidate(endpointKey, token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Constant time like every credential comparison (authn's static check).
	if e, ok := c.entries[endpointKey]; ok && subtle.ConstantTimeCompare([]byte(e.token), []byte(token)) == 1 {
		delete(c.entries, endpointKey)
	}
}

func (c *Cache) lookup(key string, h [sha256.Size]byte) (string, bool) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || e.hash != h || !now.Before(e.refreshAt) {
		return "", false
	}
	return e.token, true
}

func (c *Cache) store(key string, e entry) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[string]entry)
	}
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.maxEntries() {
		c.evictLocked(now)
	}
	c.entries[key] = e
}

// evictLocked makes room for one entry: it drops every stale entry and, if
// the cache is still full, the one due for refresh soonest. It scans the
// whole map, but only when the cache is full and a token was just fetched.
func (c *Cache) evictLocked(now time.Time) {
	var soonest string
	var at time.Time
	for k, e := range c.entries {
		switch {
		case !now.Before(e.refreshAt):
			delete(c.entries, k)
		case at.IsZero() || e.refreshAt.Before(at):
			soonest, at = k, e.refreshAt
		}
	}
	if len(c.entries) >= c.maxEntries() {
		delete(c.entries, soonest)
	}
}

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Cache) maxEntries() int {
	if c.MaxEntries > 0 {
		return c.MaxEntries
	}
	return DefaultMaxEntries
}

func (c *Cache) fetchTimeout() time.Duration {
	if c.FetchTimeout > 0 {
		return c.FetchTimeout
	}
	return DefaultFetchTimeout
}

// Error is a failed token request. Its message is client-safe (fit for an
// attempt's last_error): no secret, token, URL or response body.
type Error struct {
	Reason     string
	StatusCode int // the token endpoint's HTTP status, 0 if it gave none
	err        error
}

func (e *Error) Error() string { return e.Reason }

// Unwrap gives a context error, or the *netguard.BlockedError of a refused
// token_url (its address is for the operator's log, not the tenant).
func (e *Error) Unwrap() error { return e.err }

func contextError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Reason: "token endpoint timeout", err: err}
	}
	return &Error{Reason: "token request canceled", err: err}
}

// fetch asks the token endpoint for a token and its lifetime.
func (c *Cache) fetch(ctx context.Context, cfg Config) (string, time.Duration, error) {
	if c.Client == nil {
		return "", 0, &Error{Reason: "token client not configured"}
	}
	method := cfg.authMethod()
	if !ValidAuthMethod(method) {
		return "", 0, &Error{Reason: "auth_method is not supported"}
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(cfg.Scopes) > 0 {
		form.Set("scope", strings.Join(cfg.Scopes, " "))
	}
	if cfg.Audience != "" {
		form.Set("audience", cfg.Audience)
	}
	if method == AuthMethodPost {
		form.Set("client_id", cfg.ClientID)
		form.Set("client_secret", cfg.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.TokenURL, strings.NewReader(form.Encode()))
	if err != nil || (req.URL.Scheme != "https" && req.URL.Scheme != "http") || req.URL.Host == "" {
		return "", 0, &Error{Reason: "token_url is not an absolute http(s) URL"}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if method == AuthMethodBasic {
		// RFC 6749 §2.3.1: form-encode both before Basic encoding.
		req.SetBasicAuth(url.QueryEscape(cfg.ClientID), url.QueryEscape(cfg.ClientSecret))
	}
	resp, err := c.Client.Do(req)
	if err != nil {
		return "", 0, transportError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		if isTimeout(err) {
			return "", 0, &Error{Reason: "token endpoint timeout", StatusCode: resp.StatusCode, err: context.DeadlineExceeded}
		}
		return "", 0, &Error{Reason: "token response could not be read", StatusCode: resp.StatusCode}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", 0, statusError(resp.StatusCode, body)
	}
	if len(body) > MaxResponseBytes {
		return "", 0, &Error{Reason: "token response is larger than 64 KiB", StatusCode: resp.StatusCode}
	}
	tok, life, reason := parseToken(body)
	if reason != "" {
		return "", 0, &Error{Reason: reason, StatusCode: resp.StatusCode}
	}
	return tok, life, nil
}

// oauthError reports whether s is one of RFC 6749 §5.2's error codes: a
// fixed vocabulary, so safe to quote, unlike error_description (free text).
func oauthError(s string) bool {
	switch s {
	case "invalid_request", "invalid_client", "invalid_grant",
		"unauthorized_client", "unsupported_grant_type", "invalid_scope":
		return true
	}
	return false
}

func statusError(code int, body []byte) error {
	reason := "token endpoint answered HTTP " + strconv.Itoa(code)
	var r struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &r) == nil && oauthError(r.Error) {
		reason += " (" + r.Error + ")"
	}
	return &Error{Reason: reason, StatusCode: code}
}

// parseToken reads a successful token response (RFC 6749 §5.1); reason
// says what is wrong with it.
func parseToken(body []byte) (token string, life time.Duration, reason string) {
	var r struct {
		AccessToken string          `json:"access_token"`
		TokenType   string          `json:"token_type"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return "", 0, "token response is not valid JSON"
		}
		return "", 0, "token response is malformed"
	}
	switch {
	case r.AccessToken == "":
		return "", 0, "token response has no access_token"
	case !visibleASCII(r.AccessToken):
		// It goes into an Authorization header.
		return "", 0, "token response has an access_token that is not visible ASCII"
	case r.TokenType != "" && !strings.EqualFold(r.TokenType, "bearer"):
		tt := r.TokenType
		if len(tt) > 32 {
			tt = tt[:32]
		}
		return "", 0, "token_type " + strconv.QuoteToASCII(tt) + " is not bearer"
	}
	return r.AccessToken, lifetime(r.ExpiresIn), ""
}

// lifetime reads expires_in leniently: a number or a numeric string (some
// servers quote it); anything else, or a non-positive value, means
// DefaultLifetime rather than failing a token that was issued.
func lifetime(raw json.RawMessage) time.Duration {
	s := strings.Trim(string(raw), `"`)
	f, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil || !(f > 0):
		return DefaultLifetime
	case f >= MaxLifetime.Seconds():
		return MaxLifetime
	}
	return time.Duration(f * float64(time.Second))
}

func transportError(err error) error {
	var be *netguard.BlockedError
	var dns *net.DNSError
	switch {
	case errors.As(err, &be):
		return &Error{Reason: "token endpoint address is not allowed", err: be}
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return &Error{Reason: "token endpoint timeout", err: context.DeadlineExceeded}
	case errors.As(err, &dns):
		return &Error{Reason: "token endpoint DNS lookup failed"}
	case strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "x509:"):
		return &Error{Reason: "token endpoint TLS handshake failed"}
	}
	return &Error{Reason: "token endpoint unreachable"}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

func visibleASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

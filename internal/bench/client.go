package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// apiClient calls the Hookline API with the dev tenant's key.
type apiClient struct {
	base, key string
	http      *http.Client
	published atomic.Int64 // events published so far
}

func newAPIClient(base, key string) *apiClient {
	return &apiClient{base: base, key: key, http: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256},
	}}
}

// do sends a request and decodes a 2xx JSON answer into out (when not nil).
func (c *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

type endpoint struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

func (c *apiClient) createEndpoint(ctx context.Context, url string, events []string) (endpoint, error) {
	var ep endpoint
	err := c.do(ctx, http.MethodPost, "/v1/webhooks", map[string]any{"url": url, "events": events}, &ep)
	return ep, err
}

func (c *apiClient) publish(ctx context.Context, id, typ string, payload map[string]any) error {
	if err := c.do(ctx, http.MethodPost, "/v1/events", map[string]any{"id": id, "type": typ, "payload": payload}, nil); err != nil {
		return err
	}
	c.published.Add(1)
	return nil
}

// rawJSON is a request body sent as is.
type rawJSON string

// MarshalJSON returns the body unchanged.
func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

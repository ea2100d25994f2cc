// Package browsertest drives Debian's headless Chromium from Go tests
// (chromedp), with the flags this machine's closed network needs, and records
// every request a page makes so tests can prove it fetched nothing from
// another host.
package browsertest

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Browser is one headless Chromium tab.
type Browser struct {
	Ctx  context.Context
	mu   sync.Mutex
	urls []string
}

// chromium finds the browser binary; CI (HOOKLINE_REQUIRE_BROWSER=1) fails
// without one instead of skipping.
func chromium(t testing.TB) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("HOOKLINE_REQUIRE_BROWSER") != "" {
		t.Fatal("no chromium on PATH (apt-get install chromium); .ci/run installs it")
	}
	t.Skip("no chromium on PATH (apt-get install chromium)")
	return ""
}

// New starts Chromium for the test (closed at its end) with a window of
// width × height pixels.
func New(t testing.TB, width, height int) *Browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelTab(); cancelAlloc() })
	b := &Browser{Ctx: ctx}
	if err := chromedp.Do(ctx); err != nil { // starts the browser and the tab
		t.Fatalf("start chromium: %v", err)
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			b.mu.Lock()
			b.urls = append(b.urls, e.Request.URL)
			b.mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	return b
}

// Do runs chromedp steps in the tab, failing the test on error.
func (b *Browser) Do(t testing.TB, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.Ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// Run runs one chromedp action in b's tab and returns its value, failing
// the test on error.
func Run[T any](t testing.TB, b *Browser, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(b.Ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Requests returns every URL the tab requested so far.
func (b *Browser) Requests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.urls...)
}

// Foreign returns the requested URLs whose host is not host (data: and
// about: URLs aside).
func (b *Browser) Foreign(host string) []string {
	var out []string
	for _, raw := range b.Requests() {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "data" && u.Scheme != "about" && u.Scheme != "blob" && u.Host != host) {
			out = append(out, raw)
		}
	}
	return out
}

package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/internal/browsertest"
)

// absoluteRef finds src/href attributes and url() references to any host.
var absoluteRef = regexp.MustCompile(`(?i)(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//`)

// /docs works offline: its page and assets come from this server only. The
// page is loaded in headless Chromium, which must render the operations
// without a single request to another host.
func TestDocsServeOnlyEmbeddedAssets(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(api.New(api.Deps{Version: "test"}).Handler())
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/docs")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || absoluteRef.Match(page) {
		t.Fatalf("/docs: %d, references another host: %v", resp.StatusCode, absoluteRef.FindAllString(string(page), -1))
	}

	b := browsertest.New(t, 1280, 900)
	b.Do(t, chromedp.Navigate(srv.URL+"/docs"), chromedp.WaitVisible(chromedp.CSS(`.opblock`)))
	ops := browsertest.Run(t, b, chromedp.Evaluate[int](`document.querySelectorAll('.opblock').length`))
	if ops < 30 {
		t.Fatalf("docs rendered %d operations", ops)
	}
	u, _ := url.Parse(srv.URL)
	if foreign := b.Foreign(u.Host); len(foreign) > 0 {
		t.Fatalf("/docs fetched from other hosts: %v", foreign)
	}
}

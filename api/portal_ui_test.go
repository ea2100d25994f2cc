package api_test

import (
	"context"
	"encoding/json"
	"maps"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/browsertest"
)

// The tenant portal in headless Chromium: the page (internal/portalui)
// against the whole stack, driven only through stable ids and data-testid
// attributes, never through visible text.

// uiCSS selects by CSS; uiID selects by data-testid.
func uiCSS(s string) chromedp.CSS { return chromedp.CSS(s) }
func uiID(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

// uiLink asks for a portal link for tenant (POST create-portal-session
// with its admin token).
func uiLink(t *testing.T, env *hooklinetest.Env, tenant hooklinetest.Tenant, body map[string]any) string {
	t.Helper()
	r := env.Do(http.MethodPost, "/admin/v1/tenants/"+tenant.ID.String()+"/portal-sessions", tenant.AdminToken, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create portal session: %d %s", r.Status, r.Body)
	}
	var out struct {
		URL       string    `json:"url"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	r.JSON(t, &out)
	if !strings.HasPrefix(out.URL, env.URL+"/portal/login?t=") || out.ExpiresAt.Before(time.Now()) {
		t.Fatalf("portal session: %s", r.Body)
	}
	return out.URL
}

// uiOpen opens a new link for tenant in b and waits for the endpoint
// list (a table or the empty state).
func uiOpen(t *testing.T, env *hooklinetest.Env, b *browsertest.Browser, tenant hooklinetest.Tenant) {
	t.Helper()
	uiDo(t, b, chromedp.Navigate(uiLink(t, env, tenant, map[string]any{})),
		chromedp.WaitVisible(uiCSS(`[data-testid="endpoints-table"], [data-testid="no-endpoints"]`)))
}

// uiBrowser starts Chromium with a viewport of exactly width × height CSS
// pixels (a headless window is at least 500 px wide, so a phone's width is
// emulated).
func uiBrowser(t *testing.T, width, height int) *browsertest.Browser {
	t.Helper()
	b := browsertest.New(t, width, height)
	// Any uncaught exception in the page fails the test.
	var mu sync.Mutex
	var exceptions []string
	if err := chromedp.Listen(b.Ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			mu.Lock()
			defer mu.Unlock()
			msg := e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
			exceptions = append(exceptions, msg)
		}
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if len(exceptions) > 0 {
			t.Errorf("uncaught exceptions in the portal page: %v", exceptions)
		}
	})
	var opts []chromedp.EmulateViewportOption
	if width < 600 {
		opts = append(opts, chromedp.EmulateMobile)
	}
	uiDo(t, b, chromedp.EmulateViewport(int64(width), int64(height), opts...))
	return b
}

// uiClear empties the input with id (chromedp.Clear resets only the value
// attribute, which no longer shows once the user typed).
func uiClear(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`document.getElementById('` + id + `').value = ''`)
}

// uiSetText sets the value of the input or textarea with id (faster than
// typing a PEM block key by key).
func uiSetText(id, value string) chromedp.Action[chromedp.Void] {
	js, _ := json.Marshal(value)
	return chromedp.Evaluate[chromedp.Void](`document.getElementById('` + id + `').value = ` + string(js))
}

// uiSelect chooses value in the select with id and fires its change event,
// as a user's choice does (chromedp.SetValue fires none).
func uiSelect(id, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(s => { s.value = '` + value + `'; s.dispatchEvent(new Event('change', {bubbles: true})); })(document.getElementById('` + id + `'))`)
}

// uiDo runs steps like b.Do, each call bounded by 45 s (the browser's own
// deadline is longer), and on failure logs what the page showed.
func uiDo(t *testing.T, b *browsertest.Browser, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(b.Ctx, chromedp.Location())
		text, _ := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
		t.Fatalf("%v\npage %s shows:\n%.3000s", err, loc, text)
	}
}

// uiAwait runs a promise-valued expression in the page and returns its value.
func uiAwait[T any](t *testing.T, b *browsertest.Browser, expr string) T {
	t.Helper()
	return browsertest.Run(t, b, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// uiNoForeign fails the test if the page fetched from another host.
func uiNoForeign(t *testing.T, env *hooklinetest.Env, b *browsertest.Browser) {
	t.Helper()
	u, _ := url.Parse(env.URL)
	if foreign := b.Foreign(u.Host); len(foreign) > 0 {
		t.Fatalf("the portal fetched from other hosts: %v", foreign)
	}
}

// uiUnlabelled lists the form controls on the page that have no label.
func uiUnlabelled(t *testing.T, b *browsertest.Browser) []string {
	t.Helper()
	return browsertest.Run(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('input, select, textarea')]
		.filter(el => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
		.map(el => el.id || el.name || el.outerHTML)`))
}

// uiOverflow is how far the page is wider than its viewport (0: no sideways scrolling).
func uiOverflow(t *testing.T, b *browsertest.Browser) int {
	t.Helper()
	return browsertest.Run(t, b, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
}

// The admin's link opens the tenant's endpoint list, and only that tenant's;
// the token leaves the address bar; server strings are shown as text.
func TestPortalLinkOpensEndpointList(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	const evil = `<img src=x id=injected onerror="document.title='pwned'">`
	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{
		"url": "https://hooks.example.com/portal/list", "events": []string{"comment.created"}, "description": evil,
	})
	other := createEndpoint(t, env, env.Paths(env.B)[0], map[string]any{"url": "https://hooks.example.com/tenant-b", "events": []string{"*"}})

	b := uiBrowser(t, 1280, 900)
	uiOpen(t, env, b, env.A)
	ids := browsertest.Run(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="endpoint-row"]')].map(r => r.dataset.id)`))
	if len(ids) != 1 || ids[0] != ep.ID.String() {
		t.Fatalf("rows %v; want only %s (not tenant B's %s)", ids, ep.ID, other.ID)
	}
	row := `[data-testid="endpoint-row"][data-id="` + ep.ID.String() + `"] `
	if u := browsertest.Run(t, b, chromedp.Text(uiCSS(row+`[data-testid="endpoint-url"]`))); u != ep.URL {
		t.Fatalf("url cell %q", u)
	}
	if h := browsertest.Run(t, b, chromedp.Evaluate[string](`document.querySelector('`+row+`[data-testid="health"]').dataset.health`)); h != "healthy" {
		t.Fatalf("health badge %q", h)
	}
	if v := browsertest.Run(t, b, chromedp.Evaluate[string](`document.querySelector('`+row+`[data-testid="verified"]').dataset.verified`)); v != "no" {
		t.Fatalf("verified %q", v)
	}
	if name := browsertest.Run(t, b, chromedp.Text(uiID("tenant-name"))); name != "tenant-a" {
		t.Fatalf("tenant name %q", name)
	}
	// The description is text, not markup.
	if n := browsertest.Run(t, b, chromedp.Evaluate[int](`document.querySelectorAll('#injected, main img').length`)); n != 0 {
		t.Fatal("an endpoint description was inserted as HTML")
	}
	if txt := browsertest.Run(t, b, chromedp.Text(uiCSS(row+`td[data-label="URL"]`))); !strings.Contains(txt, evil) {
		t.Fatalf("description not shown as text: %q", txt)
	}
	loc := browsertest.Run(t, b, chromedp.Location())
	if strings.Contains(loc, "t=") || !strings.HasPrefix(loc, env.URL+"/portal/") {
		t.Fatalf("address after login: %s", loc)
	}
	if missing := uiUnlabelled(t, b); len(missing) > 0 {
		t.Fatalf("controls without a label: %v", missing)
	}
	uiNoForeign(t, env, b)
}

// Creating an endpoint in the page shows its secret once, and that secret
// signs the test delivery the page sends; then verify, rotate, edit and
// delete it, all from the page.
func TestPortalCreateEndpointShowsSecret(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	rc := hooklinetest.NewReceiver(t)
	rc.SetHandler(hooklinetest.Echo)
	b := uiBrowser(t, 1280, 900)
	uiOpen(t, env, b, env.A)

	// A refused create shows the problem next to the form, naming the field.
	uiDo(t, b, chromedp.Click(uiID("new-endpoint")), chromedp.WaitVisible(uiCSS(`#endpoint-form`)),
		chromedp.Click(uiID("event-comment.created")),
		chromedp.SendKeys(uiCSS(`#ep-description`), "made <b>in</b> the portal"),
		chromedp.SendKeys(uiCSS(`#ep-url`), "ftp://nowhere\n"), // Enter submits: the form works from the keyboard
		chromedp.WaitVisible(uiID("problem-error")),
		chromedp.WaitVisible(uiCSS(`#ep-url[aria-invalid="true"]`)),
	)
	if errs := browsertest.Run(t, b, chromedp.Text(uiCSS(`#page-message`))); !strings.Contains(errs, "body.url") {
		t.Fatalf("problem shown: %q", errs)
	}

	uiDo(t, b, uiClear("ep-url"), chromedp.SendKeys(uiCSS(`#ep-url`), rc.URL+"/hook"),
		chromedp.Click(uiID("endpoint-submit")), chromedp.WaitVisible(uiID("secret-value")))
	secret := browsertest.Run(t, b, chromedp.Text(uiID("secret-value")))
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q", secret)
	}
	var list struct{ Data []api.Endpoint }
	env.Do(http.MethodGet, "/v1/webhooks", env.A.Key, nil).JSON(t, &list)
	if len(list.Data) != 1 || list.Data[0].URL != rc.URL+"/hook" || list.Data[0].Description != "made <b>in</b> the portal" ||
		strings.Join(list.Data[0].Events, ",") != "comment.created" {
		t.Fatalf("endpoints after the form: %s", show(list.Data))
	}
	id := list.Data[0].ID.String()
	if loc := browsertest.Run(t, b, chromedp.Location()); !strings.HasSuffix(loc, "#/endpoints/"+id) {
		t.Fatalf("after create: %s", loc)
	}

	// The test event is signed with the secret the page showed.
	rc.SetSecrets(secret)
	uiDo(t, b, chromedp.Click(uiID("test-button")), chromedp.WaitVisible(uiID("test-delivery-link")))
	env.Eventually(20*time.Second, "the test delivery", func() bool { return rc.Count() == 1 })
	if req := rc.Requests()[0]; !req.Verified[0] {
		t.Fatalf("the test delivery does not verify with the secret the page showed: %v", req.Header)
	}

	// Verify: a live pending state, then the result.
	uiDo(t, b, chromedp.Click(uiID("verify-button")), chromedp.WaitVisible(uiCSS(`#verify-result[data-state="verified"]`)),
		chromedp.WaitVisible(uiCSS(`[data-testid="endpoint-props"] [data-verified="yes"]`)))

	// Rotate (confirmed in the dialog): a new secret, shown once.
	uiDo(t, b, chromedp.Click(uiID("rotate-button")), chromedp.WaitVisible(uiID("confirm-ok")), chromedp.Click(uiID("confirm-ok")))
	rotated := browsertest.Run(t, b, chromedp.Poll[string](`(() => { const v = document.querySelector('[data-testid="secret-value"]');
		return v && v.textContent !== '`+secret+`' ? v.textContent : null })()`))
	if !strings.HasPrefix(rotated, "whsec_") {
		t.Fatalf("rotated secret %q", rotated)
	}

	// Leaving and coming back: the secret is gone for good.
	uiDo(t, b, chromedp.Click(uiCSS(`.breadcrumbs a[href="#/endpoints"]`)), chromedp.WaitVisible(uiID("endpoints-table")),
		chromedp.Click(uiCSS(`[data-testid="endpoint-row"] [data-testid="endpoint-url"]`)), chromedp.WaitVisible(uiID("endpoint-props")))
	if n := browsertest.Run(t, b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="secret-panel"]').length`)); n != 0 {
		t.Fatal("the secret is shown again")
	}

	// Edit: description and one more event type.
	uiDo(t, b, chromedp.Click(uiID("edit-link")), chromedp.WaitVisible(uiCSS(`#endpoint-form`)),
		uiClear("ep-description"), chromedp.SendKeys(uiCSS(`#ep-description`), "edited"),
		chromedp.Click(uiID("event-comment.deleted")), chromedp.Click(uiID("endpoint-submit")),
		chromedp.WaitVisible(uiCSS(`#page-message.success`)))
	var got api.Endpoint
	env.Do(http.MethodGet, "/v1/webhooks/"+id, env.A.Key, nil).JSON(t, &got)
	if got.Description != "edited" || strings.Join(got.Events, ",") != "comment.created,comment.deleted" || got.VerifiedAt == nil {
		t.Fatalf("after edit: %s", show(got))
	}

	// Delete, confirmed in the dialog.
	uiDo(t, b, chromedp.Click(uiID("delete-button")), chromedp.WaitVisible(uiID("confirm-ok")), chromedp.Click(uiID("confirm-ok")),
		chromedp.WaitVisible(uiID("no-endpoints")))
	if r := env.Do(http.MethodGet, "/v1/webhooks/"+id, env.A.Key, nil); r.Status != http.StatusNotFound {
		t.Fatalf("after delete: %d %s", r.Status, r.Body)
	}
	uiNoForeign(t, env, b)
}

// A dead-lettered delivery is replayed from the delivery log and the new row
// (replay_of the old one) appears; the delivery page shows the payload and
// every attempt; recover since… replays the window.
func TestPortalReplayDeadLetter(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t, hooklinetest.Options{Schedule: []time.Duration{200 * time.Millisecond}})
	rc := hooklinetest.NewReceiver(t)
	rc.SetHandler(func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"error":"<script>boom</script>"}`))
	})
	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": rc.URL + "/hook", "events": []string{"comment.created"}})
	epID := ep.ID.String()
	if r := env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "payload": map[string]any{"comment_id": "c_portal"}}); r.Status != http.StatusAccepted {
		t.Fatalf("publish: %d %s", r.Status, r.Body)
	}
	var dead api.Delivery
	env.Eventually(30*time.Second, "a dead-lettered delivery", func() bool {
		ds := deliveriesOf(t, env, env.A, epID, "?status=dead_letter")
		if len(ds) == 1 {
			dead = ds[0]
		}
		return len(ds) == 1
	})
	deadID := dead.ID.String()

	b := uiBrowser(t, 1280, 900)
	uiOpen(t, env, b, env.A)
	deadRow := `[data-testid="delivery-row"][data-id="` + deadID + `"]`
	uiDo(t, b, chromedp.Click(uiCSS(`[data-testid="endpoint-row"][data-id="`+epID+`"] [data-testid="deliveries-link"]`)),
		chromedp.WaitVisible(uiCSS(deadRow)))
	if st := browsertest.Run(t, b, chromedp.Evaluate[string](`document.querySelector('`+deadRow+`').dataset.status`)); st != "dead_letter" {
		t.Fatalf("row status %q", st)
	}
	uiDo(t, b, chromedp.Click(uiCSS(deadRow+` [data-testid="replay-button"]`)),
		chromedp.WaitVisible(uiCSS(`[data-testid="delivery-row"][data-replay-of="`+deadID+`"]`)))
	newID := browsertest.Run(t, b, chromedp.Evaluate[string](`document.querySelector('[data-testid="delivery-row"][data-replay-of="`+deadID+`"]').dataset.id`))
	var replay api.Delivery
	env.Do(http.MethodGet, "/v1/webhooks/"+epID+"/deliveries/"+newID, env.A.Key, nil).JSON(t, &replay)
	if replay.ReplayOf == nil || replay.ReplayOf.String() != deadID {
		t.Fatalf("the new row is not a replay of %s: %s", deadID, show(replay))
	}

	// The delivery page: payload and both attempts; the response body is text.
	uiDo(t, b, chromedp.Click(uiCSS(deadRow+` a[href$="/deliveries/`+deadID+`"]`)), chromedp.WaitVisible(uiID("attempts-table")))
	if n := browsertest.Run(t, b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="attempt-row"]').length`)); n != 2 {
		t.Fatalf("%d attempt rows, want 2", n)
	}
	if p := browsertest.Run(t, b, chromedp.Text(uiID("payload"))); !strings.Contains(p, `"comment_id": "c_portal"`) {
		t.Fatalf("payload %q", p)
	}
	if n := browsertest.Run(t, b, chromedp.Evaluate[int](`document.querySelectorAll('main script').length`)); n != 0 {
		t.Fatal("a response body was inserted as HTML")
	}

	// Filtered log, then recover since an hour ago (confirmed in the dialog).
	uiDo(t, b, chromedp.Click(uiCSS(`.breadcrumbs a[href="#/endpoints/`+epID+`/deliveries"]`)), chromedp.WaitVisible(uiCSS(deadRow)),
		chromedp.SetValue(uiID("filter-status"), "dead_letter"), chromedp.Click(uiID("filter-apply")),
		// Until the filtered page has rendered: the old page's table stays
		// until the new one replaces it, so wait for rows that all match.
		chromedp.Poll[chromedp.Void](`(() => {
			const rows = [...document.querySelectorAll('#deliveries:not([aria-busy]) [data-testid="delivery-row"]')];
			return location.hash.includes('status=dead_letter') && rows.length > 0 && rows.every(r => r.dataset.status === 'dead_letter');
		})()`),
	)
	statuses := browsertest.Run(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="delivery-row"]')].map(r => r.dataset.status)`))
	if len(statuses) == 0 || strings.Trim(strings.ReplaceAll(strings.Join(statuses, ","), "dead_letter", ""), ",") != "" {
		t.Fatalf("status filter shows %v", statuses)
	}
	uiDo(t, b, chromedp.Evaluate[chromedp.Void](`(() => {
			const d = new Date(Date.now() - 3600e3), p = n => String(n).padStart(2, '0');
			document.getElementById('r-since').value = d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T' + p(d.getHours()) + ':' + p(d.getMinutes());
		})()`),
		chromedp.Click(uiID("recover-button")), chromedp.WaitVisible(uiID("confirm-ok")), chromedp.Click(uiID("confirm-ok")),
		chromedp.WaitVisible(uiID("recover-count")))
	if n := browsertest.Run(t, b, chromedp.Evaluate[int](`+document.querySelector('[data-testid="recover-count"]').dataset.count`)); n < 1 {
		t.Fatalf("recovered %d deliveries", n)
	}
	uiNoForeign(t, env, b)
}

// The delivery log pages by cursor (next page while there is one, back to
// the first) and filters by event type and creation time.
func TestPortalDeliveryLogPagesAndFilters(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	rc := hooklinetest.NewReceiver(t)
	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": rc.URL + "/hook", "events": []string{"*"}})
	epID := ep.ID.String()
	for i := 0; i < 4; i++ {
		if r := env.Do(http.MethodPost, "/v1/webhooks/"+epID+"/test", env.A.Key, map[string]any{}); r.Status != http.StatusAccepted {
			t.Fatalf("test delivery: %d %s", r.Status, r.Body)
		}
	}
	publishN(t, env, env.A, 1) // one comment.created among four webhook.test
	env.Eventually(20*time.Second, "five deliveries", func() bool { return len(deliveriesOf(t, env, env.A, epID, "?limit=10")) == 5 })

	b := uiBrowser(t, 1280, 900)
	uiOpen(t, env, b, env.A)
	rowIDs := func() []string {
		return browsertest.Run(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="delivery-row"]')].map(r => r.dataset.id)`))
	}
	// page runs steps that move to another page of the portal and waits
	// until that page has loaded (the app counts its renders on <main>).
	page := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		n := browsertest.Run(t, b, chromedp.Evaluate[string](`document.getElementById('main').dataset.renders || '0'`))
		uiDo(t, b, steps...)
		uiDo(t, b, chromedp.Poll[chromedp.Void](`(m => +m.dataset.renders > `+n+` && m.dataset.ready === 'true')(document.getElementById('main'))`))
	}
	log := env.URL + "/portal/#/endpoints/" + epID + "/deliveries"
	uiDo(t, b, chromedp.Navigate(log+"?limit=2"), chromedp.Poll[chromedp.Void](`document.getElementById('main').dataset.ready === 'true'`))
	first := rowIDs()
	page(chromedp.Click(uiID("next-page")))
	second := rowIDs()
	page(chromedp.Click(uiID("next-page")))
	third := rowIDs()
	seen := map[string]bool{}
	for _, id := range append(append(append([]string{}, first...), second...), third...) {
		seen[id] = true
	}
	if len(first) != 2 || len(second) != 2 || len(third) != 1 || len(seen) != 5 {
		t.Fatalf("pages %v %v %v", first, second, third)
	}
	if n := browsertest.Run(t, b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="next-page"]').length`)); n != 0 {
		t.Fatal("the last page offers a next page")
	}
	page(chromedp.Click(uiID("first-page")))
	if back := rowIDs(); strings.Join(back, ",") != strings.Join(first, ",") {
		t.Fatalf("first page again: %v, was %v", back, first)
	}

	// Event type filter (the select is filled from the catalogue).
	page(chromedp.Click(uiID("filter-clear")))
	page(chromedp.Poll[chromedp.Void](`document.querySelector('[data-testid="filter-event-type"] option[value="comment.created"]')`),
		chromedp.SetValue(uiID("filter-event-type"), "comment.created"), chromedp.Click(uiID("filter-apply")))
	if types := browsertest.Run(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="delivery-row"] td[data-label="Event type"]')].map(c => c.textContent)`)); len(types) != 1 || types[0] != "comment.created" {
		t.Fatalf("event type filter shows %v", types)
	}
	// Created after an hour from now: nothing; before it: everything.
	setLocal := func(id string, offset time.Duration) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](`(() => {
			const d = new Date(Date.now() + ` + strconv.FormatInt(offset.Milliseconds(), 10) + `), p = n => String(n).padStart(2, '0');
			document.getElementById('` + id + `').value = d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T' + p(d.getHours()) + ':' + p(d.getMinutes());
		})()`)
	}
	page(chromedp.Click(uiID("filter-clear")))
	page(setLocal("f-after", time.Hour), chromedp.Click(uiID("filter-apply")))
	uiDo(t, b, chromedp.WaitVisible(uiID("no-deliveries")))
	page(chromedp.Click(uiID("filter-clear")))
	page(setLocal("f-before", time.Hour), chromedp.Click(uiID("filter-apply")))
	if ids := rowIDs(); len(ids) != 5 {
		t.Fatalf("created before an hour from now: %v", ids)
	}
	if loc := browsertest.Run(t, b, chromedp.Location()); !strings.Contains(loc, "before=") {
		t.Fatalf("the filter is not in the address: %s", loc)
	}
	uiNoForeign(t, env, b)
}

// A link works once and only until it expires; a session without its cookie,
// expired or signed out shows the "ask for a new link" state, never the
// endpoint list.
func TestPortalRefusesExpiredAndReusedLinks(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": "https://hooks.example.com/portal/private", "events": []string{"*"}})
	b := uiBrowser(t, 1280, 900)
	clearCookies := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
		return err
	})
	// refused opens link: the answer is the 401 refusal page, and the portal
	// page opened next has no session either.
	refused := func(t *testing.T, link string) {
		t.Helper()
		resp := browsertest.Run(t, b, chromedp.NavigateResponse(link))
		if resp.Status != http.StatusUnauthorized {
			t.Fatalf("opening the link: %d", resp.Status)
		}
		// The refusal page offers no way in: no form to post the token, no script.
		if n := browsertest.Run(t, b, chromedp.Evaluate[int](`document.forms.length + document.scripts.length`)); n != 0 {
			t.Fatalf("the refusal page has %d forms and scripts", n)
		}
		if loc := browsertest.Run(t, b, chromedp.Location()); loc != link {
			t.Fatalf("the refusal page moved on to %s", loc)
		}
		uiDo(t, b, chromedp.Navigate(env.URL+"/portal/"), chromedp.WaitVisible(uiID("session-expired")))
		if n := browsertest.Run(t, b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="endpoint-row"], #nav:not([hidden])').length`)); n != 0 {
			t.Fatal("the page without a session shows the portal")
		}
	}

	// Reused: the link logs in once; opened again (without the first
	// session's cookie) it is refused.
	link := uiLink(t, env, env.A, map[string]any{})
	uiDo(t, b, chromedp.Navigate(link), chromedp.WaitVisible(uiID("endpoint-row")), clearCookies)
	refused(t, link)

	// Expired before it was opened. The shortest TTL is a minute, so the
	// test moves the session's clock instead of waiting.
	link = uiLink(t, env, env.A, map[string]any{"ttl_seconds": 60})
	uiExpireSessions(t, env, env.A)
	refused(t, link)

	// Expired while open: the next call gets 401 and the page shows the notice.
	link = uiLink(t, env, env.A, map[string]any{})
	uiDo(t, b, chromedp.Navigate(link), chromedp.WaitVisible(uiID("endpoint-row")))
	uiExpireSessions(t, env, env.A)
	uiDo(t, b, chromedp.Click(uiID("new-endpoint")), chromedp.WaitVisible(uiID("session-expired")))

	// Signed out: the session is over for the page opened next too.
	link = uiLink(t, env, env.A, map[string]any{})
	uiDo(t, b, chromedp.Navigate(link), chromedp.WaitVisible(uiID("endpoint-row")),
		chromedp.Click(uiID("logout")), chromedp.WaitVisible(uiID("signed-out")),
		chromedp.Navigate(env.URL+"/portal/"), chromedp.WaitVisible(uiID("session-expired")))
	uiNoForeign(t, env, b)
}

// uiExpireSessions ends every portal session (and unopened link) of tenant.
func uiExpireSessions(t *testing.T, env *hooklinetest.Env, tenant hooklinetest.Tenant) {
	t.Helper()
	if _, err := env.Pool.Exec(context.Background(), `UPDATE portal_sessions
		SET login_expires_at = now() - interval '2 seconds', expires_at = now() - interval '1 second' WHERE tenant_id = $1`, tenant.ID); err != nil {
		t.Fatal(err)
	}
}

// A write from the page without the session's CSRF token is refused; the
// same write with it succeeds.
func TestPortalWriteNeedsCSRFToken(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	b := uiBrowser(t, 1280, 900)
	uiOpen(t, env, b, env.A)
	post := func(headers string) string {
		return `fetch('/portal/api/webhooks', {method: 'POST', credentials: 'same-origin',
			headers: Object.assign({'Content-Type': 'application/json'}, ` + headers + `),
			body: JSON.stringify({url: 'https://example.com/x', events: ['*']})}).then(r => r.status)`
	}
	if st := uiAwait[int](t, b, post(`{}`)); st != http.StatusForbidden {
		t.Fatalf("POST without X-CSRF-Token: %d", st)
	}
	if st := uiAwait[int](t, b, post(`{'X-CSRF-Token': 'not-the-token'}`)); st != http.StatusForbidden {
		t.Fatalf("POST with a wrong X-CSRF-Token: %d", st)
	}
	if st := uiAwait[int](t, b, `fetch('/portal/api/session', {credentials: 'same-origin'}).then(r => r.json()).then(s => `+
		post(`{'X-CSRF-Token': s.csrf_token}`)+`)`); st != http.StatusCreated {
		t.Fatalf("POST with X-CSRF-Token: %d", st)
	}
	var list struct{ Data []api.Endpoint }
	env.Do(http.MethodGet, "/v1/webhooks", env.A.Key, nil).JSON(t, &list)
	if len(list.Data) != 1 || list.Data[0].URL != "https://example.com/x" {
		t.Fatalf("endpoints: %s", show(list.Data))
	}
	uiNoForeign(t, env, b)
}

// At phone width (375 px) the list, the form and the delivery log fit the
// screen (no sideways scrolling), every control has a label, and nothing is
// fetched from another host.
func TestPortalPhoneWidthAndNoForeignRequests(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	long := "https://hooks.example.com/a/rather/long/path/that/would/uiOverflow/a/narrow/screen/if/the/table/did/not/collapse"
	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": long, "events": []string{"comment.created", "comment.deleted", "member.joined"}, "description": "phone"})
	createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": "https://hooks.example.com/short", "events": []string{"*"}})
	if r := env.Do(http.MethodPost, "/v1/webhooks/"+ep.ID.String()+"/test", env.A.Key, map[string]any{}); r.Status != http.StatusAccepted {
		t.Fatalf("test delivery: %d %s", r.Status, r.Body)
	}

	b := uiBrowser(t, 375, 812)
	uiOpen(t, env, b, env.A)
	check := func(page string) {
		t.Helper()
		if w := browsertest.Run(t, b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 380 || uiOverflow(t, b) > 0 {
			wide := browsertest.Run(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('body *')]
				.filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
				.slice(0, 8).map(el => el.tagName + '.' + el.className + '#' + el.id + ' ' + Math.round(el.getBoundingClientRect().right))`))
			t.Fatalf("%s at 375 px: the page is %d px wide; too wide: %v", page, w, wide)
		}
		if missing := uiUnlabelled(t, b); len(missing) > 0 {
			t.Fatalf("%s: controls without a label: %v", page, missing)
		}
	}
	if n := browsertest.Run(t, b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="endpoint-row"]').length`)); n != 2 {
		t.Fatalf("%d rows", n)
	}
	check("endpoint list")
	uiDo(t, b, chromedp.Click(uiID("new-endpoint")), chromedp.WaitVisible(uiCSS(`#endpoint-form`)))
	check("create form")
	uiDo(t, b, chromedp.Navigate(env.URL+"/portal/#/endpoints/"+ep.ID.String()), chromedp.WaitVisible(uiID("endpoint-props")))
	check("endpoint page")
	uiDo(t, b, chromedp.Navigate(env.URL+"/portal/#/endpoints/"+ep.ID.String()+"/deliveries"), chromedp.WaitVisible(uiID("delivery-row")))
	check("delivery log")
	uiDo(t, b, chromedp.Click(uiCSS(`[data-testid="delivery-row"] td[data-label="Actions"] a`)), chromedp.WaitVisible(uiID("delivery-props")))
	check("delivery page")
	uiNoForeign(t, env, b)
}

// TestPortalScreenshots saves PNGs of the main pages at desktop and phone
// width into $HOOKLINE_SCREENSHOTS (skipped when it is unset).
func TestPortalScreenshots(t *testing.T) {
	dir := os.Getenv("HOOKLINE_SCREENSHOTS")
	if dir == "" {
		t.Skip("set HOOKLINE_SCREENSHOTS to a directory to save screenshots of the portal")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Parallel()
	env := hooklinetest.New(t, hooklinetest.Options{Schedule: []time.Duration{200 * time.Millisecond}})
	down := hooklinetest.NewReceiver(t)
	down.SetHandler(func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":"maintenance","retry":"later"}`))
	})
	up := hooklinetest.NewReceiver(t)
	up.SetHandler(hooklinetest.Echo)
	failing := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": down.URL + "/orders/webhooks", "events": []string{"comment.created"}, "description": "Order service (staging)",
		"headers": map[string]any{"X-Region": "eu-west", "X-Api-Key": "k_123"}, "auth": map[string]any{"type": "bearer", "token": "t_123"}, "timeout_seconds": 10})
	healthy := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": up.URL + "/hooks/hookline", "events": []string{"*"}, "description": "Production receiver", "rate_limit": 50})
	if r := env.Do(http.MethodPost, "/v1/webhooks/"+healthy.ID.String()+"/verify", env.A.Key, nil); r.Status != http.StatusOK {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	for i := 0; i < 3; i++ {
		if r := env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "payload": map[string]any{"comment_id": "c_" + string(rune('1'+i)), "body": "Looks good to me", "author": map[string]any{"id": "u_7", "name": "Ada"}}}); r.Status != http.StatusAccepted {
			t.Fatalf("publish: %d %s", r.Status, r.Body)
		}
	}
	var dead []api.Delivery
	env.Eventually(time.Minute, "a dead-lettered delivery", func() bool {
		dead = deliveriesOf(t, env, env.A, failing.ID.String(), "?status=dead_letter")
		return len(dead) > 0
	})
	if r := env.Do(http.MethodPost, "/v1/webhooks/"+failing.ID.String()+"/deliveries/"+dead[0].ID.String()+"/replay", env.A.Key, nil); r.Status != http.StatusAccepted {
		t.Fatalf("replay: %d %s", r.Status, r.Body)
	}
	uiSeedStats(t, env, env.A, healthy.ID.String())

	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 900}, {"phone", 375, 812}} {
		b := uiBrowser(t, size.width, size.height)
		save := func(page string) {
			t.Helper()
			uiDo(t, b, chromedp.Poll[chromedp.Void](`document.getElementById('main').dataset.ready === 'true'`))
			png := browsertest.Run(t, b, chromedp.FullScreenshot(100))
			if err := os.WriteFile(filepath.Join(dir, page+"-"+size.name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		uiOpen(t, env, b, env.A)
		save("endpoints")

		uiDo(t, b, chromedp.Click(uiID("new-endpoint")), chromedp.WaitVisible(uiCSS(`#endpoint-form`)))
		save("endpoint-form")
		uiDo(t, b, chromedp.Click(uiID("event-comment.created")), chromedp.Click(uiID("event-member.joined")),
			chromedp.SendKeys(uiCSS(`#ep-description`), "Created in the portal"),
			chromedp.SendKeys(uiCSS(`#ep-url`), up.URL+"/"+size.name),
			chromedp.Click(uiID("endpoint-submit")), chromedp.WaitVisible(uiID("secret-value")))
		save("endpoint-created")

		base := env.URL + "/portal/#/endpoints/" + failing.ID.String()
		uiDo(t, b, chromedp.Navigate(base), chromedp.WaitVisible(uiID("endpoint-props")))
		save("endpoint")
		uiDo(t, b, chromedp.Navigate(base+"/edit"), chromedp.WaitVisible(uiCSS(`#endpoint-form`)))
		save("endpoint-edit")
		uiDo(t, b, chromedp.Navigate(base+"/deliveries"), chromedp.WaitVisible(uiID("deliveries-table")))
		save("deliveries")
		uiDo(t, b, chromedp.Navigate(base+"/deliveries/"+dead[0].ID.String()), chromedp.WaitVisible(uiID("attempts-table")))
		save("delivery")
		// The stats chart (a day of seeded history): the top of the page
		// at desktop width only.
		if size.name == "desktop" {
			uiDo(t, b, chromedp.Navigate(env.URL+"/portal/#/endpoints/"+healthy.ID.String()),
				chromedp.WaitVisible(uiCSS(`[data-testid="stats-panel"][data-state="ready"][data-range="24h"] [data-testid="stats-chart"]`)),
				chromedp.Poll[chromedp.Void](`document.getElementById('main').dataset.ready === 'true'`))
			png := browsertest.Run(t, b, chromedp.CaptureScreenshot())
			if err := os.WriteFile(filepath.Join(dir, "endpoint-stats-desktop.png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		uiNoForeign(t, env, b)
	}
}

// uiSeedStats gives endpoint a day of delivery history in the stats rollups
// (one minute in each past hour, a varying pattern), so the screenshot's
// chart shows more than the minute the test ran in.
func uiSeedStats(t *testing.T, env *hooklinetest.Env, tenant hooklinetest.Tenant, endpointID string) {
	t.Helper()
	hour := time.Now().UTC().Truncate(time.Hour)
	when := func(cond bool, n int) int {
		if cond {
			return n
		}
		return 0
	}
	for h := 1; h < 24; h++ {
		s := 36 + int(22*math.Sin(float64(h)/3.5)) + (h%5)*3
		f := when(h%4 == 0, 1) + when(h%7 == 3, 3)
		d := when(h == 9 || h == 10, 2)
		r := h % 3                // retries that later succeeded
		slow := when(h%6 == 2, 2) // attempts of 500 ms – 1 s
		a := s + f + 2*d + r
		l4, l5, l6 := s/4, f, 2*d+r
		l3 := a - l4 - l5 - l6 - slow
		// Both rollups, as an attempt writes them: per minute and per hour.
		if _, err := env.Pool.Exec(context.Background(), `WITH m AS (INSERT INTO endpoint_stats
			(tenant_id, endpoint_id, minute, attempts, succeeded, failed, dead_letter, l3, l4, l5, l6, l7)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12))
			INSERT INTO endpoint_stats_hourly (tenant_id, endpoint_id, hour, attempts, succeeded, failed, dead_letter, l3, l4, l5, l6, l7)
			VALUES ($1, $2, date_trunc('hour', $3::timestamptz), $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			tenant.ID, endpointID, hour.Add(-time.Duration(h)*time.Hour+20*time.Minute), a, s, f, d, l3, l4, l5, l6, slow); err != nil {
			t.Fatal(err)
		}
	}
}

// Delivery controls from the portal: an endpoint created with a plain and a
// sensitive header, bearer auth, a retry schedule and a timeout is stored so,
// and no page shows a secret; editing only the plain header sends only that
// header, so the sensitive header and the auth are kept (the receiver gets
// all three); the delivery page lists the header names sent; a bad TLS pair
// is refused next to the form and a good one is summarised; changing the
// auth asks for its secret again; removing everything sends nulls.
func TestPortalDeliveryControls(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	rc := hooklinetest.NewReceiver(t)
	const apiKey, token = "key-value-9f3e1d", "bearer-token-7c2a5b"
	b := uiBrowser(t, 1280, 900)
	uiOpen(t, env, b, env.A)
	// noSecrets fails if a secret is in the page, as markup or as a value.
	noSecrets := func(where string, secrets ...string) {
		t.Helper()
		shown := browsertest.Run(t, b, chromedp.Evaluate[string](`document.documentElement.outerHTML + '\n' +
			[...document.querySelectorAll('input, textarea')].map(c => c.value).join('\n')`))
		for _, s := range append([]string{apiKey, token}, secrets...) {
			if strings.Contains(shown, s) {
				t.Fatalf("%s shows the secret %q", where, s)
			}
		}
	}
	getEP := func(id string) api.Endpoint {
		t.Helper()
		var e api.Endpoint
		env.Do(http.MethodGet, "/v1/webhooks/"+id, env.A.Key, nil).JSON(t, &e)
		return e
	}

	uiDo(t, b, chromedp.Click(uiID("new-endpoint")), chromedp.WaitVisible(uiCSS(`#endpoint-form`)),
		chromedp.Click(uiID("event-comment.created")),
		chromedp.SendKeys(uiCSS(`#ep-url`), rc.URL+"/hook"),
		chromedp.Click(uiID("add-header")), chromedp.SendKeys(uiCSS(`#hdr-name-0`), "X-Region"), chromedp.SendKeys(uiCSS(`#hdr-value-0`), "eu-west"),
		chromedp.Click(uiID("add-header")), chromedp.SendKeys(uiCSS(`#hdr-name-1`), "X-Api-Key"), chromedp.SendKeys(uiCSS(`#hdr-value-1`), apiKey),
		uiSelect("ep-auth-type", "bearer"), chromedp.WaitVisible(uiCSS(`#ep-auth-token`)), chromedp.SendKeys(uiCSS(`#ep-auth-token`), token),
		chromedp.SendKeys(uiCSS(`#ep-retry`), "1s, 5m"), chromedp.SendKeys(uiCSS(`#ep-timeout`), "10"))
	if missing := uiUnlabelled(t, b); len(missing) > 0 {
		t.Fatalf("controls without a label: %v", missing)
	}
	uiDo(t, b, chromedp.Click(uiID("endpoint-submit")), chromedp.WaitVisible(uiID("secret-value")))
	var list struct{ Data []api.Endpoint }
	env.Do(http.MethodGet, "/v1/webhooks", env.A.Key, nil).JSON(t, &list)
	if len(list.Data) != 1 {
		t.Fatalf("endpoints after the form: %s", show(list.Data))
	}
	ep := list.Data[0]
	id := ep.ID.String()
	if !maps.Equal(ep.Headers, map[string]string{"X-Region": "eu-west"}) || !slices.Equal(ep.SensitiveHeaders, []string{"X-Api-Key"}) ||
		ep.Auth == nil || ep.Auth.Type != "bearer" || !slices.Equal(ep.RetrySchedule, []string{"1s", "5m"}) ||
		ep.TimeoutSeconds == nil || *ep.TimeoutSeconds != 10 || ep.TLS != nil {
		t.Fatalf("stored controls: %s", show(ep))
	}

	// The endpoint page: the plain header's value, the sensitive one's name only.
	noSecrets("the endpoint page")
	detail := browsertest.Run(t, b, chromedp.Evaluate[map[string]string](`(() => { const q = s => document.querySelector(s);
		return { region: q('[data-testid="header-item"][data-name="X-Region"]').textContent,
			key: q('[data-testid="header-item"][data-name="X-Api-Key"]').dataset.sensitive,
			auth: q('[data-testid="prop-auth"]').dataset.authType, retry: q('[data-testid="prop-retry"]').textContent,
			timeout: q('[data-testid="prop-timeout"]').textContent, tls: q('[data-testid="prop-tls"]').textContent } })()`))
	if !strings.Contains(detail["region"], "eu-west") || detail["key"] != "true" || detail["auth"] != "bearer" ||
		!strings.Contains(detail["retry"], "1s") || !strings.Contains(detail["retry"], "5m") || detail["timeout"] != "10 s" || detail["tls"] != "none" {
		t.Fatalf("endpoint page shows %v", detail)
	}

	// Edit only the plain header: the patch names only it.
	uiDo(t, b, chromedp.Click(uiID("edit-link")), chromedp.WaitVisible(uiCSS(`#endpoint-form`)),
		chromedp.WaitVisible(uiCSS(`[data-testid="header-row"][data-name="X-Api-Key"][data-sensitive="true"] [data-testid="header-hidden"]`)))
	noSecrets("the edit form")
	if tp := browsertest.Run(t, b, chromedp.Evaluate[string](`document.getElementById('ep-auth-type').value`)); tp != "bearer" {
		t.Fatalf("the edit form's auth type is %q", tp)
	}
	region := browsertest.Run(t, b, chromedp.Evaluate[string](`document.querySelector('[data-testid="header-row"][data-name="X-Region"] [data-testid="header-value"]').id`))
	uiDo(t, b, chromedp.Evaluate[chromedp.Void](`(() => { window.patches = []; const f = window.fetch;
			window.fetch = (u, init) => { if (init && init.method === 'PATCH') window.patches.push(JSON.parse(init.body)); return f(u, init); }; })()`),
		uiClear(region), chromedp.SendKeys(uiCSS("#"+region), "us-east"),
		chromedp.Click(uiID("endpoint-submit")), chromedp.WaitVisible(uiCSS(`#page-message.success`)))
	if sent := browsertest.Run(t, b, chromedp.Evaluate[string](`JSON.stringify(window.patches)`)); sent != `[{"headers":{"X-Region":"us-east"}}]` {
		t.Fatalf("the edit sent %s", sent)
	}
	if e := getEP(id); !maps.Equal(e.Headers, map[string]string{"X-Region": "us-east"}) || !slices.Equal(e.SensitiveHeaders, []string{"X-Api-Key"}) ||
		e.Auth == nil || e.Auth.Type != "bearer" || !slices.Equal(e.RetrySchedule, []string{"1s", "5m"}) {
		t.Fatalf("after the edit: %s", show(e))
	}
	d := publishOne(t, env, env.A, id)
	env.WaitDelivery(d.ID.String(), "succeeded", 20*time.Second)
	got := rc.Requests()[len(rc.Requests())-1].Header
	if got.Get("X-Region") != "us-east" || got.Get("X-Api-Key") != apiKey || got.Get("Authorization") != "Bearer "+token {
		t.Fatalf("receiver headers after the edit: %v", got)
	}

	// The delivery page lists the header names sent, never a value.
	uiDo(t, b, chromedp.Navigate(env.URL+"/portal/#/endpoints/"+id+"/deliveries/"+d.ID.String()),
		chromedp.WaitVisible(uiID("attempt-request-headers")))
	names := browsertest.Run(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="attempt-request-headers"] li')].map(li => li.textContent)`))
	for _, want := range []string{"authorization", "x-api-key", "x-region", "webhook-signature"} {
		if !slices.Contains(names, want) {
			t.Fatalf("the delivery page lists headers %v, lacking %s", names, want)
		}
	}
	noSecrets("the delivery page")

	// Mutual TLS: a key that is not the certificate's is refused next to the
	// form; the right pair is saved and summarised, its key never shown.
	cert := hooklinetest.Issue(t, nil, "portal-client", time.Now().Add(-time.Hour), time.Now().Add(48*time.Hour))
	other := hooklinetest.Issue(t, nil, "other", time.Now().Add(-time.Hour), time.Now().Add(48*time.Hour))
	keyBody := strings.Split(cert.KeyPEM, "\n")[1]
	edit := env.URL + "/portal/#/endpoints/" + id + "/edit"
	uiDo(t, b, chromedp.Navigate(edit), chromedp.WaitVisible(uiCSS(`#ep-tls-cert`)),
		uiSetText("ep-tls-cert", cert.CertPEM), uiSetText("ep-tls-key", other.KeyPEM),
		chromedp.Click(uiID("endpoint-submit")), chromedp.WaitVisible(uiID("problem-error")),
		chromedp.WaitVisible(uiCSS(`#ep-tls-key[aria-invalid="true"]`)))
	if errs := browsertest.Run(t, b, chromedp.Text(uiCSS(`#page-message`))); !strings.Contains(errs, "body.tls.client_key_pem") {
		t.Fatalf("problem shown: %q", errs)
	}
	uiDo(t, b, uiSetText("ep-tls-key", cert.KeyPEM), chromedp.Click(uiID("endpoint-submit")),
		chromedp.WaitVisible(uiCSS(`#page-message.success`)), chromedp.WaitVisible(uiCSS(`[data-testid="prop-tls"] [data-testid="tls-summary"]`)))
	if e := getEP(id); e.TLS == nil || !strings.Contains(e.TLS.ClientCertSubject, "portal-client") || len(e.SensitiveHeaders) != 1 || e.Auth == nil {
		t.Fatalf("after setting TLS: %s", show(e))
	}
	if s := browsertest.Run(t, b, chromedp.Text(uiID("prop-tls"))); !strings.Contains(s, "portal-client") {
		t.Fatalf("TLS summary %q", s)
	}
	noSecrets("the endpoint page with TLS", keyBody)

	// Changing the auth asks for its secret again; then remove everything.
	uiDo(t, b, chromedp.Click(uiID("edit-link")), chromedp.WaitVisible(uiCSS(`#endpoint-form [data-testid="tls-summary"]`)),
		uiSelect("ep-auth-type", "basic"), chromedp.SendKeys(uiCSS(`#ep-auth-username`), "hook"),
		chromedp.Click(uiID("endpoint-submit")), chromedp.WaitVisible(uiCSS(`#ep-auth-password[aria-invalid="true"]`)))
	if errs := browsertest.Run(t, b, chromedp.Text(uiCSS(`#page-message`))); !strings.Contains(errs, "body.auth.password") {
		t.Fatalf("problem shown: %q", errs)
	}
	noSecrets("the edit form with TLS", keyBody)
	uiDo(t, b, uiSelect("ep-auth-type", ""),
		chromedp.Click(uiCSS(`[data-testid="header-row"][data-name="X-Api-Key"] [data-testid="header-remove"]`)),
		uiClear("ep-retry"), uiClear("ep-timeout"), chromedp.Click(uiID("tls-remove")),
		chromedp.Click(uiID("endpoint-submit")), chromedp.WaitVisible(uiCSS(`#page-message.success`)))
	if e := getEP(id); !maps.Equal(e.Headers, map[string]string{"X-Region": "us-east"}) || len(e.SensitiveHeaders) != 0 ||
		e.Auth != nil || e.TLS != nil || e.RetrySchedule != nil || e.TimeoutSeconds != nil {
		t.Fatalf("after removing the controls: %s", show(e))
	}
	if s := browsertest.Run(t, b, chromedp.Text(uiID("prop-retry"))); s != "default" {
		t.Fatalf("retry schedule shown as %q", s)
	}
	uiNoForeign(t, env, b)
}

// Channels and a filter from the portal: an endpoint created with both
// stores both; the test box fills its data from the type's example and says
// "matches", then "does not match at <pointer>"; a bad filter is refused
// next to the textarea with its pointer (by the test box and by the form,
// and JSON that does not parse never leaves the page); an edit sends only
// what changed; a delivery's page lists where its event went (this endpoint
// matched, one left out by its channels, one by its filter); clearing the
// textarea removes the filter.
func TestPortalRoutingAndFilters(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	if r := env.Do(http.MethodPut, "/admin/v1/event-types/comment.created", env.SuperToken, `{"example":{"amount":250,"tier":"gold"}}`); r.Status != http.StatusOK {
		t.Fatalf("put example: %d %s", r.Status, r.Body)
	}
	rc := hooklinetest.NewReceiver(t)
	apac := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": rc.URL + "/apac", "events": []string{"comment.created"},
		"description": "APAC only", "channels": []string{"apac"}})
	silver := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": rc.URL + "/silver", "events": []string{"comment.created"},
		"filter": map[string]any{"data": map[string]any{"tier": "silver"}}})
	getEP := func(id string) api.Endpoint {
		t.Helper()
		var e api.Endpoint
		env.Do(http.MethodGet, "/v1/webhooks/"+id, env.A.Key, nil).JSON(t, &e)
		return e
	}
	bw := uiBrowser(t, 1280, 900)
	uiOpen(t, env, bw, env.A)
	// text is the text of the element sel selects ("" when there is none).
	text := func(sel string) string {
		t.Helper()
		js, _ := json.Marshal(sel)
		return browsertest.Run(t, bw, chromedp.Evaluate[string](`(e => e ? e.textContent : '')(document.querySelector(`+string(js)+`))`))
	}
	// Every request the page sends to write an endpoint is recorded.
	record := chromedp.Evaluate[chromedp.Void](`(() => { window.writes = []; const f = window.pageFetch = window.pageFetch || window.fetch;
		window.fetch = (u, init) => { if (init && (init.method === 'POST' || init.method === 'PATCH') && /\/webhooks/.test(u)) window.writes.push(init.method + ' ' + init.body); return f(u, init); }; })()`)
	writes := func() []string {
		t.Helper()
		return browsertest.Run(t, bw, chromedp.Evaluate[[]string](`window.writes`))
	}
	const good = `{"data": {"amount": {"$gte": 100}}}`

	uiDo(t, bw, chromedp.Click(uiID("new-endpoint")), chromedp.WaitVisible(uiCSS(`#endpoint-form [data-testid="routing-section"]`)), record,
		chromedp.Click(uiID("event-comment.created")),
		chromedp.SendKeys(uiCSS(`#ep-url`), rc.URL+"/main"),
		chromedp.SendKeys(uiCSS(`#ep-channels`), "us, eu"),
		uiSetText("ep-filter", good),
		uiSelect("ft-type", "comment.created"))
	if missing := uiUnlabelled(t, bw); len(missing) > 0 {
		t.Fatalf("controls without a label: %v", missing)
	}
	// The test box: the example, a match, then a miss with its pointer.
	if data := browsertest.Run(t, bw, chromedp.Evaluate[string](`document.getElementById('ft-data').value`)); !strings.Contains(data, `"amount": 250`) {
		t.Fatalf("test data not filled from the example: %q", data)
	}
	uiDo(t, bw, chromedp.Click(uiID("filter-test-button")),
		chromedp.WaitVisible(uiCSS(`[data-testid="filter-test-outcome"][data-matched="true"]`)),
		uiSetText("ft-data", `{"amount": 50, "tier": "gold"}`), chromedp.Click(uiID("filter-test-button")),
		chromedp.WaitVisible(uiCSS(`[data-testid="filter-test-outcome"][data-matched="false"]`)))
	if reason := text(`[data-testid="filter-test-reason"]`); reason != "/data/amount/$gte" {
		t.Fatalf("no-match reason %q", reason)
	}
	// A bad filter: the test box shows the server's location, and the
	// textarea is marked with the pointer.
	uiDo(t, bw, uiSetText("ep-filter", `{"data": {"amount": {"$between": 1}}}`), chromedp.Click(uiID("filter-test-button")),
		chromedp.WaitVisible(uiCSS(`#filter-test-result [data-testid="problem-error"]`)),
		chromedp.WaitVisible(uiCSS(`#ep-filter[aria-invalid="true"]`)))
	if s := text(`#filter-test-result`); !strings.Contains(s, "body.filter/data/amount/$between") {
		t.Fatalf("test box problem: %q", s)
	}
	if s := text(`#err-filter`); !strings.Contains(s, "/data/amount/$between") {
		t.Fatalf("message next to the filter: %q", s)
	}
	// Saving it: refused by the server, named next to the form.
	uiDo(t, bw, chromedp.Click(uiID("endpoint-submit")),
		chromedp.WaitVisible(uiCSS(`#page-message [data-testid="problem-error"]`)),
		chromedp.WaitVisible(uiCSS(`#ep-filter[aria-invalid="true"]`)))
	if s := text(`#page-message`); !strings.Contains(s, "body.filter/data/amount/$between") {
		t.Fatalf("form problem: %q", s)
	}
	if s := text(`#err-filter`); !strings.Contains(s, "/data/amount/$between") {
		t.Fatalf("message next to the filter after saving: %q", s)
	}
	// JSON that does not parse is caught in the page: nothing is sent.
	sentBefore := len(writes())
	uiDo(t, bw, uiSetText("ep-filter", `{"data": `), chromedp.Click(uiID("endpoint-submit")),
		chromedp.Poll[chromedp.Void](`document.getElementById('page-message').textContent.includes('not valid JSON')`),
		chromedp.WaitVisible(uiCSS(`#ep-filter[aria-invalid="true"]`)))
	if n := len(writes()); n != sentBefore {
		t.Fatalf("a filter that is not JSON was sent: %v", writes())
	}

	uiDo(t, bw, uiSetText("ep-filter", good), chromedp.Click(uiID("endpoint-submit")), chromedp.WaitVisible(uiID("secret-value")))
	var list struct{ Data []api.Endpoint }
	env.Do(http.MethodGet, "/v1/webhooks", env.A.Key, nil).JSON(t, &list)
	var ep api.Endpoint
	for _, e := range list.Data {
		if e.URL == rc.URL+"/main" {
			ep = e
		}
	}
	var filter any
	if err := json.Unmarshal(ep.Filter, &filter); err != nil || !slices.Equal(ep.Channels, []string{"eu", "us"}) ||
		show(filter) != show(map[string]any{"data": map[string]any{"amount": map[string]any{"$gte": 100}}}) {
		t.Fatalf("stored routing: %s", show(list.Data))
	}
	id := ep.ID.String()
	if s := text(`[data-testid="prop-channels"]`); !strings.Contains(s, "eu") || !strings.Contains(s, "us") {
		t.Fatalf("channels shown as %q", s)
	}
	if s := text(`[data-testid="prop-filter"] pre`); !strings.Contains(s, `"$gte": 100`) {
		t.Fatalf("filter shown as %q", s)
	}

	// Edit: a bad channel is named next to the input; then only the
	// channels are sent (the filter's text is unchanged).
	uiDo(t, bw, chromedp.Click(uiID("edit-link")), chromedp.WaitVisible(uiCSS(`#endpoint-form`)), record)
	if v := browsertest.Run(t, bw, chromedp.Evaluate[string](`document.getElementById('ep-channels').value`)); v != "eu, us" {
		t.Fatalf("channels in the edit form: %q", v)
	}
	uiDo(t, bw, uiSetText("ep-channels", "eu, a/b"), chromedp.Click(uiID("endpoint-submit")),
		chromedp.WaitVisible(uiCSS(`#ep-channels[aria-invalid="true"]`)))
	if s := text(`#page-message`); !strings.Contains(s, "body.channels[0]") {
		t.Fatalf("channel problem: %q", s)
	}
	if s := text(`#err-channels`); !strings.Contains(s, "a/b") {
		t.Fatalf("message next to the channels: %q", s)
	}
	uiDo(t, bw, uiSetText("ep-channels", "eu"), chromedp.Click(uiID("endpoint-submit")), chromedp.WaitVisible(uiCSS(`#page-message.success`)))
	if w := writes(); strings.Join(w, "\n") != "PATCH {\"channels\":[\"a/b\",\"eu\"]}\nPATCH {\"channels\":[\"eu\"]}" {
		t.Fatalf("the edits sent %q", w)
	}
	if e := getEP(id); !slices.Equal(e.Channels, []string{"eu"}) || len(e.Filter) == 0 {
		t.Fatalf("after the edit: %s", show(e))
	}

	// Publish one event the endpoint's filter admits and one it does not.
	publish := func(amount int) (string, map[string]any) {
		t.Helper()
		evID := "evt_" + strconv.Itoa(amount) + "_" + strconv.FormatInt(time.Now().UnixNano(), 36)
		r := env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"id": evID, "type": "comment.created", "channels": []string{"eu"},
			"payload": map[string]any{"amount": amount, "tier": "gold"}})
		if r.Status != http.StatusAccepted {
			t.Fatalf("publish: %d %s", r.Status, r.Body)
		}
		return evID, r.Map(t)
	}
	big, res := publish(150)
	if res["filtered"] != float64(2) {
		t.Fatalf("publish of the big event: %v", res)
	}
	if _, res := publish(5); res["filtered"] != float64(3) {
		t.Fatalf("publish of the small event: %v", res)
	}
	ds := deliveriesOf(t, env, env.A, id, "")
	if len(ds) != 1 || ds[0].EventID != big {
		t.Fatalf("deliveries of the endpoint: %s", show(ds))
	}
	did := ds[0].ID.String()

	// The delivery page explains the event's routing.
	uiDo(t, bw, chromedp.Navigate(env.URL+"/portal/#/endpoints/"+id+"/deliveries/"+did), chromedp.WaitVisible(uiID("routing-table")))
	rows := browsertest.Run(t, bw, chromedp.Evaluate[map[string]map[string]string](`Object.fromEntries([...document.querySelectorAll('[data-testid="routing-row"]')].map(r => {
		const a = r.querySelector('[data-testid="routing-delivery-link"]');
		return [r.dataset.endpointId, { matched: r.dataset.matched, reason: r.dataset.reason,
			who: r.querySelector('[data-testid="routing-endpoint"]').textContent, href: a ? a.getAttribute('href') : '' }];
	}))`))
	want := map[string]map[string]string{
		id:                 {"matched": "true", "reason": "matched", "who": ep.URL, "href": "#/endpoints/" + id + "/deliveries/" + did},
		apac.ID.String():   {"matched": "false", "reason": "channels", "who": apac.URL, "href": ""},
		silver.ID.String(): {"matched": "false", "reason": "filter", "who": silver.URL, "href": ""},
	}
	if show(rows) != show(want) {
		t.Fatalf("routing panel shows %s\nwant %s", show(rows), show(want))
	}

	// Clearing the textarea removes the filter (and sends nothing else).
	uiDo(t, bw, chromedp.Navigate(env.URL+"/portal/#/endpoints/"+id+"/edit"), chromedp.WaitVisible(uiCSS(`#ep-filter`)), record,
		uiClear("ep-filter"), chromedp.Click(uiID("endpoint-submit")), chromedp.WaitVisible(uiCSS(`#page-message.success`)),
		// The page shows the flash before its endpoint has loaded.
		chromedp.WaitVisible(uiCSS(`[data-testid="prop-filter"]`)))
	if w := writes(); strings.Join(w, "\n") != `PATCH {"filter":null}` {
		t.Fatalf("clearing the filter sent %q", w)
	}
	if e := getEP(id); len(e.Filter) != 0 || !slices.Equal(e.Channels, []string{"eu"}) {
		t.Fatalf("after clearing the filter: %s", show(e))
	}
	if s := text(`[data-testid="prop-filter"]`); s != "none" {
		t.Fatalf("filter shown as %q after removing it", s)
	}
	uiNoForeign(t, env, bw)
}

// uiStatsPanel is what the endpoint page's stats panel shows.
type uiStatsPanel struct {
	State, Range, Bucket, Since, Until string
	Bars                               []struct{ Start, Title string }
	Values, Shown                      map[string]string // totals by key: data-value and the text shown
	Role, Label                        string
	TimeTicks, CountTicks, Legend      int
	Styled                             int // elements with a style attribute (the CSP forbids them)
	Width                              float64
}

const uiStatsJS = `(() => { const p = document.querySelector('[data-testid="stats-panel"]'); const svg = p.querySelector('svg');
	const all = s => [...p.querySelectorAll(s)];
	return { state: p.dataset.state, range: p.dataset.range || '', bucket: p.dataset.bucket || '', since: p.dataset.since || '', until: p.dataset.until || '',
		bars: all('[data-testid="stats-bar"]').map(g => ({ start: g.dataset.start, title: g.querySelector('title').textContent })),
		values: Object.fromEntries(all('[data-testid="stats-total"]').map(f => [f.dataset.key, f.dataset.value])),
		shown: Object.fromEntries(all('[data-testid="stats-total"]').map(f => [f.dataset.key, f.querySelector('dd').textContent])),
		role: svg ? svg.getAttribute('role') : '', label: svg ? svg.getAttribute('aria-label') : '',
		timeTicks: all('[data-testid="stats-time-tick"]').length, countTicks: all('[data-testid="stats-count-tick"]').length,
		legend: all('[data-testid="stats-legend"] li').length, styled: all('[style]').length,
		width: svg ? svg.viewBox.baseVal.width : 0 } })()`

// The endpoint page charts its stats: one bar group per bucket of the
// chosen range, the totals as the API's, the counts in each bar's <title>;
// choosing another range fetches that window (and stays in the address);
// the chart fits a phone; an endpoint without deliveries says so.
func TestPortalStatsChart(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t, hooklinetest.Options{Schedule: []time.Duration{200 * time.Millisecond}})
	rc := hooklinetest.NewReceiver(t)
	rc.SetHandler(func(_ int, w http.ResponseWriter, _ *http.Request, body []byte) {
		var ev struct {
			Data struct{ Kind string } `json:"data"`
		}
		_ = json.Unmarshal(body, &ev)
		switch ev.Data.Kind {
		case "gone": // failed at once
			w.WriteHeader(http.StatusGone)
		case "down": // retried, then dead-lettered
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": rc.URL + "/stats", "events": []string{"comment.created"}})
	quiet := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": rc.URL + "/quiet", "events": []string{"member.joined"}})
	id := ep.ID.String()
	for _, k := range []string{"ok", "gone", "ok", "down", "ok"} {
		if r := env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "payload": map[string]any{"kind": k}}); r.Status != http.StatusAccepted {
			t.Fatalf("publish: %d %s", r.Status, r.Body)
		}
	}
	env.Eventually(30*time.Second, "every delivery final", func() bool {
		ds := deliveriesOf(t, env, env.A, id, "?limit=100")
		for _, d := range ds {
			if d.Status != "succeeded" && d.Status != "failed" && d.Status != "dead_letter" {
				return false
			}
		}
		return len(ds) == 5
	})

	b := uiBrowser(t, 1280, 900)
	uiOpen(t, env, b, env.A)
	// shown waits for the panel to show range, then checks it against the
	// API's answer for the same window and returns it.
	shown := func(rangeID, bucket string, n int) uiStatsPanel {
		t.Helper()
		uiDo(t, b, chromedp.WaitVisible(uiCSS(`[data-testid="stats-panel"][data-range="`+rangeID+`"]:is([data-state="ready"], [data-state="empty"]) [data-testid="stats-totals"]`)))
		p := browsertest.Run(t, b, chromedp.Evaluate[uiStatsPanel](uiStatsJS))
		q := url.Values{"since": {p.Since}, "until": {p.Until}, "bucket": {p.Bucket}}
		r := env.Do(http.MethodGet, "/v1/webhooks/"+id+"/stats?"+q.Encode(), env.A.Key, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("stats %v: %d %s", q, r.Status, r.Body)
		}
		st := decode[statsBody](t, r)
		if p.Bucket != bucket || len(p.Bars) != n || len(st.Buckets) != n {
			t.Fatalf("range %s: bucket %q, %d bars, the API %d buckets; want %s and %d", rangeID, p.Bucket, len(p.Bars), len(st.Buckets), bucket, n)
		}
		for i, sb := range st.Buckets {
			bar := p.Bars[i]
			start, err := time.Parse(time.RFC3339, bar.Start)
			want := strconv.Itoa(sb.Succeeded) + " succeeded, " + strconv.Itoa(sb.Failed) + " failed, " +
				strconv.Itoa(sb.DeadLetter) + " dead letter; " + strconv.Itoa(sb.Attempts) + " attempts"
			if err != nil || !start.Equal(sb.Start) || !strings.Contains(bar.Title, want) {
				t.Fatalf("range %s, bar %d: start %s title %q; the API's bucket %s: %q", rangeID, i, bar.Start, bar.Title, sb.Start, want)
			}
		}
		tt := st.Totals
		for key, want := range map[string]float64{"succeeded": float64(tt.Succeeded), "failed": float64(tt.Failed), "dead_letter": float64(tt.DeadLetter),
			"attempts": float64(tt.Attempts), "p50_ms": tt.P50Ms, "p99_ms": tt.P99Ms} {
			if got, err := strconv.ParseFloat(p.Values[key], 64); err != nil || got != want {
				t.Fatalf("range %s: total %s shown as %q, the API says %v", rangeID, key, p.Values[key], want)
			}
		}
		for key, want := range map[string]int{"succeeded": tt.Succeeded, "failed": tt.Failed, "dead_letter": tt.DeadLetter, "attempts": tt.Attempts} {
			if p.Shown[key] != strconv.Itoa(want) {
				t.Fatalf("range %s: total %s reads %q, want %d", rangeID, key, p.Shown[key], want)
			}
		}
		if tt.Succeeded != 3 || tt.Failed != 1 || tt.DeadLetter != 1 || tt.Attempts != 6 || tt.P99Ms <= 0 {
			t.Fatalf("range %s: totals %+v, want 3 succeeded, 1 failed, 1 dead letter, 6 attempts", rangeID, tt)
		}
		if p.Role != "img" || !strings.Contains(p.Label, "3 succeeded, 1 failed, 1 dead letter") || p.TimeTicks < 2 || p.CountTicks < 2 ||
			p.Legend != 4 || p.Styled != 0 {
			t.Fatalf("range %s: chart %+v", rangeID, p)
		}
		return p
	}

	uiDo(t, b, chromedp.Navigate(env.URL+"/portal/#/endpoints/"+id))
	shown("24h", "1h", 24)
	// Another range: a new window from the API, kept in the address.
	uiDo(t, b, chromedp.Click(uiCSS(`label[for="stats-range-1h"]`)))
	shown("1h", "1m", 60)
	if loc := browsertest.Run(t, b, chromedp.Location()); !strings.HasSuffix(loc, "#/endpoints/"+id+"?range=1h") {
		t.Fatalf("address after choosing the last hour: %s", loc)
	}
	uiDo(t, b, chromedp.Click(uiCSS(`label[for="stats-range-30d"]`)))
	shown("30d", "1d", 30)
	uiDo(t, b, chromedp.Reload())
	shown("30d", "1d", 30)
	if missing := uiUnlabelled(t, b); len(missing) > 0 {
		t.Fatalf("controls without a label: %v", missing)
	}

	// At phone width the chart is redrawn to fit.
	uiDo(t, b, chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile),
		chromedp.Poll[chromedp.Void](`(s => s && s.viewBox.baseVal.width <= 375)(document.querySelector('[data-testid="stats-chart"]'))`))
	if p := shown("30d", "1d", 30); uiOverflow(t, b) > 0 || p.Width > 375 {
		t.Fatalf("at 375 px the page overflows by %d px (chart %v wide)", uiOverflow(t, b), p.Width)
	}

	// An endpoint without deliveries.
	uiDo(t, b, chromedp.Navigate(env.URL+"/portal/#/endpoints/"+quiet.ID.String()),
		chromedp.WaitVisible(uiCSS(`[data-testid="stats-panel"][data-state="empty"] [data-testid="stats-empty"]`)))
	if n := browsertest.Run(t, b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="stats-bar"]').length`)); n != 0 {
		t.Fatalf("%d bars for an endpoint without deliveries", n)
	}
	uiNoForeign(t, env, b)
}

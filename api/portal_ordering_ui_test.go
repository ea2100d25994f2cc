package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/browsertest"
	"github.com/hookline/hookline/internal/delivery"
)

// Ordered delivery in the portal (DESIGN §9.3): the form sets ordering and
// on_exhausted (an edit sends only what changed, a refused value is named
// next to its select); an ordered endpoint's page lists its blocked keys,
// and "Retry head" and "Skip head" let them move on (a stale row's action
// shows the server's 409).
func TestPortalOrdering(t *testing.T) {
	t.Parallel()
	// The receiver fails on purpose: the breaker must not delay the retries.
	env := hooklinetest.New(t, hooklinetest.Options{Flow: delivery.FlowPolicy{BreakerThreshold: 1000}})

	// The receiver fails the events of the keys in failing, and records the
	// order in which it accepts each key's events.
	var mu sync.Mutex
	failing := map[string]bool{}
	accepted := map[string][]int{}
	setFailing := func(key string, fail bool) {
		mu.Lock()
		defer mu.Unlock()
		failing[key] = fail
	}
	acceptedOf := func(key string) []int {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(accepted[key])
	}
	rc := hooklinetest.NewReceiver(t)
	rc.SetHandler(func(_ int, w http.ResponseWriter, _ *http.Request, body []byte) {
		var msg struct {
			Data struct {
				Key string `json:"key"`
				N   int    `json:"n"`
			} `json:"data"`
		}
		_ = json.Unmarshal(body, &msg)
		mu.Lock()
		defer mu.Unlock()
		if failing[msg.Data.Key] {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		accepted[msg.Data.Key] = append(accepted[msg.Data.Key], msg.Data.N)
		w.WriteHeader(http.StatusOK)
	})

	getEP := func(id string) map[string]any {
		t.Helper()
		r := env.Do(http.MethodGet, "/v1/webhooks/"+id, env.A.Key, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("get endpoint: %d %s", r.Status, r.Body)
		}
		return r.Map(t)
	}
	bw := uiBrowser(t, 1280, 900)
	uiOpen(t, env, bw, env.A)
	text := func(sel string) string {
		t.Helper()
		js, _ := json.Marshal(sel)
		return browsertest.Run(t, bw, chromedp.Evaluate[string](`(e => e ? e.textContent : '')(document.querySelector(`+string(js)+`))`))
	}
	attr := func(sel, name string) string {
		t.Helper()
		js, _ := json.Marshal(sel)
		n, _ := json.Marshal(name)
		return browsertest.Run(t, bw, chromedp.Evaluate[string](`(e => e ? e.getAttribute(`+string(n)+`) || '' : '')(document.querySelector(`+string(js)+`))`))
	}
	value := func(id string) string {
		t.Helper()
		return browsertest.Run(t, bw, chromedp.Evaluate[string](`document.getElementById('`+id+`').value`))
	}
	// Every request the page sends to write an endpoint is recorded.
	record := chromedp.Evaluate[chromedp.Void](`(() => { window.writes = []; const f = window.pageFetch = window.pageFetch || window.fetch;
		window.fetch = (u, init) => { if (init && (init.method === 'POST' || init.method === 'PATCH') && /\/webhooks/.test(u)) window.writes.push(init.method + ' ' + init.body); return f(u, init); }; })()`)
	writes := func() []string {
		t.Helper()
		return browsertest.Run(t, bw, chromedp.Evaluate[[]string](`window.writes`))
	}

	// ---- the form: create an ordered endpoint ----
	uiDo(t, bw, chromedp.Click(uiID("new-endpoint")), chromedp.WaitVisible(uiCSS(`#endpoint-form [data-testid="ordering-section"]`)))
	if o, x := value("ep-ordering"), value("ep-on-exhausted"); o != "none" || x != "block" {
		t.Fatalf("new endpoint form: ordering %q, on_exhausted %q", o, x)
	}
	uiDo(t, bw, chromedp.Click(uiID("event-comment.deleted")),
		chromedp.SendKeys(uiCSS(`#ep-url`), rc.URL+"/form"),
		uiSelect("ep-ordering", "ordered"))
	if missing := uiUnlabelled(t, bw); len(missing) > 0 {
		t.Fatalf("controls without a label: %v", missing)
	}
	uiDo(t, bw, chromedp.Click(uiID("endpoint-submit")), chromedp.WaitVisible(uiID("secret-value")))
	loc := browsertest.Run(t, bw, chromedp.Location())
	formID := loc[strings.LastIndex(loc, "/")+1:]
	if e := getEP(formID); e["url"] != rc.URL+"/form" || e["ordering"] != "ordered" || e["on_exhausted"] != "block" {
		t.Fatalf("endpoint created by the form: %s", show(e))
	}
	uiDo(t, bw, chromedp.WaitVisible(uiCSS(`[data-testid="prop-ordering"][data-ordering="ordered"]`)),
		chromedp.WaitVisible(uiCSS(`[data-testid="prop-on-exhausted"][data-on-exhausted="block"]`)),
		chromedp.WaitVisible(uiCSS(`[data-testid="blocked-keys-panel"][data-state="empty"] [data-testid="no-blocked-keys"]`)))

	// ---- edit: a refused value is named next to its select; only changes are sent ----
	uiDo(t, bw, chromedp.Click(uiID("edit-link")), chromedp.WaitVisible(uiCSS(`#endpoint-form [data-testid="ordering-section"]`)), record)
	if o, x := value("ep-ordering"), value("ep-on-exhausted"); o != "ordered" || x != "block" {
		t.Fatalf("edit form: ordering %q, on_exhausted %q", o, x)
	}
	uiDo(t, bw, chromedp.Evaluate[chromedp.Void](`document.getElementById('ep-on-exhausted').append(new Option('sideways', 'sideways'))`),
		uiSelect("ep-on-exhausted", "sideways"), chromedp.Click(uiID("endpoint-submit")),
		chromedp.WaitVisible(uiCSS(`#page-message [data-testid="problem-error"]`)),
		chromedp.WaitVisible(uiCSS(`#ep-on-exhausted[aria-invalid="true"]`)))
	if s := text(`#page-message`); !strings.Contains(s, "body.on_exhausted") {
		t.Fatalf("on_exhausted problem: %q", s)
	}
	uiDo(t, bw, uiSelect("ep-on-exhausted", "skip"), chromedp.Click(uiID("endpoint-submit")), chromedp.WaitVisible(uiCSS(`#page-message.success`)))
	if w := writes(); strings.Join(w, "\n") != `PATCH {"on_exhausted":"sideways"}`+"\n"+`PATCH {"on_exhausted":"skip"}` {
		t.Fatalf("the edits sent %q", w)
	}
	if e := getEP(formID); e["ordering"] != "ordered" || e["on_exhausted"] != "skip" {
		t.Fatalf("after the edit: %s", show(e))
	}
	uiDo(t, bw, chromedp.WaitVisible(uiCSS(`[data-testid="prop-on-exhausted"][data-on-exhausted="skip"]`)))

	// ---- blocked keys: an ordered endpoint whose receiver fails k1, k2, k3 ----
	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": rc.URL + "/ordered", "events": []string{"comment.created"},
		"ordering": "ordered", "retry_schedule": []string{"1s"}})
	id := ep.ID.String()
	for _, k := range []string{"k1", "k2", "k3"} {
		setFailing(k, true)
	}
	publish := func(key string, n int) {
		t.Helper()
		r := env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"id": "ord_" + key + "_" + strconv.Itoa(n),
			"type": "comment.created", "ordering_key": key, "payload": map[string]any{"key": key, "n": n}})
		if r.Status != http.StatusAccepted {
			t.Fatalf("publish %s/%d: %d %s", key, n, r.Status, r.Body)
		}
	}
	for n := range 3 {
		publish("k1", n)
	}
	for n := range 2 {
		publish("k2", n)
	}
	publish("k3", 0)

	type blockedKey struct {
		OrderingKey  string    `json:"ordering_key"`
		DeliveryID   string    `json:"delivery_id"`
		BlockedSince time.Time `json:"blocked_since"`
		Waiting      int       `json:"waiting"`
	}
	blocked := func() map[string]blockedKey {
		t.Helper()
		r := env.Do(http.MethodGet, "/v1/webhooks/"+id+"/ordering", env.A.Key, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("list blocked keys: %d %s", r.Status, r.Body)
		}
		var out struct{ Data []blockedKey }
		r.JSON(t, &out)
		m := map[string]blockedKey{}
		for _, k := range out.Data {
			m[k.OrderingKey] = k
		}
		return m
	}
	var keys map[string]blockedKey
	t.Cleanup(func() { // what the key waited on, when the test fails
		if t.Failed() {
			r := env.Do(http.MethodGet, "/v1/webhooks/"+id+"/deliveries?limit=100", env.A.Key, nil)
			t.Logf("blocked keys %s\ndeliveries %s\nreceiver got %d requests", show(keys), r.Body, rc.Count())
		}
	})
	env.Eventually(30*time.Second, "k1, k2 and k3 blocked", func() bool {
		keys = blocked()
		return len(keys) == 3 && keys["k1"].Waiting == 2 && keys["k2"].Waiting == 1 && keys["k3"].Waiting == 0
	})
	// deliveriesByEvent lists the endpoint's deliveries by event id.
	deliveriesByEvent := func() map[string][]map[string]any {
		t.Helper()
		r := env.Do(http.MethodGet, "/v1/webhooks/"+id+"/deliveries?limit=100", env.A.Key, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("list deliveries: %d %s", r.Status, r.Body)
		}
		var out struct{ Data []map[string]any }
		r.JSON(t, &out)
		m := map[string][]map[string]any{}
		for _, d := range out.Data {
			ev, _ := d["event_id"].(string)
			m[ev] = append(m[ev], d)
		}
		return m
	}
	head1 := keys["k1"].DeliveryID
	if ds := deliveriesByEvent()["ord_k1_0"]; len(ds) != 1 || ds[0]["id"] != head1 || ds[0]["status"] != "dead_letter" {
		t.Fatalf("k1's head %s: %s", head1, show(ds))
	}

	// The endpoint's page lists them.
	row := func(key string) string { return `[data-testid="blocked-key-row"][data-key="` + key + `"]` }
	uiDo(t, bw, chromedp.Navigate(env.URL+"/portal/#/endpoints/"+id),
		chromedp.WaitVisible(uiCSS(`[data-testid="blocked-keys-panel"][data-state="ready"]`)))
	shown := browsertest.Run(t, bw, chromedp.Evaluate[map[string]map[string]string](`Object.fromEntries([...document.querySelectorAll('[data-testid="blocked-key-row"]')].map(r => [r.dataset.key, {
		key: r.querySelector('[data-testid="blocked-key"]').textContent, head: r.dataset.deliveryId, waiting: r.querySelector('[data-testid="blocked-waiting"]').textContent,
		href: r.querySelector('[data-testid="blocked-head-link"]').getAttribute('href'), since: r.querySelector('time') ? r.querySelector('time').getAttribute('datetime') : '' }]))`))
	for k, want := range keys {
		got := shown[k]
		if got["key"] != k || got["head"] != want.DeliveryID || got["waiting"] != map[string]string{"k1": "2", "k2": "1", "k3": "0"}[k] ||
			got["href"] != "#/endpoints/"+id+"/deliveries/"+want.DeliveryID || got["since"] == "" {
			t.Fatalf("row of %s: %s; want %s", k, show(got), show(want))
		}
	}
	if len(shown) != 3 {
		t.Fatalf("rows %s", show(shown))
	}
	if prop := attr(`[data-testid="prop-ordering"]`, "data-ordering"); prop != "ordered" {
		t.Fatalf("ordering shown as %q", prop)
	}
	if missing := uiUnlabelled(t, bw); len(missing) > 0 {
		t.Fatalf("controls without a label: %v", missing)
	}
	// On a phone the table becomes cards, without sideways scrolling.
	uiDo(t, bw, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	if o := uiOverflow(t, bw); o > 0 {
		t.Fatalf("the endpoint page with blocked keys is %d px wider than a phone", o)
	}
	uiDo(t, bw, chromedp.EmulateViewport(1280, 900))

	// Retry head (the receiver now accepts k1): a replay of the head takes
	// its place, and the key drains in order.
	setFailing("k1", false)
	uiDo(t, bw, chromedp.Click(uiCSS(row("k1")+` [data-testid="retry-head"]`)),
		chromedp.WaitVisible(uiCSS(`[data-testid="unblock-result"][data-action="retry"]`)),
		chromedp.WaitNotPresent(uiCSS(row("k1"))))
	retryID := attr(`[data-testid="unblock-result"]`, "data-retry-id")
	if h := attr(`[data-testid="unblock-result"]`, "data-delivery-id"); h != head1 || retryID == "" {
		t.Fatalf("retry result: head %q, retry %q", h, retryID)
	}
	if href := attr(`[data-testid="unblock-retry-link"]`, "href"); href != "#/endpoints/"+id+"/deliveries/"+retryID {
		t.Fatalf("retry link %q", href)
	}
	ds := deliveriesByEvent()["ord_k1_0"]
	var replay map[string]any
	for _, d := range ds {
		if d["replay_of"] == head1 {
			replay = d
		}
	}
	if replay == nil || replay["id"] != retryID {
		t.Fatalf("no replay of the head %s as %s: %s", head1, retryID, show(ds))
	}
	env.Eventually(20*time.Second, "k1 to drain", func() bool { return len(acceptedOf("k1")) == 3 })
	if got := acceptedOf("k1"); !slices.Equal(got, []int{0, 1, 2}) {
		t.Fatalf("k1 accepted in the order %v", got)
	}

	// A stale row: k3 was skipped behind the page's back, so its "Skip
	// head" gets the server's 409, shown in the panel; the panel reloads.
	if r := env.Do(http.MethodPost, "/v1/webhooks/"+id+"/ordering/unblock", env.A.Key, map[string]any{"ordering_key": "k3", "action": "skip"}); r.Status != http.StatusAccepted {
		t.Fatalf("skip k3 through the API: %d %s", r.Status, r.Body)
	}
	uiDo(t, bw, chromedp.Click(uiCSS(row("k3")+` [data-testid="skip-head"]`)),
		chromedp.WaitVisible(uiCSS(`#blocked-keys-message.error`)),
		chromedp.WaitNotPresent(uiCSS(row("k3"))))
	if s := text(`#blocked-keys-message`); !strings.Contains(s, "409") {
		t.Fatalf("stale skip shows %q", s)
	}

	// Skip head on k2 (the receiver now accepts it): its head stays dead,
	// its next delivery goes; no key is blocked any more.
	head2 := keys["k2"].DeliveryID
	setFailing("k2", false)
	uiDo(t, bw, chromedp.Click(uiCSS(row("k2")+` [data-testid="skip-head"]`)),
		chromedp.WaitVisible(uiCSS(`[data-testid="unblock-result"][data-action="skip"]`)),
		chromedp.WaitVisible(uiCSS(`[data-testid="blocked-keys-panel"][data-state="empty"] [data-testid="no-blocked-keys"]`)))
	if h := attr(`[data-testid="unblock-result"]`, "data-delivery-id"); h != head2 {
		t.Fatalf("skip result: head %q, want %s", h, head2)
	}
	env.Eventually(20*time.Second, "k2's next delivery", func() bool { return len(acceptedOf("k2")) == 1 })
	if got := acceptedOf("k2"); !slices.Equal(got, []int{1}) {
		t.Fatalf("k2 accepted %v", got)
	}
	env.Eventually(10*time.Second, "every delivery settled", func() bool {
		byEv := deliveriesByEvent()
		status := func(ev string) []string {
			var s []string
			for _, d := range byEv[ev] {
				s = append(s, d["status"].(string))
			}
			slices.Sort(s)
			return s
		}
		return slices.Equal(status("ord_k1_0"), []string{"dead_letter", "succeeded"}) &&
			slices.Equal(status("ord_k1_1"), []string{"succeeded"}) && slices.Equal(status("ord_k1_2"), []string{"succeeded"}) &&
			slices.Equal(status("ord_k2_0"), []string{"dead_letter"}) && slices.Equal(status("ord_k2_1"), []string{"succeeded"}) &&
			slices.Equal(status("ord_k3_0"), []string{"dead_letter"})
	})
	if len(blocked()) != 0 {
		t.Fatalf("keys still blocked: %s", show(blocked()))
	}
	uiNoForeign(t, env, bw)
}

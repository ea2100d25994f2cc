// Endpoint pages: the list, the create/edit form and one endpoint's page
// (delivery stats, secret shown once, verify, rotate, test, delete). The
// delivery controls (headers, auth, TLS, retries) are in controls.js,
// channels and the filter in routing.js, the stats chart in stats.js, the
// ordering and the blocked keys in ordering.js.

import * as api from "./api.js";
import {
  h, replace, link, time, badge, healthBadge, td, tags, announce, notice, clearNotice,
  showProblem, clearFieldErrors, confirmDialog, secretPanel,
} from "./dom.js";
import { page, go, flash, takeFlash } from "./nav.js";
import { controlsForm, controlsProps, controlsSummary } from "./controls.js";
import { routingForm, routingProps, routingSummary } from "./routing.js";
import { statsPanel } from "./stats.js";
import { orderingForm, orderingProps, orderingSummary, blockedKeysPanel } from "./ordering.js";

export async function listPage(view) {
  const { body, box } = page(view, "Webhook endpoints", [],
    link("/endpoints/new", "Add endpoint", { class: "button primary", id: "new-endpoint", "data-testid": "new-endpoint" }));
  const msg = takeFlash("list");
  if (msg) notice(box, "success", msg);
  body.append(h("p", { class: "muted", "data-testid": "list-loading" }, "Loading endpoints…"));
  let list;
  try {
    list = (await api.listEndpoints()).data || [];
  } catch (e) {
    replace(body);
    return showProblem(box, e);
  }
  if (!list.length) {
    replace(body, h("div", { class: "panel empty", "data-testid": "no-endpoints" },
      h("p", {}, "No webhook endpoints yet."),
      link("/endpoints/new", "Add your first endpoint", { class: "button primary" })));
    return;
  }
  const rows = list.map((e) => h("tr", { "data-testid": "endpoint-row", "data-id": e.id },
    td("URL", link("/endpoints/" + e.id, e.url, { class: "mono breakable", "data-testid": "endpoint-url" }),
      e.description ? h("span", { class: "hint" }, e.description) : ""),
    td("Events", tags(e.events || []), routingSummary(e)),
    td("Health", healthCell(e)),
    td("Verified", verifiedCell(e)),
    td("Active", e.is_active ? badge("ok", "Active", { "data-testid": "active" }) : badge("off", "Inactive", { "data-testid": "active" })),
    td("Delivery controls", controlsSummary(e), orderingSummary(e)),
    td("Actions", h("div", { class: "actions" },
      link("/endpoints/" + e.id, "Manage", { class: "button small", "aria-label": "Manage " + e.url }),
      link("/endpoints/" + e.id + "/deliveries", "Deliveries", { class: "button small", "aria-label": "Deliveries of " + e.url, "data-testid": "deliveries-link" }),
      link("/endpoints/" + e.id + "/edit", "Edit", { class: "button small", "aria-label": "Edit " + e.url })))));
  replace(body, h("div", { class: "table-wrap" },
    h("table", { class: "cards", id: "endpoints-table", "data-testid": "endpoints-table" },
      h("caption", { class: "visually-hidden" }, "Your webhook endpoints"),
      h("thead", {}, h("tr", {}, ["URL", "Events", "Health", "Verified", "Active", "Delivery controls", "Actions"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows))));
}

function healthCell(e) {
  return h("span", {}, healthBadge(e.health),
    e.failing_since ? h("span", { class: "hint" }, "since ", time(e.failing_since)) : "",
    e.disabled_reason ? h("span", { class: "hint" }, "reason: ", e.disabled_reason) : "");
}

function verifiedCell(e) {
  if (e.verified_at) {
    return h("span", { "data-testid": "verified", "data-verified": "yes" }, badge("ok", "Yes"), h("span", { class: "hint" }, time(e.verified_at)));
  }
  return h("span", { "data-testid": "verified", "data-verified": "no" }, badge("off", "No"),
    e.last_verification_reason ? h("span", { class: "hint" }, "last try failed: ", e.last_verification_reason) : "");
}

// ---- create / edit ------------------------------------------------------

function field(id, labelText, control, hint) {
  return h("div", { class: "field" }, h("label", { for: id }, labelText),
    control, hint ? h("span", { class: "hint", id: id + "-hint" }, hint) : "");
}

function eventsFieldset(names, types, selected) {
  const desc = Object.fromEntries(types.map((t) => [t.name, t.description]));
  const all = ["*", ...names, ...selected.filter((s) => s !== "*" && !names.includes(s))];
  const checks = all.map((name, i) => {
    const id = "event-" + i;
    const label = name === "*" ? "All event types (*)" : name;
    const hint = name === "*" ? "every type except the operational ones (endpoint.disabled, delivery.dead_lettered), which you tick by name" : desc[name];
    return h("div", { class: "check" },
      h("input", { type: "checkbox", id, name: "events", value: name, checked: selected.includes(name), "data-testid": "event-" + name }),
      h("label", { for: id }, h("span", { class: "mono" }, label), hint ? h("span", { class: "hint" }, hint) : ""));
  });
  return h("fieldset", { id: "events-fieldset" }, h("legend", {}, "Events to receive"), h("div", { class: "checks" }, checks));
}

export async function formPage(view, params) {
  const editing = !!params.id;
  const crumbs = editing ? [["/endpoints", "Endpoints"], ["/endpoints/" + params.id, "Endpoint"]] : [["/endpoints", "Endpoints"]];
  const { body, box } = page(view, editing ? "Edit endpoint" : "Add an endpoint", crumbs);
  body.append(h("p", { class: "muted" }, "Loading…"));
  let current = null;
  let cat;
  try {
    [current, cat] = await Promise.all([editing ? api.getEndpoint(params.id) : null, api.catalogueCached()]);
  } catch (e) {
    replace(body);
    return showProblem(box, e);
  }
  const cur = current || { url: "", description: "", events: [], is_active: true, max_in_flight: 10, rate_limit: null, channels: [], filter: null };
  const routing = routingForm(cur, cat);
  const controls = controlsForm(cur, editing);
  const ordering = orderingForm(cur);
  const form = h("form", { id: "endpoint-form", "data-testid": "endpoint-form", novalidate: true, class: "panel" },
    field("ep-url", "URL", h("input", { type: "url", id: "ep-url", name: "url", required: true, value: cur.url, autocomplete: "url", "aria-describedby": "ep-url-hint", "data-testid": "url-input" }),
      "The https address where Hookline POSTs the signed webhooks."),
    field("ep-description", "Description (optional)", h("input", { type: "text", id: "ep-description", name: "description", value: cur.description || "", maxlength: 1024, "data-testid": "description-input" })),
    eventsFieldset(cat.names, cat.types, cur.events || []),
    h("div", { class: "check" },
      h("input", { type: "checkbox", id: "ep-active", name: "is_active", checked: cur.is_active, "data-testid": "active-input" }),
      h("label", { for: "ep-active" }, "Active", h("span", { class: "hint" }, "An inactive endpoint receives no new deliveries."))),
    h("div", { class: "inline-fields" },
      field("ep-max", "Max in flight", h("input", { type: "number", id: "ep-max", name: "max_in_flight", min: 1, max: 100, value: cur.max_in_flight ?? 10, "aria-describedby": "ep-max-hint" }),
        "Attempts running at once (1–100)."),
      field("ep-rate", "Rate limit (per second, optional)", h("input", { type: "number", id: "ep-rate", name: "rate_limit", min: 1, max: 10000, value: cur.rate_limit ?? "", "aria-describedby": "ep-rate-hint" }),
        "Empty: no limit.")),
    routing.el,
    controls.el,
    ordering.el,
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary", id: "endpoint-submit", "data-testid": "endpoint-submit" }, editing ? "Save changes" : "Create endpoint"),
      link(editing ? "/endpoints/" + params.id : "/endpoints", "Cancel", { class: "button" })));
  replace(body, form);

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearNotice(box);
    clearFieldErrors(form);
    const fd = new FormData(form);
    const events = fd.getAll("events");
    const url = String(fd.get("url") || "").trim();
    const description = String(fd.get("description") || "");
    const isActive = form.elements.is_active.checked;
    const maxRaw = String(fd.get("max_in_flight") || "").trim();
    const rateRaw = String(fd.get("rate_limit") || "").trim();
    const submit = form.querySelector("button[type=submit]");
    const bad = routing.check(); // JSON the server would not even parse
    if (bad) {
      showProblem(box, bad, form);
      box.focus();
      return;
    }
    submit.disabled = true;
    try {
      if (!editing) {
        const b = { url, events, is_active: isActive };
        if (description) b.description = description;
        if (maxRaw) b.max_in_flight = Number(maxRaw);
        if (rateRaw) b.rate_limit = Number(rateRaw);
        routing.create(b);
        controls.create(b);
        ordering.create(b);
        const created = await api.createEndpoint(b);
        flash("secret", { id: created.id, secret: created.secret, heading: "Endpoint created" });
        go("/endpoints/" + created.id);
        return;
      }
      const b = {};
      if (url !== cur.url) b.url = url;
      if (description !== (cur.description || "")) b.description = description;
      if (events.join("\n") !== (cur.events || []).join("\n")) b.events = events;
      if (isActive !== cur.is_active) b.is_active = isActive;
      if (maxRaw && Number(maxRaw) !== cur.max_in_flight) b.max_in_flight = Number(maxRaw);
      const rate = rateRaw ? Number(rateRaw) : null;
      if (rate !== (cur.rate_limit ?? null)) b.rate_limit = rate;
      routing.patch(b);
      ordering.patch(b);
      const missing = controls.patch(b);
      if (missing) {
        // Auth is replaced whole: its secret is not kept across a change.
        showProblem(box, { status: 0, problem: {
          title: "Enter the secret again",
          detail: "Changing the authentication replaces it as a whole, and its secret is never shown, so it must be entered again.",
          errors: [{ location: missing, message: "required when the authentication changes" }],
        } }, form);
        box.focus();
        return;
      }
      if (Object.keys(b).length) await api.updateEndpoint(params.id, b);
      flash("detail", Object.keys(b).length ? "Changes saved." : "Nothing changed.");
      go("/endpoints/" + params.id);
    } catch (e) {
      showProblem(box, routing.annotate(e), form);
      box.focus();
    } finally {
      submit.disabled = false;
    }
  });
}

// ---- one endpoint -----------------------------------------------------------

export async function detailPage(view, params, query) {
  const id = params.id;
  const { body, box, heading } = page(view, "Endpoint", [["/endpoints", "Endpoints"]]);
  const msg = takeFlash("detail");
  const secret = takeFlash("secret");
  const secretSlot = h("div", { id: "secret-slot" });
  body.append(secretSlot);
  const info = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  body.append(info);
  let e;
  try {
    e = await api.getEndpoint(id);
  } catch (err) {
    replace(info);
    return showProblem(box, err);
  }
  // The outcome of the last step shows with the endpoint it changed, so
  // what a reader (or a test) sees next to it is already current.
  if (msg) notice(box, "success", msg);
  if (secret && secret.id === id) secretSlot.append(secretPanel(secret.heading, secret.secret));
  heading.textContent = "Endpoint";
  heading.append(h("span", { class: "hint mono breakable", "data-testid": "endpoint-heading-url" }, e.url));
  document.title = "Endpoint " + e.url + " · Hookline";

  const props = h("dl", { class: "props", "data-testid": "endpoint-props" });
  const renderProps = (e) => replace(props,
    h("dt", {}, "URL"), h("dd", { class: "mono breakable", "data-testid": "prop-url" }, e.url),
    h("dt", {}, "Description"), h("dd", {}, e.description || h("span", { class: "muted" }, "—")),
    h("dt", {}, "Events"), h("dd", {}, tags(e.events || [])),
    h("dt", {}, "Active"), h("dd", {}, e.is_active ? badge("ok", "Active") : badge("off", "Inactive")),
    h("dt", {}, "Health"), h("dd", {}, healthCell(e)),
    h("dt", {}, "Verified"), h("dd", {}, verifiedCell(e),
      e.last_verification_at ? h("span", { class: "hint" }, "last check ", time(e.last_verification_at)) : ""),
    h("dt", {}, "Max in flight"), h("dd", {}, String(e.max_in_flight)),
    h("dt", {}, "Rate limit"), h("dd", {}, e.rate_limit ? e.rate_limit + " per second" : "no limit"),
    routingProps(e),
    controlsProps(e),
    orderingProps(e),
    h("dt", {}, "Created"), h("dd", {}, time(e.created_at)),
    h("dt", {}, "Updated"), h("dd", {}, time(e.updated_at)),
    h("dt", {}, "ID"), h("dd", { class: "mono", "data-testid": "prop-id" }, e.id));
  renderProps(e);
  const refresh = async () => {
    try { renderProps(await api.getEndpoint(id)); } catch (_) { /* keep the old values */ }
  };

  const verifyOut = h("div", { class: "notice", "aria-live": "polite", id: "verify-result", "data-testid": "verify-result" });
  const verifyBtn = h("button", { type: "button", id: "verify-button", "data-testid": "verify-button" }, "Verify URL");
  verifyBtn.addEventListener("click", () => verify(id, verifyBtn, verifyOut, refresh));

  const rotateBtn = h("button", { type: "button", id: "rotate-button", "data-testid": "rotate-button" }, "Rotate secret");
  rotateBtn.addEventListener("click", async () => {
    const ok = await confirmDialog("Rotate the signing secret?",
      "A new secret is created. For 24 hours deliveries are signed with both the old and the new secret, so update your receiver before then.",
      "Rotate secret");
    if (!ok) return;
    rotateBtn.disabled = true;
    try {
      const r = await api.rotateSecret(id);
      const extra = r.previous_secret_expires_at ? h("p", {}, "The previous secret keeps signing until ", time(r.previous_secret_expires_at), ".") : "";
      replace(secretSlot, secretPanel("New signing secret", r.secret, extra));
      secretSlot.querySelector("h2").focus();
      announce("Secret rotated. Copy the new secret now.");
    } catch (err) {
      showProblem(box, err);
    } finally {
      rotateBtn.disabled = false;
    }
  });

  const deleteBtn = h("button", { type: "button", class: "danger", id: "delete-button", "data-testid": "delete-button" }, "Delete endpoint");
  deleteBtn.addEventListener("click", async () => {
    const ok = await confirmDialog("Delete this endpoint?",
      `${e.url} stops receiving webhooks and its pending deliveries are cancelled. This cannot be undone.`, "Delete endpoint");
    if (!ok) return;
    deleteBtn.disabled = true;
    try {
      await api.deleteEndpoint(id);
      flash("list", "Endpoint deleted: " + e.url);
      go("/endpoints");
    } catch (err) {
      showProblem(box, err);
      deleteBtn.disabled = false;
    }
  });

  // Ordered endpoints list their blocked keys (as loaded with the page).
  const blocked = e.ordering === "ordered" ? blockedKeysPanel(e) : null;

  // The chosen range stays in the address (without a new history entry or
  // a new render), so a reload shows the same window.
  const stats = statsPanel(id, query && query.get("range"), (r) =>
    history.replaceState(null, "", "#/endpoints/" + encodeURIComponent(id) + "?range=" + encodeURIComponent(r)));

  body.replaceChild(h("div", {},
    stats.el,
    h("section", { class: "panel", "aria-labelledby": "props-heading" }, h("h2", { id: "props-heading" }, "Settings"), props,
      h("div", { class: "actions" },
        link("/endpoints/" + id + "/edit", "Edit", { class: "button", id: "edit-link", "data-testid": "edit-link" }),
        link("/endpoints/" + id + "/deliveries", "Delivery log", { class: "button", id: "deliveries-link", "data-testid": "deliveries-link" }))),
    blocked ? blocked.el : "",
    h("section", { class: "panel", "aria-labelledby": "verify-heading" }, h("h2", { id: "verify-heading" }, "Verify URL ownership"),
      h("p", {}, "Hookline POSTs a challenge to the URL; your receiver must echo it back within 30 seconds."),
      h("div", { class: "actions" }, verifyBtn), verifyOut),
    testSection(id),
    h("section", { class: "panel", "aria-labelledby": "danger-heading" }, h("h2", { id: "danger-heading" }, "Secret and deletion"),
      h("div", { class: "actions" }, rotateBtn, deleteBtn))), info);
  await Promise.all([stats.loaded, blocked && blocked.loaded]);
}

async function verify(id, btn, out, refresh) {
  btn.disabled = true;
  btn.setAttribute("aria-busy", "true");
  const started = Date.now();
  const secs = h("span", { "data-testid": "verify-elapsed" }, "0");
  notice(out, "info", h("p", { "data-testid": "verify-pending" }, h("span", { class: "spinner", "aria-hidden": "true" }), " Verifying… this can take up to 30 seconds (", secs, " s)."));
  out.dataset.state = "pending";
  const timer = setInterval(() => { secs.textContent = String(Math.round((Date.now() - started) / 1000)); }, 1000);
  try {
    const r = await api.verifyEndpoint(id);
    if (r.verified) {
      notice(out, "success", h("p", {}, h("strong", {}, "Verified."), " The URL answered the challenge."));
      out.dataset.state = "verified";
      announce("Verification succeeded.");
    } else {
      const why = reasonText(r.reason) + (r.status_code ? ` (HTTP ${r.status_code})` : "");
      notice(out, "error", h("p", {}, h("strong", {}, "Verification failed: "), h("span", { "data-testid": "verify-reason", "data-reason": r.reason || "" }, why)));
      out.dataset.state = "failed";
      announce("Verification failed: " + why);
    }
    await refresh();
  } catch (err) {
    showProblem(out, err);
    out.dataset.state = "error";
  } finally {
    clearInterval(timer);
    btn.disabled = false;
    btn.removeAttribute("aria-busy");
  }
}

const reasons = {
  timeout: "no answer within 30 seconds",
  http_status: "the receiver answered with an error status",
  invalid_json: "the answer was not JSON",
  challenge_mismatch: "the answer did not echo the challenge",
  connection_error: "could not connect",
  blocked_address: "the address is not allowed",
  endpoint_not_found: "the endpoint no longer exists",
  url_changed: "the URL changed while verifying",
};
function reasonText(r) { return reasons[r] ? `${reasons[r]} [${r}]` : (r || "unknown reason"); }

function testSection(id) {
  const out = h("div", { class: "notice", "aria-live": "polite", id: "test-result", "data-testid": "test-result" });
  const select = h("select", { id: "test-event-type", name: "event_type", "data-testid": "test-event-type" },
    h("option", { value: "" }, "Generic test event (webhook.test)"));
  api.catalogueCached().then((cat) => {
    for (const t of cat.types) {
      if (t.example === null || t.example === undefined || t.deprecated) continue;
      select.append(h("option", { value: t.name }, t.name + " (example payload)"));
    }
  }).catch(() => {});
  const form = h("form", { id: "test-form", novalidate: true },
    h("div", { class: "field" }, h("label", { for: "test-event-type" }, "Event to send"), select),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "test-button", "data-testid": "test-button" }, "Send test event")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const btn = form.querySelector("button");
    btn.disabled = true;
    try {
      const d = await api.testEndpoint(id, select.value);
      notice(out, "success", h("p", {}, "Test delivery queued (", d.event_type, "). ",
        link("/endpoints/" + id + "/deliveries/" + d.id, "Open the delivery", { "data-testid": "test-delivery-link" })));
      announce("Test delivery queued.");
    } catch (err) {
      showProblem(out, err, form);
    } finally {
      btn.disabled = false;
    }
  });
  return h("section", { class: "panel", "aria-labelledby": "test-heading" }, h("h2", { id: "test-heading" }, "Send a test event"), form, out);
}

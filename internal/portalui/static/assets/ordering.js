// Ordered delivery (DESIGN §9.3): the "Ordering" part of the endpoint form,
// how an endpoint's ordering is shown, and the endpoint page's "Blocked
// keys" panel (list-blocked-keys, with unblock-key's skip and retry).
//
// An ordering key is the publisher's string: it is only ever shown as text
// (a text node or an attribute value), and "" is a key like any other.

import * as api from "./api.js";
import { h, replace, link, time, td, announce, notice, clearNotice, showProblem } from "./dom.js";

// ---- the form -------------------------------------------------------------------

const orderings = [
  ["none", "None: deliveries go in parallel, in any order"],
  ["ordered", "Ordered: one at a time per ordering key, in publish order"],
];
const exhaustedActions = [
  ["block", "Block the key until you skip or retry the failed delivery"],
  ["skip", "Skip the failed delivery and go on with the key"],
];
const orderingOf = (e) => e.ordering || "none";
const onExhaustedOf = (e) => e.on_exhausted || "block";

function field(id, labelText, control, hint) {
  if (hint) control.setAttribute("aria-describedby", id + "-hint");
  return h("div", { class: "field" }, h("label", { for: id }, labelText),
    control, hint ? h("span", { class: "hint", id: id + "-hint" }, hint) : "");
}

function select(id, name, choices, value) {
  return h("select", { id, name, "data-testid": id },
    choices.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
}

// orderingForm builds the "Ordering" part of the endpoint form for cur (the
// endpoint being edited, or a new one's defaults). create(b) adds both
// fields to a create body; patch(b) only those that changed.
export function orderingForm(cur) {
  const ordering = select("ep-ordering", "ordering", orderings, orderingOf(cur));
  const onExhausted = select("ep-on-exhausted", "on_exhausted", exhaustedActions, onExhaustedOf(cur));
  const el = h("section", { class: "controls ordering", "aria-labelledby": "ordering-heading", "data-testid": "ordering-section" },
    h("h2", { id: "ordering-heading" }, "Ordering"),
    h("p", { class: "hint" }, "Optional: deliver the events that share an ordering key (set when they are published) one after the other."),
    field("ep-ordering", "Ordering", ordering,
      "Ordered: a key's next delivery starts only after the previous one succeeded. Different keys still go in parallel, up to the max in flight."),
    field("ep-on-exhausted", "When a delivery runs out of retries", onExhausted,
      "Ordered endpoints only. Block: the key waits (see Blocked keys on the endpoint's page). Skip: the failed delivery stays failed and the key moves on."));
  return {
    el,
    create(b) {
      b.ordering = ordering.value;
      b.on_exhausted = onExhausted.value;
    },
    patch(b) {
      if (ordering.value !== orderingOf(cur)) b.ordering = ordering.value;
      if (onExhausted.value !== onExhaustedOf(cur)) b.on_exhausted = onExhausted.value;
    },
  };
}

// ---- showing it -----------------------------------------------------------------

// orderingProps are the <dt>/<dd> pairs of an endpoint's ordering.
export function orderingProps(e) {
  const o = orderingOf(e);
  const x = onExhaustedOf(e);
  return [
    h("dt", {}, "Ordering"), h("dd", { "data-testid": "prop-ordering", "data-ordering": o },
      o === "ordered" ? h("span", {}, "Ordered", h("span", { class: "hint" }, "one delivery at a time per ordering key, in publish order"))
        : h("span", {}, "None", h("span", { class: "hint" }, "deliveries go in parallel, in any order"))),
    h("dt", {}, "When retries run out"), h("dd", { "data-testid": "prop-on-exhausted", "data-on-exhausted": x },
      x === "skip" ? h("span", {}, "Skip", h("span", { class: "hint" }, "the key moves on past a failed delivery"))
        : h("span", {}, "Block", h("span", { class: "hint" }, "the key waits until its failed delivery is skipped or retried")),
      o !== "ordered" ? h("span", { class: "hint" }, "(applies to ordered endpoints only)") : ""),
  ];
}

// orderingSummary is a short hint for the endpoint list ("" when unordered).
export function orderingSummary(e) {
  if (orderingOf(e) !== "ordered") return "";
  return h("span", { class: "hint", "data-testid": "ordering-summary" },
    "ordered" + (onExhaustedOf(e) === "skip" ? ", skips failures" : ", blocks on failure"));
}

// ---- blocked keys -------------------------------------------------------------

const keyText = (k) => (k === "" ? "(empty key)" : k);

// blockedKeysPanel is the "Blocked keys" panel of ordered endpoint e: the
// keys held back by a failed head, each with "Skip head" and "Retry head".
// loaded settles when the first list is shown.
export function blockedKeysPanel(e) {
  const id = e.id;
  const box = h("div", { class: "notice", id: "blocked-keys-message", "data-testid": "blocked-keys-message", "aria-live": "polite", tabindex: "-1" });
  const out = h("div", { id: "blocked-keys-body" });
  const reload = h("button", { type: "button", class: "small", id: "blocked-keys-reload", "data-testid": "blocked-keys-reload" }, "Reload");
  const el = h("section", { class: "panel", id: "blocked-keys-panel", "aria-labelledby": "blocked-keys-heading", "data-testid": "blocked-keys-panel", "data-state": "loading" },
    h("h2", { id: "blocked-keys-heading" }, "Blocked keys"),
    h("p", { class: "hint" }, onExhaustedOf(e) === "skip"
      ? "This endpoint skips a delivery that runs out of retries, so its keys do not stay blocked."
      : "A key whose oldest delivery ran out of retries holds its later deliveries back. Skip that delivery to let the key move on, " +
        "or retry it (as a new delivery, on a fresh retry schedule): the key moves on once it succeeds."),
    box, out, h("div", { class: "actions" }, reload));

  let seq = 0;
  async function load() {
    const mine = ++seq;
    el.dataset.state = "loading";
    out.setAttribute("aria-busy", "true");
    let keys;
    try {
      keys = ((await api.listBlockedKeys(id)) || {}).data || [];
    } catch (err) {
      if (mine !== seq) return;
      out.removeAttribute("aria-busy");
      el.dataset.state = "error";
      replace(out);
      showProblem(box, err);
      return;
    }
    if (mine !== seq) return; // a later load is running
    out.removeAttribute("aria-busy");
    el.dataset.state = keys.length ? "ready" : "empty";
    el.dataset.count = String(keys.length);
    if (!keys.length) {
      replace(out, h("p", { class: "muted", "data-testid": "no-blocked-keys" }, "No key is blocked."));
      return;
    }
    replace(out, h("div", { class: "table-wrap" },
      h("table", { class: "cards", "data-testid": "blocked-keys-table", "aria-labelledby": "blocked-keys-heading" },
        h("thead", {}, h("tr", {}, ["Ordering key", "Head delivery", "Blocked since", "Waiting", "Actions"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, keys.map(row)))));
  }

  function row(k) {
    const name = keyText(k.ordering_key);
    const button = (action, text) => {
      const b = h("button", { type: "button", class: "small", "data-testid": action + "-head", "data-action": action,
        "aria-label": text + " of key " + name }, text);
      b.addEventListener("click", () => unblock(k, action, b));
      return b;
    };
    return h("tr", { "data-testid": "blocked-key-row", "data-key": k.ordering_key, "data-delivery-id": k.delivery_id, "data-waiting": String(k.waiting) },
      td("Ordering key", k.ordering_key === ""
        ? h("span", { class: "muted", "data-testid": "blocked-key" }, name)
        : h("code", { class: "breakable", "data-testid": "blocked-key" }, name)),
      td("Head delivery", link("/endpoints/" + id + "/deliveries/" + k.delivery_id, k.delivery_id.slice(0, 8) + "…",
        { class: "mono nowrap", "aria-label": "Head delivery " + k.delivery_id + " of key " + name, "data-testid": "blocked-head-link" })),
      td("Blocked since", time(k.blocked_since)),
      td("Waiting", h("span", { "data-testid": "blocked-waiting" }, String(k.waiting))),
      td("Actions", h("div", { class: "actions" }, button("skip", "Skip head"), button("retry", "Retry head"))));
  }

  async function unblock(k, action, btn) {
    const name = keyText(k.ordering_key);
    clearNotice(box);
    out.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    btn.setAttribute("aria-busy", "true");
    try {
      const r = await api.unblockKey(id, k.ordering_key, action);
      const result = { "data-testid": "unblock-result", "data-action": r.action, "data-key": r.ordering_key,
        "data-delivery-id": r.delivery_id, "data-retry-id": r.retry_delivery_id || "" };
      if (action === "retry") {
        notice(box, "success", h("p", result, "Key ", h("strong", {}, name), ": the head is being retried as a new delivery",
          r.retry_delivery_id ? [" (", link("/endpoints/" + id + "/deliveries/" + r.retry_delivery_id, "open it", { "data-testid": "unblock-retry-link" }), ")"] : "",
          "; the key moves on once it succeeds."));
        announce("Key " + name + ": the head is being retried.");
      } else {
        notice(box, "success", h("p", result, "Key ", h("strong", {}, name), ": the head was skipped; the key's next delivery goes now."));
        announce("Key " + name + ": the head was skipped.");
      }
    } catch (err) {
      showProblem(box, err); // 409: the key was not blocked (any more)
    }
    await load();
    box.focus();
  }

  reload.addEventListener("click", async () => {
    clearNotice(box);
    reload.disabled = true;
    await load();
    reload.disabled = false;
    const n = el.dataset.count;
    if (el.dataset.state === "empty") announce("No key is blocked.");
    else if (el.dataset.state === "ready") announce(n === "1" ? "1 key is blocked." : n + " keys are blocked.");
  });

  return { el, loaded: load() };
}

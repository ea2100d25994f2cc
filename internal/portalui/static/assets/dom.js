// DOM helpers. Server data only ever becomes text nodes or attribute values
// set through the DOM (never markup), so a URL, a description, a payload or a
// response body cannot inject anything into the page.

// h builds an element: h("a", {href: "#/x", class: "button"}, "text", child…).
// Attributes starting with "on" take a listener; true/false toggle a boolean
// attribute; null/undefined are skipped. Strings and numbers become text.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") {
      el.addEventListener(k.slice(2), v);
    } else if (k === "dataset") {
      Object.assign(el.dataset, v);
    } else if (v === true) {
      el.setAttribute(k, "");
    } else {
      el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// replace empties el and fills it with children.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// link to a portal route (always a hash we build ourselves).
export function link(route, text, attrs = {}) {
  return h("a", { ...attrs, href: "#" + route }, text);
}

export function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

// time renders an instant as <time> with the exact value in datetime.
export function time(iso) {
  if (!iso) return h("span", { class: "muted" }, "—");
  return h("time", { datetime: iso, title: iso }, fmtTime(iso));
}

// badge: kind is ok | bad | warn | off | wait (a symbol and the text say it;
// the colour only repeats it).
export function badge(kind, text, attrs = {}) {
  return h("span", { ...attrs, class: "badge " + kind }, text);
}

const healthKinds = { healthy: ["ok", "Healthy"], failing: ["bad", "Failing"], disabled: ["off", "Disabled"] };
export function healthBadge(health) {
  const [kind, text] = healthKinds[health] || ["off", String(health)];
  return badge(kind, text, { "data-testid": "health", "data-health": health });
}

const statusKinds = {
  pending: ["wait", "Pending"], in_flight: ["wait", "In flight"], succeeded: ["ok", "Succeeded"],
  failed: ["bad", "Failed"], dead_letter: ["bad", "Dead letter"],
};
export function statusBadge(status) {
  const [kind, text] = statusKinds[status] || ["off", String(status)];
  return badge(kind, text, { "data-testid": "delivery-status", "data-status": status });
}
export const deliveryStatuses = Object.keys(statusKinds);
export function statusLabel(status) { return (statusKinds[status] || [null, status])[1]; }

// td is a table cell carrying its column name for the phone (card) layout.
export function td(label, ...children) {
  return h("td", { "data-label": label }, h("div", {}, ...children));
}

// tdStacked is a cell whose content goes under its label on phones (long
// content such as a response body).
export function tdStacked(label, ...children) {
  return h("td", { "data-label": label, class: "stack" }, h("div", {}, ...children));
}

export function tags(list) {
  return h("ul", { class: "tags" }, list.map((x) => h("li", {}, x === "*" ? "* (all)" : x)));
}

// announce speaks a short message through the polite live region.
export function announce(msg) {
  const region = document.getElementById("announcer");
  region.textContent = "";
  // a fresh text node after a tick makes screen readers repeat equal messages
  setTimeout(() => { region.textContent = msg; }, 50);
}

// notice fills box (an aria-live region on the page) with a message.
export function notice(box, kind, ...content) {
  box.className = "notice " + kind;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  replace(box, ...content);
  return box;
}

export function clearNotice(box) {
  box.className = "notice";
  box.replaceChildren();
}

// fieldNames maps a problem location to the form control names it may
// mean, the most specific first: "body.events[0]" → ["events"],
// "body.auth.password" → ["auth.password", "auth"], "body.headers.X-Key" →
// ["headers.X-Key", "headers"] (a fieldset may carry the short name).
function fieldNames(location) {
  const m = /^(?:body|query|path)\.([A-Za-z_]+)(?:\.([^[]+))?/.exec(location || "");
  if (!m) return [];
  return m[2] ? [m[1] + "." + m[2], m[1]] : [m[1]];
}

// fieldMessage is the message shown next to a field: with the JSON pointer
// when the location names a place inside the field's JSON value
// ("body.filter/data/amount/$gt" → "at /data/amount/$gt: …").
function fieldMessage(location, msg) {
  const m = /^(?:body|query|path)\.[A-Za-z_]+(\/.*)$/.exec(location || "");
  return m ? "at " + m[1] + ": " + msg : msg;
}

// showProblem writes an API error into box and marks the form's fields it
// names (aria-invalid plus a message linked by aria-describedby).
export function showProblem(box, err, form) {
  if (form) clearFieldErrors(form);
  const p = err && err.problem ? err.problem : {};
  const title = p.title || (err && err.message) || "Something went wrong";
  const items = [];
  for (const e of p.errors || []) {
    const where = e.location || "";
    items.push(h("li", { "data-testid": "problem-error" }, where ? h("code", {}, where) : "", where ? ": " : "", e.message || ""));
    if (form) markField(form, fieldNames(where), fieldMessage(where, e.message || "invalid"));
  }
  notice(box, "error",
    h("p", {}, h("strong", {}, title), err && err.status ? ` (${err.status})` : ""),
    p.detail ? h("p", { "data-testid": "problem-detail" }, p.detail) : "",
    items.length ? h("ul", {}, items) : "");
  announce(title + (p.detail ? ": " + p.detail : ""));
}

function markField(form, names, msg) {
  let control = null;
  let name = "";
  for (const n of names) {
    control = form.querySelector(`[name="${CSS.escape(n)}"]`);
    if (control) { name = n; break; }
  }
  if (!control) return;
  // A group of checkboxes (or a fieldset named by the problem) is marked as
  // a whole; any other control on its own.
  const group = control.tagName === "FIELDSET" ? control
    : control.type === "checkbox" || control.type === "radio" ? control.closest("fieldset") : null;
  const holder = group || control.closest(".field, .hdr-row") || control.parentElement;
  const id = "err-" + name;
  let msgEl = form.querySelector("#" + CSS.escape(id));
  if (!msgEl) {
    msgEl = h("span", { class: "field-error", id });
    holder.append(msgEl);
  }
  msgEl.textContent = msgEl.textContent ? msgEl.textContent + "; " + msg : msg;
  const target = group || control;
  target.setAttribute("aria-invalid", "true");
  const described = (target.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
  if (!described.includes(id)) target.setAttribute("aria-describedby", described.concat(id).join(" "));
}

export function clearFieldErrors(form) {
  form.querySelectorAll(".field-error").forEach((el) => {
    const id = el.id;
    form.querySelectorAll(`[aria-describedby~="${id}"]`).forEach((c) => {
      const rest = c.getAttribute("aria-describedby").split(" ").filter((x) => x !== id);
      if (rest.length) c.setAttribute("aria-describedby", rest.join(" "));
      else c.removeAttribute("aria-describedby");
    });
    el.remove();
  });
  form.querySelectorAll('[aria-invalid="true"]').forEach((c) => c.removeAttribute("aria-invalid"));
}

// confirmDialog asks a yes/no question in the page's modal <dialog>.
export function confirmDialog(title, message, okLabel) {
  const dlg = document.getElementById("confirm-dialog");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-message").textContent = message;
  const ok = document.getElementById("confirm-ok");
  const cancel = document.getElementById("confirm-cancel");
  ok.textContent = okLabel || "Confirm";
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const done = (answer) => {
      ok.removeEventListener("click", onOK);
      cancel.removeEventListener("click", onCancel);
      dlg.removeEventListener("close", onClose);
      if (dlg.open) dlg.close();
      if (opener && opener.isConnected) opener.focus();
      resolve(answer);
    };
    const onOK = () => done(true);
    const onCancel = () => done(false);
    const onClose = () => done(false); // Escape
    ok.addEventListener("click", onOK);
    cancel.addEventListener("click", onCancel);
    dlg.addEventListener("close", onClose);
    dlg.showModal();
    cancel.focus();
  });
}

// copyText copies to the clipboard; the fallback selects the text so the
// user can copy it by hand when the Clipboard API is unavailable.
export async function copyText(text, sourceEl) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch (_) { /* fall through */ }
  if (sourceEl) {
    const range = document.createRange();
    range.selectNodeContents(sourceEl);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    try { return document.execCommand("copy"); } catch (_) { return false; }
  }
  return false;
}

// secretPanel shows a signing secret once, with a copy button.
export function secretPanel(heading, secret, extra) {
  const value = h("code", { class: "secret-value", id: "secret-value", "data-testid": "secret-value" }, secret);
  const status = h("span", { role: "status", class: "muted", "data-testid": "copy-status" });
  const btn = h("button", {
    type: "button", class: "button", "data-testid": "copy-secret",
    onclick: async () => {
      const ok = await copyText(secret, value);
      status.textContent = ok ? "Copied to the clipboard." : "Could not copy: the secret is selected, press Ctrl+C (⌘C).";
    },
  }, "Copy secret");
  return h("section", { class: "panel secret-box", "aria-labelledby": "secret-heading", "data-testid": "secret-panel" },
    h("h2", { id: "secret-heading", tabindex: "-1" }, heading),
    h("p", {}, h("strong", {}, "Copy this signing secret now: you won't see it again."),
      " Store it where your receiver can read it; it verifies the webhook-signature header."),
    h("div", { class: "secret-row" }, value, btn),
    status, extra || "");
}

// fromLocalInput turns a datetime-local value into RFC 3339 (UTC), or "".
export function fromLocalInput(v) {
  if (!v) return "";
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString();
}

// toLocalInput turns an RFC 3339 instant into a datetime-local value.
export function toLocalInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function prettyJSON(v) {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") {
    try { return JSON.stringify(JSON.parse(v), null, 2); } catch (_) { return v; }
  }
  return JSON.stringify(v, null, 2);
}

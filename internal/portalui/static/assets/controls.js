// Delivery controls of an endpoint (DESIGN §9.1): custom headers, receiver
// auth, mutual TLS, retry schedule and timeout. controlsForm is the part of
// the create/edit form; controlsProps and controlsSummary show them.
//
// Secrets are write-only here too: the API never returns a sensitive header's
// value, an auth secret or a TLS key, and nothing in this file fills one in.
// An edit sends only what the user changed: a sensitive header left alone is
// omitted from the merge patch (kept), auth and tls are sent whole or not at
// all.

import { h, time, badge, tags } from "./dom.js";

// sensitive mirrors the server's rule (internal/endpoint/headers.go): such a
// header's value is never shown again once saved.
const sensitiveWords = ["token", "secret", "key", "password", "auth"];
export function sensitive(name) {
  const n = String(name || "").toLowerCase();
  return n === "authorization" || n === "cookie" || n === "x-api-key" || sensitiveWords.some((w) => n.includes(w));
}

const authTypes = [
  ["", "None"],
  ["basic", "Basic (username and password)"],
  ["bearer", "Bearer token"],
  ["oauth2_client_credentials", "OAuth2 client credentials"],
];
const authLabel = (t) => (authTypes.find(([v]) => v === t) || [t, t])[1];
const defaultAuthMethod = "client_secret_basic";

function field(id, labelText, control, hint) {
  if (hint) control.setAttribute("aria-describedby", id + "-hint");
  return h("div", { class: "field" }, h("label", { for: id }, labelText),
    control, hint ? h("span", { class: "hint", id: id + "-hint" }, hint) : "");
}

const lower = (s) => String(s).toLowerCase();
const byName = (a, b) => lower(a).localeCompare(lower(b));

// ---- custom headers -------------------------------------------------------

function headersFieldset(cur) {
  const plain = cur.headers || {};
  const hidden = cur.sensitive_headers || [];
  const list = h("div", { class: "hdr-rows", id: "header-rows" });
  const rows = []; // {row, kind: "hidden"|"plain"|"new", orig, nameInput?, valueInput}
  let n = 0;

  const addRow = (kind, name, value) => {
    const i = n++;
    const r = { kind, orig: kind === "new" ? null : name };
    const removeBtn = h("button", { type: "button", class: "small", "data-testid": "header-remove", id: "hdr-remove-" + i }, "Remove");
    if (kind === "hidden") {
      r.valueInput = h("input", {
        type: "password", id: "hdr-value-" + i, name: "headers." + name, autocomplete: "new-password", "data-testid": "header-value",
        placeholder: "unchanged", "aria-label": "New value for " + name + " (leave empty to keep the current one)",
        "aria-describedby": "hdr-state-" + i,
      });
      r.row = h("div", { class: "hdr-row hidden-value", "data-testid": "header-row", "data-name": name, "data-sensitive": "true" },
        h("span", { class: "hdr-name mono breakable" }, name),
        h("span", { class: "hint hdr-state", id: "hdr-state-" + i, "data-testid": "header-hidden" },
          badge("off", "value hidden"), " Set a new value or remove it; left empty, the current value is kept."),
        r.valueInput, removeBtn);
      removeBtn.setAttribute("aria-label", "Remove header " + name);
    } else {
      r.nameInput = h("input", { type: "text", id: "hdr-name-" + i, value: name, autocomplete: "off", spellcheck: "false", maxlength: 64,
        "aria-label": "Header name", "data-testid": "header-name", placeholder: "X-Example" });
      r.valueInput = h("input", { type: sensitive(name) ? "password" : "text", id: "hdr-value-" + i, name: "headers." + name, value,
        autocomplete: sensitive(name) ? "new-password" : "off", spellcheck: "false", "aria-label": "Header value", "data-testid": "header-value" });
      r.nameInput.addEventListener("input", () => {
        const nm = r.nameInput.value.trim();
        r.valueInput.name = "headers." + nm;
        r.valueInput.type = sensitive(nm) ? "password" : "text";
        r.valueInput.setAttribute("aria-label", nm ? "Value of header " + nm : "Header value");
      });
      if (name) r.valueInput.setAttribute("aria-label", "Value of header " + name);
      removeBtn.setAttribute("aria-label", name ? "Remove header " + name : "Remove this header");
      r.row = h("div", { class: "hdr-row", "data-testid": "header-row", "data-name": name || null }, r.nameInput, r.valueInput, removeBtn);
    }
    removeBtn.addEventListener("click", () => {
      rows.splice(rows.indexOf(r), 1);
      r.row.remove();
      addBtn.focus();
    });
    rows.push(r);
    list.append(r.row);
    return r;
  };

  const addBtn = h("button", { type: "button", class: "small", id: "add-header", "data-testid": "add-header" }, "Add header");
  addBtn.addEventListener("click", () => addRow("new", "", "").nameInput.focus());
  for (const name of [...Object.keys(plain), ...hidden].sort(byName)) {
    if (hidden.includes(name)) addRow("hidden", name, "");
    else addRow("plain", name, plain[name]);
  }

  const el = h("fieldset", { name: "headers", id: "headers-fieldset", "data-testid": "headers-fieldset" },
    h("legend", {}, "Custom headers"),
    h("p", { class: "hint" }, "Sent with every delivery. Credential headers (Authorization, Cookie, X-Api-Key, or a name containing ",
      "token, secret, key, password or auth) are write-only: their value is never shown after saving."),
    list, h("div", { class: "actions" }, addBtn));

  // current: {r, name, value} of the filled rows; value undefined keeps a hidden value.
  const current = () => rows.map((r) => r.kind === "hidden"
    ? { r, name: r.orig, value: r.valueInput.value === "" ? undefined : r.valueInput.value }
    : { r, name: r.nameInput.value.trim(), value: r.valueInput.value }).filter((x) => x.name || x.value);

  return {
    el,
    // create: the headers object, or undefined when there are none.
    create() {
      const out = {};
      for (const x of current()) if (x.value !== undefined) out[x.name] = x.value;
      return Object.keys(out).length ? out : undefined;
    },
    // patch: an RFC 7396 merge patch, or undefined when nothing changed.
    patch() {
      const out = {};
      const kept = new Set();
      for (const { r, name, value } of current()) {
        kept.add(lower(name));
        if (value === undefined) continue; // hidden value left alone
        if (r.kind === "plain" && r.orig === name && plain[name] === value) continue;
        out[name] = value;
      }
      for (const name of [...Object.keys(plain), ...hidden]) if (!kept.has(lower(name))) out[name] = null;
      return Object.keys(out).length ? out : undefined;
    },
  };
}

// ---- receiver auth ----------------------------------------------------------

function authFieldset(cur, editing) {
  const a = cur.auth || null;
  const type = h("select", { id: "ep-auth-type", name: "auth.type", "data-testid": "auth-type" },
    authTypes.map(([v, text]) => h("option", { value: v, selected: (a ? a.type : "") === v }, text)));
  const input = (id, name, labelText, attrs, hint) => {
    const c = h("input", { type: "text", id, name, autocomplete: "off", spellcheck: "false", "data-testid": id, ...attrs });
    return [c, field(id, labelText, c, hint)];
  };
  const secret = (id, name, labelText) => input(id, name, labelText, { type: "password", autocomplete: "new-password" },
    editing && a ? "Write-only: never shown. Enter it again to change anything in this section." : "Write-only: never shown after saving.");
  const [username, usernameF] = input("ep-auth-username", "auth.username", "Username", { value: (a && a.username) || "", maxlength: 256 });
  const [password, passwordF] = secret("ep-auth-password", "auth.password", "Password");
  const [token, tokenF] = secret("ep-auth-token", "auth.token", "Token");
  const [tokenURL, tokenURLF] = input("ep-auth-token-url", "auth.token_url", "Token URL", { type: "url", value: (a && a.token_url) || "", maxlength: 2048 },
    "The OAuth2 token endpoint Hookline asks for an access token.");
  const [clientID, clientIDF] = input("ep-auth-client-id", "auth.client_id", "Client ID", { value: (a && a.client_id) || "", maxlength: 512 });
  const [clientSecret, clientSecretF] = secret("ep-auth-client-secret", "auth.client_secret", "Client secret");
  const [scopes, scopesF] = input("ep-auth-scopes", "auth.scopes", "Scopes (optional)", { value: ((a && a.scopes) || []).join(" ") },
    "Separated by spaces.");
  const [audience, audienceF] = input("ep-auth-audience", "auth.audience", "Audience (optional)", { value: (a && a.audience) || "", maxlength: 1024 });
  const curMethod = (a && a.auth_method) || defaultAuthMethod;
  const method = h("select", { id: "ep-auth-method", name: "auth.auth_method", "data-testid": "ep-auth-method" },
    [["client_secret_basic", "HTTP Basic (client_secret_basic)"], ["client_secret_post", "In the form body (client_secret_post)"]]
      .map(([v, text]) => h("option", { value: v, selected: v === curMethod }, text)));
  const groups = {
    basic: h("div", { class: "auth-group", id: "auth-basic" }, usernameF, passwordF),
    bearer: h("div", { class: "auth-group", id: "auth-bearer" }, tokenF),
    oauth2_client_credentials: h("div", { class: "auth-group", id: "auth-oauth2" },
      tokenURLF, clientIDF, clientSecretF, scopesF, audienceF, field("ep-auth-method", "How the client secret is sent", method)),
  };
  const show = () => { for (const [t, g] of Object.entries(groups)) g.hidden = type.value !== t; };
  type.addEventListener("change", show);
  show();

  const el = h("fieldset", { name: "auth", id: "auth-fieldset", "data-testid": "auth-fieldset" },
    h("legend", {}, "Receiver authentication"),
    field("ep-auth-type", "Authentication", type, "Sets the Authorization header of every delivery."),
    editing && a ? h("p", { class: "notice info", "data-testid": "auth-current" },
      "Currently ", h("strong", {}, authLabel(a.type)), ". Its secret is not shown. Leave this section as it is to keep it; ",
      "a change replaces the whole authentication, so enter the secret again.") : "",
    Object.values(groups));

  const value = () => {
    const t = type.value;
    if (!t) return null;
    const v = { type: t };
    const opt = (k, s) => { if (s) v[k] = s; };
    if (t === "basic") { v.username = username.value; opt("password", password.value); }
    if (t === "bearer") opt("token", token.value);
    if (t === "oauth2_client_credentials") {
      v.token_url = tokenURL.value.trim();
      v.client_id = clientID.value;
      opt("client_secret", clientSecret.value);
      const sc = scopes.value.split(/[\s,]+/).filter(Boolean);
      if (sc.length) v.scopes = sc;
      opt("audience", audience.value);
      v.auth_method = method.value;
    }
    return v;
  };
  const secretField = { basic: ["password", password], bearer: ["token", token], oauth2_client_credentials: ["client_secret", clientSecret] };
  const samePublic = (v) => a && v.type === a.type && (v.username || "") === (a.username || "") &&
    (v.token_url || "") === (a.token_url || "") && (v.client_id || "") === (a.client_id || "") &&
    (v.scopes || []).join(" ") === (a.scopes || []).join(" ") && (v.audience || "") === (a.audience || "") &&
    (v.type !== "oauth2_client_credentials" || v.auth_method === ((a.auth_method) || defaultAuthMethod));

  return {
    el,
    create() { return value() || undefined; },
    // patch: {set: false} keeps the auth; {set: true, value} replaces or
    // (null) removes it; missing names a secret the change needs.
    patch() {
      const v = value();
      if (!v) return a ? { set: true, value: null } : { set: false };
      const [key, control] = secretField[v.type];
      if (!control.value && samePublic(v)) return { set: false };
      // A change to a saved auth needs its secret again (a new one too, but
      // then the server says so).
      return { set: true, value: v, missing: a && !control.value ? "body.auth." + key : null };
    },
  };
}

// ---- mutual TLS ---------------------------------------------------------------

function tlsFieldset(cur) {
  const t = cur.tls || null;
  const area = (id, name, labelText, hint) => {
    const c = h("textarea", { id, name, rows: 4, spellcheck: "false", autocomplete: "off", class: "mono", "data-testid": id,
      placeholder: "-----BEGIN …-----" });
    return [c, field(id, labelText, c, hint)];
  };
  const [cert, certF] = area("ep-tls-cert", "tls.client_cert_pem", "Client certificate (PEM)", "The certificate (chain) Hookline presents to your receiver.");
  const [key, keyF] = area("ep-tls-key", "tls.client_key_pem", "Client private key (PEM)", "Write-only: never shown after saving.");
  const [ca, caF] = area("ep-tls-ca", "tls.ca_cert_pem", "Extra CA certificates (PEM, optional)", "Roots your receiver's certificate may chain to.");
  const remove = t ? h("input", { type: "checkbox", id: "ep-tls-remove", name: "tls.remove", "data-testid": "tls-remove" }) : null;
  if (remove) remove.addEventListener("change", () => { for (const c of [cert, key, ca]) c.disabled = remove.checked; });
  const el = h("fieldset", { name: "tls", id: "tls-fieldset", "data-testid": "tls-fieldset" },
    h("legend", {}, "Mutual TLS (optional)"),
    t ? h("div", {}, tlsSummary(t),
      h("div", { class: "check" }, remove, h("label", { for: "ep-tls-remove" }, "Remove the client certificate",
        h("span", { class: "hint" }, "Deliveries go out without a client certificate."))),
      h("p", { class: "hint" }, "To replace it, paste a new certificate and its key below; left empty, the current one is kept."))
      : h("p", { class: "hint" }, "Paste a client certificate and its key for receivers that require mutual TLS."),
    certF, keyF, caF);
  const value = () => {
    if (!cert.value.trim() && !key.value.trim() && !ca.value.trim()) return undefined;
    const v = { client_cert_pem: cert.value, client_key_pem: key.value };
    if (ca.value.trim()) v.ca_cert_pem = ca.value;
    return v;
  };
  return {
    el,
    create: value,
    patch() {
      if (remove && remove.checked) return { set: true, value: null };
      const v = value();
      return v ? { set: true, value: v } : { set: false };
    },
  };
}

function tlsSummary(t) {
  return h("dl", { class: "props", "data-testid": "tls-summary" },
    h("dt", {}, "Subject"), h("dd", { class: "breakable" }, t.client_cert_subject),
    h("dt", {}, "Expires"), h("dd", {}, time(t.client_cert_not_after)),
    h("dt", {}, "SHA-256"), h("dd", { class: "mono breakable" }, t.client_cert_sha256));
}

// ---- retries and timeout ------------------------------------------------------

function retryFieldset(cur) {
  const schedule = h("input", { type: "text", id: "ep-retry", name: "retry_schedule", value: (cur.retry_schedule || []).join(", "),
    autocomplete: "off", spellcheck: "false", placeholder: "e.g. 30s, 5m, 1h", "data-testid": "retry-input" });
  const timeout = h("input", { type: "number", id: "ep-timeout", name: "timeout_seconds", min: 1, max: 30,
    value: cur.timeout_seconds ?? "", "data-testid": "timeout-input" });
  const el = h("fieldset", { name: "retries", id: "retry-fieldset" }, h("legend", {}, "Retries and timeout"),
    field("ep-retry", "Retry schedule (optional)", schedule,
      "Delays before each retry, separated by commas: 1 to 20 durations from 1s to 24h. Empty: the deployment's default."),
    field("ep-timeout", "Timeout in seconds (optional)", timeout, "HTTP timeout of one attempt (1–30). Empty: the deployment's default."));
  const parse = () => schedule.value.split(/[\s,]+/).filter(Boolean);
  const secs = () => (timeout.value.trim() ? Number(timeout.value) : null);
  return {
    el,
    create(b) {
      const s = parse();
      if (s.length) b.retry_schedule = s;
      if (secs() !== null) b.timeout_seconds = secs();
    },
    patch(b) {
      const s = parse();
      if (s.join(",") !== (cur.retry_schedule || []).join(",")) b.retry_schedule = s.length ? s : null;
      if (secs() !== (cur.timeout_seconds ?? null)) b.timeout_seconds = secs();
    },
  };
}

// controlsForm builds the "Delivery controls" part of the endpoint form for
// cur (the endpoint being edited, or {} for a new one). create(b) and
// patch(b) add its fields to a request body; patch returns the location of a
// secret the change needs but lacks (or null).
export function controlsForm(cur, editing) {
  const headers = headersFieldset(cur);
  const auth = authFieldset(cur, editing);
  const tls = tlsFieldset(cur);
  const retry = retryFieldset(cur);
  const el = h("section", { class: "controls", "aria-labelledby": "controls-heading", "data-testid": "delivery-controls" },
    h("h2", { id: "controls-heading" }, "Delivery controls"),
    h("p", { class: "hint" }, "Optional: extra request headers, how Hookline authenticates to your receiver, and how it retries."),
    headers.el, auth.el, tls.el, retry.el);
  return {
    el,
    create(b) {
      const hd = headers.create();
      if (hd) b.headers = hd;
      const a = auth.create();
      if (a) b.auth = a;
      const t = tls.create();
      if (t) b.tls = t;
      retry.create(b);
    },
    patch(b) {
      const hd = headers.patch();
      if (hd) b.headers = hd;
      const a = auth.patch();
      if (a.set) b.auth = a.value;
      const t = tls.patch();
      if (t.set) b.tls = t.value;
      retry.patch(b);
      return a.missing || null;
    },
  };
}

// ---- showing them -------------------------------------------------------------

function headersView(e) {
  const plain = e.headers || {};
  const hidden = e.sensitive_headers || [];
  const names = [...Object.keys(plain), ...hidden].sort(byName);
  if (!names.length) return h("span", { class: "muted" }, "none");
  return h("ul", { class: "hdr-list" }, names.map((n) => hidden.includes(n)
    ? h("li", { "data-testid": "header-item", "data-name": n, "data-sensitive": "true" }, h("code", {}, n), " ", badge("off", "hidden"))
    : h("li", { "data-testid": "header-item", "data-name": n }, h("code", {}, n), ": ", h("span", { class: "mono breakable" }, plain[n]))));
}

function authView(a) {
  if (!a) return h("span", { class: "muted" }, "none");
  const extra = [];
  const line = (label, v) => { if (v) extra.push(h("span", { class: "hint" }, label + ": ", h("span", { class: "mono breakable" }, v))); };
  line("username", a.username);
  line("token URL", a.token_url);
  line("client ID", a.client_id);
  line("scopes", (a.scopes || []).join(" "));
  line("audience", a.audience);
  line("secret sent as", a.type === "oauth2_client_credentials" ? (a.auth_method || defaultAuthMethod) : "");
  return h("span", {}, authLabel(a.type), extra);
}

// controlsProps are the <dt>/<dd> pairs of an endpoint's delivery controls.
export function controlsProps(e) {
  return [
    h("dt", {}, "Custom headers"), h("dd", { "data-testid": "prop-headers" }, headersView(e)),
    h("dt", {}, "Authentication"), h("dd", { "data-testid": "prop-auth", "data-auth-type": (e.auth && e.auth.type) || "none" }, authView(e.auth)),
    h("dt", {}, "Mutual TLS"), h("dd", { "data-testid": "prop-tls" }, e.tls ? tlsSummary(e.tls) : h("span", { class: "muted" }, "none")),
    h("dt", {}, "Retry schedule"), h("dd", { "data-testid": "prop-retry" }, e.retry_schedule && e.retry_schedule.length
      ? h("span", {}, tags(e.retry_schedule), h("span", { class: "hint" }, "at most " + (e.retry_schedule.length + 1) + " attempts"))
      : h("span", { class: "muted" }, "default")),
    h("dt", {}, "Timeout"), h("dd", { "data-testid": "prop-timeout" }, e.timeout_seconds ? e.timeout_seconds + " s" : h("span", { class: "muted" }, "default")),
  ];
}

// controlsSummary is one short line for the endpoint list.
export function controlsSummary(e) {
  const parts = [];
  const nh = Object.keys(e.headers || {}).length + (e.sensitive_headers || []).length;
  if (nh) parts.push(nh + (nh === 1 ? " header" : " headers") + ((e.sensitive_headers || []).length ? " (" + e.sensitive_headers.length + " hidden)" : ""));
  if (e.auth) parts.push(authLabel(e.auth.type));
  if (e.tls) parts.push("mutual TLS");
  if (e.retry_schedule && e.retry_schedule.length) parts.push("retries " + e.retry_schedule.join(", "));
  if (e.timeout_seconds) parts.push("timeout " + e.timeout_seconds + " s");
  return h("span", { "data-testid": "controls-summary", class: parts.length ? "controls-summary" : "controls-summary muted" }, parts.length ? parts.join(" · ") : "defaults");
}

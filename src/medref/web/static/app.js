// medref web app: one page, hash routes, every view a thin skin over the REST API.
"use strict";

const view = document.getElementById("view");
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const REF_PATTERN = /\b((?:HCPCS|CPT|MOD|ICD10CM|IOM|NCD|LCD|ARTICLE|USC|PTP|MUE|AOC|PFS|POS|WIKI):[A-Za-z0-9./()\-]*[A-Za-z0-9)])/g;
const $ = (id) => document.getElementById(id);

function refButton(ref, quote = "", release = "", terms = "") {
  if (ref.startsWith("CPT:")) return `<a class="ref" href="#/code/${encodeURIComponent(ref.slice(4))}" title="CPT text is not shipped: open the code card">${esc(ref)}</a>`;
  return `<button type="button" class="ref" data-ref="${esc(ref)}" data-quote="${esc(quote)}" data-release="${esc(release)}" data-terms="${esc(terms)}">${esc(ref)}</button>`;
}
const codeLink = (code) => `<a href="#/code/${encodeURIComponent(code)}">${esc(code)}</a>`;
const plural = (n, word) => `${Number(n).toLocaleString()} ${word}${n === 1 ? "" : "s"}`;

// ---- API ---------------------------------------------------------------------------------
function headers(extra = {}) {
  const key = localStorage.getItem("medref-api-key");
  return key ? { ...extra, "X-API-Key": key } : extra;
}

async function askForKey() {
  const dialog = $("apikey");
  dialog.showModal();
  await new Promise((resolve) => dialog.addEventListener("close", resolve, { once: true }));
  const key = $("apikey-input").value.trim();
  if (key) localStorage.setItem("medref-api-key", key);
  return Boolean(key);
}

async function request(path, options = {}, retried = false) {
  const response = await fetch(path, { ...options, headers: headers(options.headers) });
  if (response.status === 401 && !retried && await askForKey()) return request(path, options, true);
  return response;
}

async function api(path, options = {}) {
  const response = await request(path, options);
  const body = await response.json().catch(() => ({ error: { message: response.statusText } }));
  if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
  return body;
}

const postJson = (path, value) => api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(value) });

// Server-Sent Events over fetch (EventSource cannot send the API key header).
async function streamEvents(path, onEvent) {
  const response = await request(path, { headers: { Accept: "text/event-stream" } });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.error ? body.error.message : response.statusText);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length) onEvent(event, JSON.parse(data.join("\n")));
    }
  }
}

let sourceNames = null;
async function loadedSources() {
  if (!sourceNames) sourceNames = api("/api/sources");
  return sourceNames;
}

function showError(target, error) {
  target.innerHTML = `<p class="error" role="alert">${esc(error.message || error)}</p>`;
}

// ---- passages: a cited record with the quoted span highlighted -----------------------------
function findQuote(text, quote) {
  if (!quote) return null;
  const at = text.indexOf(quote);
  if (at >= 0) return [at, at + quote.length];
  // tolerate whitespace differences (line breaks in the record, single spaces in the quote)
  const words = quote.trim().split(/\s+/).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const match = new RegExp(words.join("\\s+")).exec(text);
  return match ? [match.index, match.index + match[0].length] : null;
}

async function openPassage(ref, quote, release, terms) {
  const dialog = $("passage");
  $("passage-title").textContent = ref;
  $("passage-meta").textContent = "loading…";
  $("passage-body").textContent = "";
  $("passage-code").hidden = true;
  if (!dialog.open) dialog.showModal();
  try {
    const params = new URLSearchParams({ ref });
    if (release) params.set("release", release);
    const record = await api(`/api/record?${params}`);
    $("passage-title").textContent = `${record.ref} — ${record.title}`;
    $("passage-meta").textContent = `${record.source} release ${record.release}` +
      (record.effective ? ` · effective ${record.effective}` : "") + (record.terminated ? ` · terminated ${record.terminated}` : "");
    const text = record.text || "";
    const span = findQuote(text, quote);
    const body = $("passage-body");
    if (span) {
      body.innerHTML = `${esc(text.slice(0, span[0]))}<mark id="quoted">${esc(text.slice(span[0], span[1]))}</mark>${esc(text.slice(span[1]))}`;
      $("quoted").scrollIntoView({ block: "center" });
    } else if (terms) {
      body.innerHTML = highlight(text, terms);
      body.querySelector("mark")?.scrollIntoView({ block: "center" });
    } else {
      body.textContent = text;
    }
    if (record.code && ["HCPCS", "ICD10CM", "MOD", "POS", "MUE", "PFS"].includes(record.ref.split(":")[0])) {
      const link = $("passage-code");
      link.href = `#/code/${encodeURIComponent(record.code)}`;
      link.hidden = false;
    }
  } catch (error) {
    $("passage-meta").textContent = error.message;
  }
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button.ref");
  if (button) openPassage(button.dataset.ref, button.dataset.quote, button.dataset.release, button.dataset.terms);
  if (event.target.id === "passage-code") $("passage").close();
});

const STOPWORDS = new Set("the and for are was were what which when where who how does did can could should would with without from into that this than then there their they them its may must not any all per has have had been being about under over our your you".split(" "));

function highlight(text, query) {
  const words = (query || "").toLowerCase().split(/[^a-z0-9.]+/).filter((w) => w.length > 2 && !STOPWORDS.has(w));
  let html = esc(text);
  for (const word of words) {
    html = html.replace(new RegExp(`\\b(${word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")})\\b`, "gi"), "<mark>$1</mark>");
  }
  return html;
}

// ---- search and ask ----------------------------------------------------------------------
async function searchView(params) {
  const q = params.get("q") || "";
  const dos = params.get("dos") || "";
  view.innerHTML = `
    <h1>Search and ask</h1>
    <form class="bar" id="search-form" role="search">
      <input type="search" id="q" name="q" value="${esc(q)}" placeholder="G0439 · modifier 25 · §40.6 · how long is the global period for major surgery?" aria-label="question, code or reference" autocomplete="off" autofocus>
      <select id="source" aria-label="source"><option value="">all sources</option></select>
      <input type="text" id="search-dos" value="${esc(dos)}" placeholder="date of service" aria-label="date of service (YYYY-MM-DD)" size="13" pattern="\\d{4}-\\d{2}-\\d{2}">
      <button id="ask-button">Ask</button>
      <button type="button" class="secondary" id="search-button">Search only</button>
    </form>
    <div class="split"><section id="answer" aria-live="polite"></section><section id="results"></section></div>`;
  loadedSources().then((rows) => {
    const select = $("source");
    if (!select) return;
    for (const name of [...new Set(rows.map((r) => r.source))]) select.insertAdjacentHTML("beforeend", `<option>${esc(name)}</option>`);
    select.value = params.get("source") || "";
  }).catch(() => {});
  const run = (withAnswer) => {
    const query = $("q").value.trim();
    if (!query) return;
    const next = new URLSearchParams({ q: query });
    if ($("search-dos").value.trim()) next.set("dos", $("search-dos").value.trim());
    if ($("source").value) next.set("source", $("source").value);
    history.replaceState(null, "", `#/search?${next}`);
    runSearch(query, $("source").value || params.get("source") || "", $("search-dos").value.trim(), withAnswer);
  };
  $("search-form").addEventListener("submit", (event) => { event.preventDefault(); run(true); });
  $("search-button").addEventListener("click", () => run(false));
  if (q) runSearch(q, params.get("source") || "", dos, true);
}

async function runSearch(query, source, dos, withAnswer) {
  const answer = $("answer");
  const results = $("results");
  results.innerHTML = `<p class="meta">searching…</p>`;
  answer.innerHTML = "";
  const params = new URLSearchParams({ q: query, k: "10" });
  if (source) params.set("source", source);
  if (dos) params.set("date_of_service", dos);
  const searching = api(`/api/search?${params}`).then((hits) => {
    results.innerHTML = `<h2>Sources</h2>` + (hits.length ? hits.map((hit) => `
      <article class="card hit"><h3>${esc(hit.title)}</h3>
      <div class="meta">${refButton(hit.ref, "", hit.release, query)} · ${esc(hit.source)} ${esc(hit.release)}</div>
      <p class="snippet">${highlight(hit.snippet, query)}</p></article>`).join("") : `<p>No matching records.</p>`);
  }).catch((error) => showError(results, error));
  if (withAnswer) await streamAnswer(query, answer);
  await searching;
}

async function streamAnswer(query, target) {
  target.innerHTML = `<div class="card answer" id="answer-card"><h2>Answer</h2><p id="answer-text" class="meta">answering…</p><div id="answer-extra"></div></div>`;
  let started = false;
  try {
    await streamEvents(`/api/ask/stream?${new URLSearchParams({ q: query })}`, (event, data) => {
      const text = $("answer-text");
      if (!text) return;
      if (event === "text") {
        if (!started) { text.textContent = ""; text.classList.remove("meta"); started = true; }
        text.insertAdjacentHTML("beforeend", esc(data.text));
      } else if (event === "done") {
        renderAnswer(data);
      } else if (event === "error") {
        showError(target, new Error(data.error.message));
      }
    });
  } catch (error) { showError(target, error); }
}

function renderAnswer(result) {
  const card = $("answer-card");
  card.classList.toggle("refused", !result.answerable);
  const withMarkers = esc(result.answer).replace(/\[(\d+)\]/g, (_, n) => {
    const c = result.citations[Number(n) - 1];
    return c ? `<sup><button type="button" class="ref cite" data-ref="${esc(c.ref)}" data-quote="${esc(c.quote)}" data-release="${esc(c.release)}" aria-label="citation ${n}: ${esc(c.ref)}">[${n}]</button></sup>` : `[${n}]`;
  });
  $("answer-text").innerHTML = withMarkers;
  $("answer-text").classList.remove("meta");
  const citations = result.citations.length ? `<h3>Citations</h3><ol class="citations">${result.citations.map((c) =>
    `<li>${refButton(c.ref, c.quote, c.release)} <span class="meta">${esc(c.source)} ${esc(c.release)}</span><blockquote>${esc(c.quote)}</blockquote></li>`).join("")}</ol>` : "";
  const closest = (result.closest || []).length ? `<h3>Closest sources</h3><ul>${result.closest.map((c) =>
    `<li>${refButton(c.ref, "", c.release)} ${esc(c.title)}</li>`).join("")}</ul>` : "";
  const notice = result.notice ? `<p class="meta">${esc(result.notice)}</p>` : "";
  $("answer-extra").innerHTML = notice + citations + closest;
}

// ---- code card ---------------------------------------------------------------------------
function codeView(params, rest) {
  const code = decodeURIComponent(rest || params.get("code") || "");
  const dos = params.get("dos") || "";
  view.innerHTML = `
    <h1>Code</h1>
    <form class="bar" id="code-form">
      <input type="search" id="code-input" value="${esc(code)}" placeholder="G0439, E11.9, 99213-25, GA, 11…" aria-label="code" autocomplete="off" autofocus>
      <input type="text" id="dos" value="${esc(dos)}" placeholder="date of service" aria-label="date of service (YYYY-MM-DD)" size="13">
      <button>Explain</button>
    </form>
    <div id="card"></div>
    <details class="card" id="diff-box"><summary>Compare two releases of a code set</summary>
      <form class="bar" id="diff-form">
        <select id="diff-source" aria-label="code set"><option>hcpcs</option><option>icd10cm</option></select>
        <select id="diff-a" aria-label="older release"></select> → <select id="diff-b" aria-label="newer release"></select>
        <button>Compare</button>
      </form><div id="diff"></div></details>`;
  $("code-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("code-input").value.trim();
    const date = $("dos").value.trim();
    if (value) location.hash = `#/code/${encodeURIComponent(value)}` + (date ? `?dos=${encodeURIComponent(date)}` : "");
  });
  setUpDiff();
  if (code) renderCode(code, dos);
}

async function renderCode(code, dos) {
  const card = $("card");
  card.innerHTML = `<p class="meta">looking up…</p>`;
  try {
    const params = dos ? `?date_of_service=${encodeURIComponent(dos)}` : "";
    const c = await api(`/api/code/${encodeURIComponent(code)}${params}`);
    const verdict = c.valid === true ? ["valid", "pass"] : c.valid === false ? ["not valid", "fail"] : ["validity unknown", "no_data"];
    const head = c.code + (c.modifiers.length ? "-" + c.modifiers.join("-") : "");
    card.innerHTML = `<article class="card" id="code-card">
      <p class="big">${esc(head)} <span class="meta">${esc(c.system)}${c.category ? " · " + esc(c.category) : ""}${c.subcategory ? " / " + esc(c.subcategory) : ""}</span></p>
      <p><span class="badge ${verdict[1]}">${verdict[0]}</span>${c.date_of_service ? ` on ${esc(c.date_of_service)}` : ""} — ${esc(c.validity)} ${c.ref ? refButton(c.ref, "", c.release || "") : ""}</p>
      ${c.mixed_periods ? `<p class="warning" id="mixed-periods" role="note"><strong>Different periods:</strong> ${esc(c.mixed_periods)}</p>` : ""}
      ${c.descriptor ? `<p><strong>Descriptor (your licensed file):</strong> ${esc(c.descriptor)}</p>` : ""}
      ${recordBlock(c.record)}${icdBlock(c.icd)}${modifierBlock(c)}${pfsBlock(c.pfs)}${mueBlock(c.mue)}${ptpBlock(c.ptp)}${addOnBlock(c.add_on)}
      ${c.mentions.length ? `<h2>Texts citing ${esc(c.code)}</h2><ul>${c.mentions.map((m) => `<li>${refButton(m.ref, "", m.release)} ${esc(m.title)}</li>`).join("")}</ul>` : ""}
      ${c.other_readings.length ? `<p class="meta">Also reads as ${c.other_readings.map((o) => `${esc(o.system)} ${o.ref ? esc(o.ref) : ""}`).join(", ")}</p>` : ""}
      ${c.gaps.length ? `<ul class="meta">${c.gaps.map((g) => `<li>${esc(g)}</li>`).join("")}</ul>` : ""}
      ${c.periods.length ? `<h2>Tables read</h2><table class="grid" id="periods"><thead><tr><th>table</th><th>release</th><th>dates of service it governs</th></tr></thead><tbody>
        ${c.periods.map((p) => `<tr><td>${esc(p.table)}</td><td>${esc(p.release)}</td><td>${esc(p.covers)}</td></tr>`).join("")}</tbody></table>` : ""}
    </article>`;
  } catch (error) { showError(card, error); }
}

function recordBlock(record) {
  if (!record) return "";
  const dates = [record.effective && `effective ${record.effective}`, record.terminated && `terminated ${record.terminated}`].filter(Boolean).join(" · ");
  return `<h2>${esc(record.title)}</h2><p class="meta">${refButton(record.ref, "", record.release)} · ${esc(record.source)} ${esc(record.release)}${dates ? " · " + esc(dates) : ""}</p>
    <div class="passage short">${esc(record.text)}</div>`;
}

function icdBlock(icd) {
  if (!icd) return "";
  const notes = ["excludes1", "excludes2", "code_first", "use_additional", "code_also", "includes", "inclusion_terms", "notes"]
    .filter((n) => (icd[n] || []).length)
    .map((n) => `<dt>${esc(n.replace(/_/g, " "))}</dt><dd><ul>${icd[n].map((t) => `<li>${esc(t)}</li>`).join("")}</ul></dd>`).join("");
  const children = icd.children.slice(0, 40).map(codeLink).join(", ") + (icd.children.length > 40 ? ` and ${icd.children.length - 40} more` : "");
  return `<h2>ICD-10-CM</h2><dl class="kv">
    <dt>billable</dt><dd>${icd.billable ? "yes" : "no (a header: code a more specific child)"}</dd>
    ${icd.parent ? `<dt>parent</dt><dd>${codeLink(icd.parent.replace(/^ICD10CM:/, ""))}</dd>` : ""}
    ${icd.chapter ? `<dt>chapter</dt><dd>${esc(icd.chapter)}</dd>` : ""}${icd.block ? `<dt>block</dt><dd>${esc(icd.block)}</dd>` : ""}
    ${icd.children.length ? `<dt>children</dt><dd>${children}</dd>` : ""}${notes}</dl>`;
}

function modifierBlock(c) {
  const found = c.modifier ? [c.modifier] : c.modifier_checks;
  if (!found.length) return "";
  return `<h2>Modifier${found.length > 1 ? "s" : ""}</h2><ul>${found.map((m) => `<li><strong>${esc(m.code)}</strong> ${m.known
    ? `${esc(m.summary)} <span class="meta">${esc(m.flags.join(", ") || "no NCCI or payment flags")}</span>` : `<span class="meta">not in medref's modifier table</span>`}</li>`).join("")}</ul>`;
}

function pfsBlock(rows) {
  if (!rows.length) return "";
  return `<h2>Physician fee schedule</h2>` + rows.map((row) => `<h3>${refButton(row.ref, "", row.release)} <span class="meta">release ${esc(row.release)}${row.modifier ? ", modifier " + esc(row.modifier) : ""}</span>${row.applies ? "" : ` <span class="badge fail">does not apply</span>`}</h3>
    ${row.applies ? "" : `<p class="warning pfs-not-applied">This row does not apply: ${esc(row.does_not_apply_because)}</p>`}
    <table class="grid"><thead><tr><th>indicator</th><th>value</th><th>meaning</th></tr></thead><tbody>
    ${row.indicators.map((i) => `<tr><td>${esc(i.name)}</td><td>${esc(i.value)}</td><td>${esc(i.meaning || "")}</td></tr>`).join("")}
    </tbody></table><p class="meta">${Object.entries(row.rvus).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${esc(k.replace(/_/g, " "))} ${esc(v)}`).join(" · ")}</p>`).join("");
}

function mueBlock(rows) {
  if (!rows.length) return "";
  return `<h2>Medically unlikely edits</h2><table class="grid"><thead><tr><th>setting</th><th>units</th><th>adjudication</th><th>rationale</th><th>source</th></tr></thead><tbody>
    ${rows.map((r) => `<tr><td>${esc(r.setting)}</td><td>${esc(r.units)}</td><td>MAI ${esc(r.mai)}: ${esc(r.mai_meaning)}</td><td>${esc(r.rationale)}</td><td>${refButton(r.ref, "", r.release)} <span class="meta">release ${esc(r.release)}</span></td></tr>`).join("")}</tbody></table>`;
}

function ptpBlock(ptp) {
  const settings = Object.entries(ptp || {});
  if (!settings.length) return "";
  const side = (found, label) => `<dt>${label}</dt><dd>${plural(found.active, "active edit")} of ${found.rows.toLocaleString()}
    ${Object.keys(found.active_by_modifier_indicator).length ? `<span class="meta">(${Object.entries(found.active_by_modifier_indicator).map(([k, v]) => `indicator ${esc(k)}: ${v}`).join(", ")})</span>` : ""}
    ${found.top_pairs.length ? `<br>${found.top_pairs.map((p) => refButton(p.ref) + `<span class="meta"> mod ${esc(p.modifier_indicator)}</span>`).join(" · ")}` : ""}</dd>`;
  return `<h2>NCCI procedure-to-procedure edits</h2>` + settings.map(([setting, s]) =>
    `<h3>${esc(setting)} <span class="meta">release ${esc(s.release)}</span></h3><dl class="kv">${side(s.as_column_1, "as column 1")}${side(s.as_column_2, "as column 2")}</dl>`).join("");
}

function addOnBlock(addOn) {
  if (!addOn || (!(addOn.as_add_on || []).length && !(addOn.as_primary || []).length)) return "";
  return `<h2>Add-on code edits <span class="meta">release ${esc(addOn.release)}</span></h2><dl class="kv">
    ${addOn.as_add_on.length ? `<dt>add-on code; primaries</dt><dd>${addOn.as_add_on.map((r) => `${codeLink(r.code)} <span class="meta">type ${esc(r.edit_type)}</span>`).join(", ")}</dd>` : ""}
    ${addOn.as_primary.length ? `<dt>primary for</dt><dd>${addOn.as_primary.map((r) => codeLink(r.code)).join(", ")}</dd>` : ""}</dl>`;
}

async function setUpDiff() {
  const fill = async () => {
    const rows = await loadedSources();
    const releases = rows.filter((r) => r.source === $("diff-source").value).map((r) => r.release);
    const options = releases.map((r) => `<option>${esc(r)}</option>`).join("");
    $("diff-a").innerHTML = options;
    $("diff-b").innerHTML = options;
    if (releases.length) $("diff-b").value = releases[releases.length - 1];
  };
  $("diff-source").addEventListener("change", fill);
  fill().catch(() => {});
  $("diff-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const target = $("diff");
    target.innerHTML = `<p class="meta">comparing…</p>`;
    try {
      const params = new URLSearchParams({ source: $("diff-source").value, a: $("diff-a").value, b: $("diff-b").value });
      const d = await api(`/api/code-diff?${params}`);
      const list = (rows) => rows.slice(0, 100).map((r) => `<li>${codeLink(r.code)} ${esc(r.title || "")}</li>`).join("") + (rows.length > 100 ? `<li class="meta">and ${rows.length - 100} more</li>` : "");
      target.innerHTML = `<p>${esc(d.source)} ${esc(d.release_a)} → ${esc(d.release_b)}: ${d.added.length} added, ${d.deleted.length} deleted, ${d.changed.length} changed</p>
        <div class="cols"><div><h3>Added</h3><ul>${list(d.added)}</ul></div><div><h3>Deleted</h3><ul>${list(d.deleted)}</ul></div></div>
        <h3>Changed</h3><ul>${d.changed.slice(0, 100).map((c) => `<li>${codeLink(c.code)} <span class="meta">${esc(c.fields.join(", "))}</span></li>`).join("")}</ul>`;
    } catch (error) { showError(target, error); }
  });
}

// ---- claim check -------------------------------------------------------------------------
const CSV_HEADER = "claim_id,line,date_of_service,code,modifiers,units,place_of_service,diagnoses";
let lastFindings = [];
let chosenFile = null;

function checkView() {
  view.innerHTML = `
    <h1>Claim check</h1>
    <p class="meta">CSV columns <code>${CSV_HEADER}</code> (optional <code>setting</code>); modifiers and diagnoses separated by <code>|</code>. Or an X12 837P/837I (claims) or 835 (remittance: each denial explained). Claim data is checked in memory, never stored or logged.</p>
    <textarea id="claims" aria-label="claims CSV, 837 or 835" spellcheck="false">${CSV_HEADER}\n</textarea>
    <form class="bar" id="check-form">
      <label class="file">Upload CSV, 837 or 835 <input type="file" id="claims-file" accept=".csv,text/csv,.837,.835,.x12,.edi,.txt"></label>
      <label class="file" title="For an 835: the claims as sent (837 or CSV), for the diagnoses">Claims as sent (835 only) <input type="file" id="sent-file" accept=".csv,text/csv,.837,.x12,.edi,.txt,.json"></label>
      <button type="button" class="secondary" id="example">Load example</button>
      <select id="setting" aria-label="setting"><option value="practitioner">practitioner</option><option value="outpatient">outpatient hospital</option><option value="dme">DME supplier</option></select>
      <label><input type="checkbox" id="problems-only"> problems only</label>
      <button id="check-button">Check</button>
      <button type="button" class="secondary" id="download" disabled>Download CSV</button>
    </form>
    <div id="findings" aria-live="polite"></div>`;
  chosenFile = null;
  $("claims-file").addEventListener("change", async (event) => {
    chosenFile = event.target.files[0] || null;
    if (!chosenFile) return;
    $("claims").value = chosenFile.size < 200000 ? await chosenFile.text() : `${chosenFile.name}: ${chosenFile.size.toLocaleString()} bytes, sent as uploaded`;
  });
  $("claims").addEventListener("input", () => { chosenFile = null; $("claims-file").value = ""; });
  $("example").addEventListener("click", async () => {
    const response = await request("/static/example-claims.csv");
    $("claims").value = await response.text();
    chosenFile = null;
  });
  $("problems-only").addEventListener("change", () => renderFindings());
  $("check-form").addEventListener("submit", (event) => { event.preventDefault(); runCheck(); });
  $("download").addEventListener("click", downloadFindings);
}

let lastSummary = null;
let lastDenials = null;
async function runCheck() {
  const target = $("findings");
  target.innerHTML = `<p class="meta">checking…</p>`;
  $("download").disabled = true;
  const form = new FormData();
  const blob = chosenFile || new Blob([$("claims").value], { type: "text/plain" });
  const kind = x12Kind(await blob.slice(0, 2000).text());
  form.append("file", blob, chosenFile ? chosenFile.name : kind === "csv" ? "claims.csv" : `file.${kind}`);
  const sent = $("sent-file").files[0];
  if (kind === "835" && sent) form.append("claims", sent, sent.name);
  const route = { csv: "/api/check/csv", 837: "/api/check/x12", 835: "/api/denials" }[kind];
  try {
    const result = await api(`${route}?setting=${$("setting").value}`, { method: "POST", body: form });
    if (kind === "835") {
      lastFindings = []; lastSummary = null; lastDenials = result.denials;
      renderDenials(result);
      $("download").disabled = !lastDenials.length;
      return;
    }
    lastFindings = result.findings;
    lastSummary = result.summary;
    lastDenials = null;
    renderFindings();
    $("download").disabled = !lastFindings.length;
  } catch (error) { showError(target, error); }
}

// An X12 interchange is known by its ISA header; its first GS says claims (HC) or payments (HP).
function x12Kind(head) {
  const text = head.replace(/^\uFEFF?\s*/, "");
  if (!text.startsWith("ISA") || text.length < 4) return "csv";
  const at = text.indexOf(`GS${text[3]}`);
  return at >= 0 && text.slice(at + 3, at + 5) === "HP" ? "835" : "837";
}

const VERDICT_CLASS = { reproduced: "fail", not_reproduced: "pass", review: "warning", no_data: "no_data", not_checked: "bypassed" };

// Where a remitted claim stands: its envelope's control numbers and its CLP segment.
const remitPlace = (p) => `ISA ${esc(p.interchange)} · GS ${esc(p.group)} · ST ${esc(p.transaction)} · CLP at segment ${esc(p.clp_segment)}`;

function renderDenials(result) {
  const target = $("findings");
  const s = result.summary;
  const byClaim = new Map();
  for (const row of result.denials) {
    const key = `${row.place.interchange}/${row.place.clp_segment}`;
    if (!byClaim.has(key)) byClaim.set(key, []);
    byClaim.get(key).push(row);
  }
  const verdicts = Object.entries(s.by_verdict).map(([v, n]) => `<span class="badge ${VERDICT_CLASS[v] || ""}">${esc(v.replace("_", " "))} ${n}</span>`).join(" ");
  const carcs = Object.entries(s.by_carc || {}).map(([code, n]) => `${esc(code)} ×${n}`).join(", ");
  target.innerHTML = `<section class="card" id="summary"><h2>Remittance</h2>
      <p>${plural(s.claims, "claim")}, ${plural(s.service_lines, "service line")}, ${plural(s.adjusted_lines, "adjusted line")}, ${plural(s.adjustments, "adjustment")} · ${verdicts}</p>
      ${carcs ? `<p class="meta">By group and reason code: ${carcs}</p>` : ""}
      ${x12Block(s.x12, "CLP", "SVC")}
      <p class="meta">${s.claims_file_given ? "Re-checked with the claims as sent." : "Re-checked from the 835 alone: no diagnoses (add the claims as sent for CARC 11/167)."}</p></section>` +
    [...byClaim.values()].map((rows) => `<section class="card claim denial"><h2>Claim ${esc(rows[0].claim_id)} <span class="meta place">${remitPlace(rows[0].place)} · payer claim ${esc(rows[0].place.payer_claim_number || "-")}</span></h2>
      <table class="grid denials"><thead><tr><th>line</th><th>adjustment</th><th>verdict</th><th>why</th><th>source</th><th>fix</th></tr></thead><tbody>
      ${rows.map((r) => `<tr><th scope="row">${r.line === null ? "claim" : `${esc(r.line)} ${codeLink(r.code)}${r.modifiers.length ? "-" + esc(r.modifiers.join("-")) : ""} ×${esc(r.units)}`}${r.place.svc_segment ? `<div class="meta place">SVC at segment ${esc(r.place.svc_segment)}</div>` : ""}</th>
        <td><strong>${esc(r.group)}-${esc(r.carc)}</strong> $${esc(r.amount)}<div>${esc(r.carc_meaning)}</div><div class="meta">${esc(r.group_meaning)}</div>${r.rarcs.map((m) => `<div class="meta">${esc(m.code)}${m.meaning ? ": " + esc(m.meaning) : ""}</div>`).join("")}</td>
        <td><span class="badge ${VERDICT_CLASS[r.verdict] || ""}">${esc(r.verdict.replace("_", " "))}</span>${r.rule ? `<div class="meta">${esc(r.rule)}</div>` : ""}</td>
        <td>${esc(r.evidence)}</td><td>${r.ref ? refButton(r.ref) : ""}</td><td>${esc(r.fix)}</td></tr>`).join("")}
      </tbody></table></section>`).join("");
}

// What an X12 file held, and its problems not tied to one claim (envelope counts, stray segments).
function x12Block(x, claimSegment, lineSegment) {
  if (!x) return "";
  const problems = (x.problems || []).map((p) => `<li class="error">segment ${esc(p.segment)} (${esc(p.segment_id)}${p.position ? `, position ${esc(p.position)} in transaction ${esc(p.transaction)}` : ""}): ${esc(p.message)}</li>`).join("");
  return `<p class="meta" id="x12-counts">Read ${plural(x.interchanges, "interchange")}, ${plural(x.functional_groups, "functional group")}, ${plural(x.transaction_sets, "transaction set")}, ${plural(x.segments, "segment")}: ${plural(x.claims, "claim")} (${claimSegment}) and ${plural(x.service_lines, "service line")} (${lineSegment}).</p>` +
    (problems ? `<ul id="x12-problems">${problems}</ul>` : "");
}

// Every claim and line of an 837 is accounted for: checked, in a claim with input errors, or a revenue code only line.
function x12Accounting(s) {
  const x = s.x12;
  const revenue = x.revenue_code_only_lines || 0;
  const out = s.lines + s.rows_in_claims_with_input_errors + revenue;
  const balanced = out === x.service_lines && s.claims === x.claims;
  return `<p id="x12-accounting" class="${balanced ? "meta" : "error"}">${balanced ? "Every claim and line read is accounted for" : "Counts do not balance"}:
    ${plural(x.claims, "claim")} read, ${plural(s.claims, "claim")} reported (${plural(s.claims_with_input_errors, "claim")} with input errors);
    ${plural(x.service_lines, "line")} read = ${plural(s.lines, "line")} checked + ${plural(s.rows_in_claims_with_input_errors, "line")} in claims with input errors + ${plural(revenue, "revenue code only line")}${x.lines_with_date_ranges ? `; ${plural(x.lines_with_date_ranges, "line")} billed over a range of dates, checked on the first` : ""}.</p>`;
}

const SEVERITY = { error: 0, fail: 1, warning: 2, bypassed: 3, no_data: 4, pass: 5 };
const statusChips = (counts) => Object.entries(counts).sort((a, b) => SEVERITY[a[0]] - SEVERITY[b[0]])
  .map(([status, n]) => `<span class="badge ${esc(status)}">${esc(status.replace("_", " "))} ${n}</span>`).join(" ");

function renderFindings() {
  const target = $("findings");
  if (!lastSummary || !target) return;
  const s = lastSummary;
  const problemsOnly = $("problems-only").checked;
  const shown = lastFindings.filter((f) => !problemsOnly || f.status !== "pass");
  const byClaim = new Map();
  for (const f of shown) {
    if (!byClaim.has(f.claim_id)) byClaim.set(f.claim_id, new Map());
    const lines = byClaim.get(f.claim_id);
    const key = f.line ?? "claim";
    if (!lines.has(key)) lines.set(key, []);
    lines.get(key).push(f);
  }
  const chips = statusChips(s.by_status);
  const tally = (lines) => {
    const counts = {};
    for (const findings of lines.values()) for (const f of findings) counts[f.status] = (counts[f.status] || 0) + 1;
    return statusChips(counts);
  };
  target.innerHTML = `<section class="card" id="summary"><h2>Summary</h2>
      <p>${plural(s.claims, "claim")}, ${plural(s.lines, "line")} · ${chips}</p>
      ${s.x12 ? x12Block(s.x12, "CLM", "LX") + x12Accounting(s) : ""}
      <p class="meta">Data used: ${esc((s.vintages_used || []).join("; ") || "none")}</p>
      <details><summary>Not checked</summary><ul>${(s.not_checked || []).map((n) => `<li>${esc(n)}</li>`).join("")}</ul></details></section>` +
    [...byClaim.entries()].map(([claim, lines]) => `<section class="card claim"><h2>Claim ${esc(claim)} <span class="chips">${tally(lines)}</span>${placeOf(lines)}</h2>
      <table class="grid findings"><thead><tr><th>line</th><th>status</th><th>rule</th><th>finding</th><th>source</th></tr></thead>
      ${[...lines.entries()].sort((a, b) => (a[0] === "claim" ? -1 : b[0] === "claim" ? 1 : a[0] - b[0])).map(([line, findings]) => `<tbody class="line-group">
        ${findings.sort((a, b) => SEVERITY[a.status] - SEVERITY[b.status]).map((f, i) => `<tr>${i === 0 ? `<th scope="rowgroup" rowspan="${findings.length}">${esc(line)}${linePlace(f.place)}</th>` : ""}<td><span class="badge ${esc(f.status)}">${esc(f.status.replace("_", " "))}</span></td><td>${esc(f.rule)}</td><td>${esc(f.message)}<div class="meta">${esc(f.vintage)}</div></td><td>${f.ref ? refButton(f.ref) : ""}</td></tr>`).join("")}
      </tbody>`).join("")}</table></section>`).join("") + (shown.length ? "" : `<p>No findings to show.</p>`);
}

// An 837's claim: where it stands in the file (envelope control numbers, CLM01 and its segment).
function placeOf(lines) {
  const p = [...lines.values()][0][0].place;
  return p ? ` <span class="meta place">${esc(p.guide)} · ISA ${esc(p.interchange)} · GS ${esc(p.group)} · ST ${esc(p.transaction)} · CLM01 ${esc(p.clm01)} at segment ${esc(p.clm_segment)}</span>` : "";
}

// An 837 line: its LX (number and segment), line item control number and date range.
function linePlace(p) {
  if (!p || p.lx === undefined) return "";
  return `<div class="meta place">LX ${esc(p.lx)} at segment ${esc(p.lx_segment)}${p.line_control ? `<br>REF*6R ${esc(p.line_control)}` : ""}${p.through ? `<br>through ${esc(p.through)}` : ""}</div>`;
}

const PLACE_COLUMNS = ["guide", "interchange", "group", "transaction", "clm01", "clm_segment", "lx", "lx_segment", "line_control", "through"];
const DENIAL_COLUMNS = ["claim_id", "line", "code", "modifiers", "units", "date_of_service", "group", "carc", "amount", "rarcs", "verdict", "rule", "ref", "evidence", "fix"];
const DENIAL_PLACE = ["interchange", "group", "transaction", "clp01", "clp_segment", "payer_claim_number", "svc", "svc_segment"];

function downloadFindings() {
  const quote = (v) => `"${String(Array.isArray(v) ? v.map((m) => m.code ?? m).join("|") : v ?? "").replace(/"/g, '""')}"`;
  let header;
  let rows;
  if (lastDenials) {
    header = [...DENIAL_COLUMNS, ...DENIAL_PLACE.map((c) => c === "group" ? "gs_group" : c)];
    rows = lastDenials.map((r) => [...DENIAL_COLUMNS.map((c) => quote(r[c])), ...DENIAL_PLACE.map((c) => quote(r.place[c]))]);
  } else {
    const columns = ["claim_id", "line", "rule", "status", "message", "ref", "vintage"];
    const placed = lastFindings.some((f) => f.place);
    header = placed ? [...columns, ...PLACE_COLUMNS] : columns;
    rows = lastFindings.map((f) => [...columns.map((c) => quote(f[c])), ...(placed ? PLACE_COLUMNS.map((c) => quote((f.place || {})[c])) : [])]);
  }
  const csv = [header.join(","), ...rows.map((r) => r.join(","))].join("\r\n");
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
  link.download = lastDenials ? "denials.csv" : "findings.csv";
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

// ---- E/M ---------------------------------------------------------------------------------
const EM_FAMILIES = [["office", "office/outpatient"], ["home", "home or residence"], ["hospital-initial", "hospital/observation, initial"],
  ["hospital-subsequent", "hospital/observation, subsequent"], ["consult-office", "consultation, office"], ["consult-inpatient", "consultation, inpatient"],
  ["ed", "emergency department"], ["nursing-initial", "nursing facility, initial"], ["nursing-subsequent", "nursing facility, subsequent"]];

function emView() {
  const options = (names) => `<option value="">—</option>` + names.map((n) => `<option>${n}</option>`).join("");
  view.innerHTML = `
    <h1>E/M level</h1>
    <p class="meta">2021+ rules: the level met by 2 of the 3 MDM elements, or total time on the date of service; with both, the higher code wins.</p>
    <form id="em-form" class="card">
      <div class="cols3">
        <label>Family <select id="family">${EM_FAMILIES.map(([v, l]) => `<option value="${v}">${l}</option>`).join("")}</select></label>
        <label id="patient-label">Patient <select id="patient"><option>established</option><option>new</option></select></label>
        <label>Year of service <input type="number" id="year" value="${new Date().getFullYear()}" min="2021" max="2100"></label>
        <label>Problems addressed <select id="problems">${options(["minimal", "low", "moderate", "high"])}</select></label>
        <label>Data reviewed <select id="data">${options(["minimal", "limited", "moderate", "extensive"])}</select></label>
        <label>Risk of management <select id="risk">${options(["minimal", "low", "moderate", "high"])}</select></label>
        <label>Total minutes <input type="number" id="minutes" min="1" max="1440"></label>
        <label class="check"><input type="checkbox" id="medicare" checked> Medicare (G2212 for prolonged time)</label>
      </div>
      <p><button id="em-button">Level</button></p>
    </form>
    <div id="em-result" aria-live="polite"></div>`;
  const family = $("family");
  family.addEventListener("change", () => { $("patient-label").hidden = !["office", "home"].includes(family.value); });
  $("em-form").addEventListener("submit", (event) => { event.preventDefault(); runEm(); });
}

async function runEm() {
  const target = $("em-result");
  const value = (id) => $(id).value;
  const body = { family: value("family"), year: Number(value("year")), medicare: $("medicare").checked };
  if (["office", "home"].includes(body.family)) body.patient = value("patient");
  if (value("minutes")) body.minutes = Number(value("minutes"));
  for (const key of ["problems", "data", "risk"]) if (value(key)) body[key] = value(key);
  try {
    const r = await postJson("/api/em", body);
    const basis = r.basis === "mdm" ? `medical decision making, decided by ${r.deciding.join(" and ")}` : r.basis === "time" ? `total time, ${r.minutes} minutes` : "selected explicitly";
    target.innerHTML = `<article class="card" id="em-card"><p class="big">${esc(r.code)}</p><p>${esc(r.level_name)}</p>
      <dl class="kv"><dt>basis</dt><dd>${esc(basis)}</dd>
      ${r.mdm ? `<dt>MDM</dt><dd>${esc(r.mdm.level)}: ${Object.entries(r.mdm.elements).map(([k, v]) => `${esc(k)} <strong>${esc(v)}</strong>`).join(", ")}</dd>` : ""}
      ${r.prolonged.map((p) => `<dt>prolonged</dt><dd><strong>${esc(p.code)} × ${esc(p.units)}</strong> <span class="meta">${esc(p.rule)}</span></dd>`).join("")}
      ${r.notes.map((n) => `<dt>note</dt><dd>${esc(n)}</dd>`).join("")}</dl>
      <p class="meta">See ${refButton("IOM:100-04/12/30.6")} and the vault page <a href="#/vault/em-leveling">E/M leveling</a>.</p></article>`;
  } catch (error) { showError(target, error); }
}

// ---- vault -------------------------------------------------------------------------------
let vaultTitles = {};
function inline(text) {
  return esc(text)
    .replace(/\[\[([a-z0-9-]+)(?:\|([^\]]+))?\]\]/g, (_, target, label) => `<a href="#/vault/${target}">${label || esc(vaultTitles[target] || target.replace(/-/g, " "))}</a>`)
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[\s(])\*([^*\s][^*]*)\*/g, "$1<em>$2</em>")
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(REF_PATTERN, (ref) => refButton(ref));
}

function markdown(body) {
  const out = [];
  let list = null;
  let paragraph = [];
  const flush = () => {
    if (paragraph.length) out.push(`<p>${inline(paragraph.join(" "))}</p>`);
    paragraph = [];
    if (list) out.push(`</${list}>`);
    list = null;
  };
  let table = null;
  const endTable = () => {
    if (!table) return;
    const [head, ...rows] = table.filter((cells) => !cells.every((c) => /^:?-{3,}:?$/.test(c)));
    out.push(`<table class="grid"><thead><tr>${head.map((c) => `<th>${inline(c)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join("")}</tr>`).join("")}</tbody></table>`);
    table = null;
  };
  for (const line of body.split("\n")) {
    if (/^\s*\|.*\|\s*$/.test(line)) {
      flush();
      (table = table || []).push(line.trim().slice(1, -1).split("|").map((c) => c.trim()));
      continue;
    }
    endTable();
    const heading = /^(#{2,4})\s+(.*)$/.exec(line);
    const item = /^\s*(?:[-*]|(\d+)\.)\s+(.*)$/.exec(line);
    if (heading) { flush(); out.push(`<h${heading[1].length}>${inline(heading[2])}</h${heading[1].length}>`); }
    else if (item) {
      if (paragraph.length) { out.push(`<p>${inline(paragraph.join(" "))}</p>`); paragraph = []; }
      const kind = item[1] ? "ol" : "ul";
      if (list !== kind) { if (list) out.push(`</${list}>`); out.push(`<${kind}>`); list = kind; }
      out.push(`<li>${inline(item[2])}</li>`);
    } else if (!line.trim()) flush();
    else if (list) out[out.length - 1] = out[out.length - 1].replace(/<\/li>$/, ` ${inline(line.trim())}</li>`);
    else paragraph.push(line.trim());
  }
  flush();
  endTable();
  return out.join("\n");
}

async function vaultView(params, rest) {
  const slug = rest || "index";
  view.innerHTML = `<p class="meta">loading…</p>`;
  try {
    const page = await api(`/api/vault/${encodeURIComponent(slug)}`);
    vaultTitles = page.titles || {};
    const links = (slugs) => slugs.length ? `<ul>${slugs.map((l) => `<li><a href="#/vault/${esc(l)}">${esc(vaultTitles[l] || l)}</a></li>`).join("")}</ul>` : `<p class="meta">none</p>`;
    view.innerHTML = `<div class="vault">
      <article class="card" id="vault-page"><h1>${esc(page.title)}</h1><p class="meta">${esc(page.description)} · ${refButton("WIKI:" + page.slug)}</p>
      <div class="prose">${markdown(page.body)}</div></article>
      <aside><div class="card" id="links"><h2>Links</h2>${links(page.links)}</div>
      <div class="card" id="backlinks"><h2>Backlinks</h2>${links(page.backlinks)}</div></aside></div>`;
  } catch (error) { showError(view, error); }
}

function inForce(r) {
  if (r.effective && r.until) return `${r.effective} – ${r.until}`;
  if (r.effective) return `from ${r.effective}`;
  return r.until ? `until ${r.until}` : "all dates";
}

// ---- sources -----------------------------------------------------------------------------
async function sourcesView() {
  view.innerHTML = `<h1>Sources</h1><div id="sources-table"><p class="meta">loading…</p></div>`;
  try {
    const [health, rows] = await Promise.all([api("/api/health"), api("/api/sources")]);
    $("sources-table").innerHTML = `
      <p class="meta">Knowledge base built ${esc(health.built_at)} · medref ${esc(health.version)}</p>
      <table class="grid" id="sources"><thead><tr><th>source</th><th>release</th><th class="num">records</th><th class="num">chunks</th><th>in force</th><th>built</th></tr></thead>
      <tbody>${rows.map((r) => `<tr><td>${esc(r.source)}</td><td>${esc(r.release)}</td><td class="num">${Number(r.records).toLocaleString()}</td><td class="num">${Number(r.chunks).toLocaleString()}</td><td>${esc(inForce(r))}</td><td class="meta">${esc(String(r.built_at).slice(0, 16).replace("T", " "))}</td></tr>`).join("")}</tbody></table>`;
  } catch (error) { showError($("sources-table"), error); }
}

// ---- routing and keys --------------------------------------------------------------------
const views = { search: searchView, code: codeView, check: checkView, em: emView, vault: vaultView, sources: sourcesView };

function route() {
  const hash = location.hash.replace(/^#\/?/, "") || "search";
  const [pathPart, query] = hash.split("?");
  const [name, ...rest] = pathPart.split("/");
  const params = new URLSearchParams(query || "");
  for (const link of document.querySelectorAll("nav a")) {
    const active = link.getAttribute("href").startsWith(`#/${name}`);
    link.classList.toggle("active", active);
    if (active) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  if ($("passage").open) $("passage").close();
  (views[name] || searchView)(params, rest.join("/"));
}
window.addEventListener("hashchange", route);
route();

function moveFocus(step) {
  const refs = [...view.querySelectorAll("button.ref")];
  if (!refs.length) return;
  const at = refs.indexOf(document.activeElement);
  const next = refs[(at + step + refs.length) % refs.length];
  next.focus();
  next.scrollIntoView({ block: "nearest" });
}

let pendingG = false;
document.addEventListener("keydown", (event) => {
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
  if (typing || event.ctrlKey || event.metaKey || event.altKey || document.querySelector("dialog[open]")) return;
  if (event.key === "/") {
    event.preventDefault();
    if (!$("q")) location.hash = "#/search";
    setTimeout(() => $("q")?.focus(), 0);
    return;
  }
  if (event.key === "?") { $("keys").showModal(); return; }
  if (pendingG) {
    pendingG = false;
    const link = document.querySelector(`nav a[data-key="${event.key}"]`);
    if (link) { location.hash = link.getAttribute("href"); return; }
  }
  if (event.key === "g") { pendingG = true; setTimeout(() => { pendingG = false; }, 1200); return; }
  if (event.key === "j") moveFocus(1);
  if (event.key === "k") moveFocus(-1);
});

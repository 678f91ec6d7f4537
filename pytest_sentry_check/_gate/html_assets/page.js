// pytest-sentry-check's HTML report. Builds the page from the JSON data above it; every text of
// a payload is set with textContent (never parsed as HTML). No network.
(function () {
  "use strict";
  const MASKED = "__sentry_check_masked__", MARKS = "__sentry_check_marks__", CUT = "__sentry_check_cut__";
  const data = JSON.parse(document.getElementById("sentry-check-data").textContent);
  const RELAY = { "true": "Sentry would store it", "false": "Relay removes it at ingestion", "null": "Relay: unknown" };
  const SEVERITIES = ["critical", "high", "medium", "low"];
  const STATES = ["failed", "warned", "baselined", "allowed"];

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function add(parent, ...children) { children.forEach((c) => c && parent.appendChild(c)); return parent; }
  const isMasked = (v) => v && typeof v === "object" && !Array.isArray(v) && MASKED in v;
  const isCut = (v) => v && typeof v === "object" && !Array.isArray(v) && CUT in v && Object.keys(v).length === 1;
  function text(v) {
    if (v === undefined || v === null) return "";
    if (isMasked(v)) return v[MASKED];
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }
  const uniq = (xs) => [...new Set(xs)].sort();
  const plural = (n, word) => n + " " + word + (n === 1 ? "" : "s");
  const worst = (states) => STATES.find((s) => states.includes(s)) || "";

  // Each finding of the gate is matched to the n-th mark of the same item type, rule and path.
  function link(test, t) {
    const marks = {};
    test.items.forEach((item, i) => item.marks.forEach((m, j) => {
      const key = [item.type, m.rule, m.path].join("\u0000");
      (marks[key] = marks[key] || []).push({ id: "m-" + t + "-" + i + "-" + j, item: i, mark: j });
    }));
    test.markState = {};
    test.findings.forEach((f) => {
      const list = marks[[f.item_type, f.rule, f.path].join("\u0000")];
      const place = list && list.shift();
      if (place) { f.target = place.id; test.markState[place.id] = f; }
    });
  }

  // -- the JSON tree -------------------------------------------------------------------------
  function hasMark(v) {
    if (isMasked(v)) return true;
    if (v && typeof v === "object") return Object.values(v).some(hasMark);
    return false;
  }
  const places = {};  // a mark's id -> the element that shows it (marks at one place share it)
  function hit(v, test, t, i) {
    const wrap = el("span");
    const ids = (v[MARKS] || []).map((j) => "m-" + t + "-" + i + "-" + j);
    const found = ids.map((id) => test.markState[id]).filter(Boolean);
    const marks = (v[MARKS] || []).map((j) => test.items[i].marks[j]);
    const state = worst(found.map((f) => f.status)) || "unjudged";
    const span = el("span", "hit " + state, v[MASKED]);
    wrap.appendChild(span);
    span.id = ids[0];
    span.dataset.marks = ids.join(" ");
    span.title = uniq(marks.map((m) => m.path + (m.detail ? ": " + m.detail : ""))).join("\n");
    ids.forEach((id) => { places[id] = span; });
    const info = el("span", "hit-info");
    uniq(marks.map((m) => m.rule)).forEach((r) => info.appendChild(el("span", "badge rule", r)));
    const severity = SEVERITIES.find((x) => marks.some((m) => m.severity === x)) || (marks[0] && marks[0].severity);
    if (severity) info.appendChild(el("span", "badge sev-" + severity, severity));
    info.appendChild(el("span", "badge " + state, state));
    const relay = uniq(found.map((f) => RELAY[String(f.stored)]));
    if (relay.length) info.appendChild(el("span", "relay", relay.join("; ")));
    info.querySelectorAll(":scope > span").forEach((badge) => info.insertBefore(document.createTextNode(" "), badge));
    wrap.appendChild(info);
    return wrap;
  }
  function leaf(v) {
    if (typeof v === "string") return el("span", "str", JSON.stringify(v));
    if (typeof v === "number") return el("span", "num", String(v));
    return el("span", "lit", String(v));
  }
  function preview(v, isList) {
    const parts = [];
    for (const [k, x] of (isList ? v.map((x, n) => [n, x]) : Object.entries(v))) {
      if (x && typeof x === "object" && !isMasked(x)) return "";
      parts.push((isList ? "" : k + ": ") + (typeof x === "string" ? x : text(x)));
      if (parts.join(", ").length > 90) break;
    }
    const joined = parts.join(", ");
    return joined.length > 90 ? joined.slice(0, 90) + "…" : joined;
  }
  function tree(v, key, depth, ctx) {
    const row = el("div", "jn");
    if (key !== null) add(row, el("span", "key", JSON.stringify(key)), document.createTextNode(": "));
    if (isMasked(v)) { row.appendChild(hit(v, ...ctx)); return row; }
    if (isCut(v)) { row.appendChild(el("span", "cut", "… " + v[CUT])); return row; }
    if (!v || typeof v !== "object") { row.appendChild(leaf(v)); return row; }
    const isList = Array.isArray(v);
    const entries = isList ? v.map((x, n) => [n, x]) : Object.entries(v);
    const tog = el("span", "tog", "");
    row.insertBefore(tog, row.firstChild);
    const open = isList ? "[" : "{", close = isList ? "]" : "}";
    row.appendChild(el("span", "summary-text", open + (entries.length ? " " + plural(entries.length, isList ? "item" : "key") + " " : "") + close));
    const peek = preview(v, isList);
    if (peek) row.appendChild(el("span", "peek", peek));
    const children = el("div", "children");
    entries.forEach(([k, x]) => {
      if (!isList && k === CUT) children.appendChild(add(el("div", "jn"), el("span", "cut", "… " + x)));
      else if (isList && isCut(x)) children.appendChild(add(el("div", "jn"), el("span", "cut", "… " + x[CUT])));
      else children.appendChild(tree(x, isList ? null : k, depth + 1, ctx));
    });
    row.appendChild(children);
    const collapsed = depth > 0 && !hasMark(v);
    if (collapsed) row.classList.add("collapsed");
    tog.textContent = collapsed ? "▸" : "▾";
    tog.addEventListener("click", () => {
      row.classList.toggle("collapsed");
      tog.textContent = row.classList.contains("collapsed") ? "▸" : "▾";
    });
    return row;
  }

  // -- views of an item ------------------------------------------------------------------------
  function seconds(ts) {
    if (typeof ts === "number") return ts;
    const parsed = Date.parse(text(ts));
    return isNaN(parsed) ? null : parsed / 1000;
  }
  function spanTree(p) {
    const trace = (p.contexts && p.contexts.trace) || {};
    const spans = Array.isArray(p.spans) ? p.spans.filter((s) => s && typeof s === "object" && !isCut(s)) : [];
    const start = seconds(p.start_timestamp), end = seconds(p.timestamp);
    const root = { span_id: text(trace.span_id), op: text(trace.op), description: text(p.transaction), start_timestamp: p.start_timestamp, timestamp: p.timestamp };
    const children = {};
    const ids = new Set(spans.map((s) => text(s.span_id)));
    spans.forEach((s) => {
      const parent = ids.has(text(s.parent_span_id)) ? text(s.parent_span_id) : root.span_id;
      (children[parent] = children[parent] || []).push(s);
    });
    const box = el("div", "spans");
    const total = start !== null && end !== null && end > start ? end - start : null;
    function row(s, depth) {
      const r = el("div", "span-row");
      const name = el("div", "span-name");
      name.style.paddingLeft = depth * 14 + "px";
      add(name, el("span", "span-op", text(s.op) || "span"), document.createTextNode(" " + text(s.description)));
      name.title = text(s.op) + " " + text(s.description);
      const track = el("div", "bar-track");
      const a = seconds(s.start_timestamp), b = seconds(s.timestamp);
      if (total && a !== null && b !== null) {
        const bar = el("div", "bar");
        bar.style.left = Math.max(0, ((a - start) / total) * 100) + "%";
        bar.style.width = Math.max(0.3, ((b - a) / total) * 100) + "%";
        track.appendChild(bar);
      }
      add(r, name, track, el("div", "span-ms", a !== null && b !== null ? ((b - a) * 1000).toFixed(1) + " ms" : ""));
      box.appendChild(r);
      (children[text(s.span_id)] || []).forEach((c) => row(c, depth + 1));
    }
    row(root, 0);
    return box;
  }
  function breadcrumbs(p) {
    const values = p.breadcrumbs && (Array.isArray(p.breadcrumbs) ? p.breadcrumbs : p.breadcrumbs.values);
    if (!Array.isArray(values) || !values.length) return null;
    const list = el("ul", "timeline");
    values.forEach((b) => {
      if (!b || typeof b !== "object") return;
      if (isCut(b)) { list.appendChild(el("li", "cut", b[CUT])); return; }
      const li = el("li", "level-" + text(b.level));
      const when = seconds(b.timestamp);
      add(li, el("span", "when", when !== null ? new Date(when * 1000).toISOString().slice(11, 23) : ""),
        el("span", "cat", text(b.category) || text(b.type)), el("span", "", text(b.message) || (b.data ? text(b.data) : "")));
      list.appendChild(li);
    });
    return list;
  }
  function logs(p) {
    const items = Array.isArray(p.items) ? p.items : [p];
    const table = el("table");
    add(table, add(el("tr"), el("th", "", "time"), el("th", "", "level"), el("th", "", "body")));
    items.forEach((r) => {
      if (!r || typeof r !== "object" || isCut(r)) return;
      const when = seconds(r.timestamp);
      add(table, add(el("tr", "level-" + text(r.level)), el("td", "mono", when !== null ? new Date(when * 1000).toISOString().slice(11, 23) : ""),
        el("td", "", text(r.level)), el("td", "mono", text(r.body))));
    });
    return table;
  }
  function itemView(test, t, i) {
    const item = test.items[i];
    const box = el("details", "item");
    box.dataset.type = item.type;
    const summary = add(el("summary"), el("span", "type", item.type), el("span", "item-title", item.title));
    const ids = item.marks.map((_, j) => "m-" + t + "-" + i + "-" + j);
    const state = worst(ids.map((id) => test.markState[id]).filter(Boolean).map((f) => f.status));
    if (item.marks.length) summary.appendChild(el("span", "chip " + state, plural(item.marks.length, "finding")));
    if (item.phase && item.phase !== "call") summary.appendChild(el("span", "chip", "sent in " + item.phase));
    box.appendChild(summary);
    const inner = el("div", "inner");
    const p = item.payload && typeof item.payload === "object" && !isMasked(item.payload) ? item.payload : null;
    if (item.origin) inner.appendChild(el("p", "note", "Scanned " + item.origin + "."));
    if (item.note) inner.appendChild(el("p", "note", item.note));
    if (p && item.type === "transaction") add(inner, el("h3", "", "span tree"), spanTree(p));
    if (p && item.type === "log") add(inner, el("h3", "", "logs"), logs(p));
    const crumbs = p && breadcrumbs(p);
    if (crumbs) add(inner, el("h3", "", "breadcrumbs"), crumbs);
    add(inner, el("h3", "", "payload"), add(el("div", "tree"), tree(item.payload, null, 0, [test, t, i])));
    box.appendChild(inner);
    box.open = item.marks.length > 0 || test.items.length <= 3;
    return box;
  }

  // -- a test --------------------------------------------------------------------------------
  function goTo(id) {
    const node = places[id] || document.getElementById(id);
    if (!node) return;
    for (let up = node; up; up = up.parentElement) {
      if (up.tagName === "DETAILS") up.open = true;
      if (up.classList && up.classList.contains("collapsed")) {
        up.classList.remove("collapsed");
        const tog = up.querySelector(":scope > .tog");
        if (tog) tog.textContent = "▾";
      }
    }
    node.scrollIntoView({ block: "center" });
    node.classList.remove("flash");
    void node.offsetWidth;
    node.classList.add("flash");
  }
  function groups(test) {
    const byKey = new Map();
    test.findings.forEach((f) => {
      const key = f.group || [f.rule, f.item_type, f.pattern].join("\u0000");
      if (!byKey.has(key)) byKey.set(key, []);
      byKey.get(key).push(f);
    });
    return [...byKey.values()];
  }
  function findingsTable(test) {
    const table = el("table", "findings");
    add(table, add(el("tr"), ...["severity", "rule", "where (path pattern)", "value (masked)", "state", "Relay"].map((h) => el("th", "", h))));
    groups(test).forEach((group) => {
      const f = group[0];
      const row = el("tr");
      row.dataset.rule = f.rule;
      row.dataset.severity = f.severity;
      row.dataset.type = f.item_type;
      const where = add(el("td", "mono", f.item_type + ":" + (f.pattern || "<root>") + ((f.places || group.length) > 1 ? "  (" + plural(f.places || group.length, "place") + ")" : "")));
      const places = el("ul", "places");
      const more = group.length > 4 ? el("details", "more") : null;
      if (more) more.appendChild(el("summary", "", plural(group.length - 3, "more place")));
      const moreList = more ? add(more, el("ul", "places")).lastChild : null;
      group.forEach((g, n) => {
        const li = el("li", "", g.path || "<root>");
        if (g.target) {
          const a = el("a", "goto", "show in payload");
          a.href = "#" + g.target;
          a.addEventListener("click", (e) => { e.preventDefault(); goTo(g.target); });
          li.appendChild(a);
        }
        (more && n >= 3 ? moreList : places).appendChild(li);
      });
      add(where, places, more);
      const states = [...new Set(group.map((g) => g.status))];
      const relay = [...new Set(group.map((g) => RELAY[String(g.stored)]))].join("; ");
      add(row, add(el("td"), el("span", "badge sev-" + f.severity, f.severity)), add(el("td", "", f.rule), el("div", "note", f.detail)), where,
        el("td", "mono", [...new Set(group.map((g) => g.preview))].slice(0, 3).join(", ")),
        add(el("td"), ...states.map((s) => el("span", "chip " + s, s + (s === "allowed" && f.allowed_by ? " by " + f.allowed_by : "")))),
        el("td", "", relay));
      table.appendChild(row);
    });
    return table;
  }
  function testView(test, t) {
    const box = el("details", "test");
    box.dataset.index = t;
    const states = test.findings.map((f) => f.status);
    const summary = add(el("summary"), el("span", "dot " + worst(states)), el("span", "test-id", test.id));
    const chips = el("span", "chips");
    chips.appendChild(el("span", "chip", plural(test.items.length, "item")));
    if (test.findings.length) chips.appendChild(el("span", "chip", plural(test.findings.length, "finding")));
    const groupStates = groups(test).map((g) => worst(g.map((f) => f.status)));
    STATES.forEach((s) => {
      const n = groupStates.filter((x) => x === s).length;
      if (n) chips.appendChild(el("span", "chip " + s, n + " " + (n === 1 ? "group " : "groups ") + s));
    });
    summary.appendChild(chips);
    box.appendChild(summary);
    let built = false;
    box.addEventListener("toggle", () => {
      if (!box.open || built) return;
      built = true;
      const body = el("div", "body");
      if (test.findings.length) add(body, el("h3", "", "findings"), findingsTable(test));
      add(body, el("h3", "", "what it sent"));
      if (!test.items.length) body.appendChild(el("p", "note", "No payload kept for this test."));
      test.items.forEach((_, i) => body.appendChild(itemView(test, t, i)));
      if (test.left_out) body.appendChild(el("p", "note", plural(test.left_out, "more item") + " without findings not shown (the page's size is bounded)."));
      box.appendChild(body);
      applyInside(box, test);
    });
    return box;
  }

  // -- filters -------------------------------------------------------------------------------
  const filters = { test: "", rule: "", severity: "", type: "", only: false };
  function select(name, label, values) {
    const s = el("select");
    s.name = name;
    add(s, el("option", "", "all"));
    s.firstChild.value = "";
    values.forEach((v) => { const o = el("option", "", v); o.value = v; s.appendChild(o); });
    s.addEventListener("change", () => { filters[name] = s.value; apply(); });
    return add(el("label", "", label), s);
  }
  function matches(f) {
    return (!filters.rule || f.rule === filters.rule) && (!filters.severity || f.severity === filters.severity) && (!filters.type || f.item_type === filters.type);
  }
  function applyInside(box, test) {
    box.querySelectorAll("table.findings tr[data-rule]").forEach((row) => {
      row.classList.toggle("hidden", !matches({ rule: row.dataset.rule, severity: row.dataset.severity, item_type: row.dataset.type }));
    });
    box.querySelectorAll("details.item").forEach((item) => item.classList.toggle("hidden", !!filters.type && item.dataset.type !== filters.type));
  }
  function apply() {
    let shown = 0;
    document.querySelectorAll("details.test").forEach((box) => {
      const test = data.tests[Number(box.dataset.index)];
      const findingFilter = filters.rule || filters.severity;
      let visible = test.id.toLowerCase().includes(filters.test.toLowerCase());
      if (visible && findingFilter) visible = test.findings.some(matches);
      if (visible && filters.type && !findingFilter) visible = test.items.some((i) => i.type === filters.type) || test.findings.some(matches);
      if (visible && filters.only) visible = test.findings.length > 0;
      box.classList.toggle("hidden", !visible);
      if (visible) shown++;
      applyInside(box, test);
    });
    count.textContent = "showing " + shown + " of " + plural(data.tests.length, "test");
  }
  const all = data.tests.flatMap((t) => t.findings);
  const nav = document.getElementById("filters");
  const search = el("input");
  search.type = "search";
  search.name = "test";
  search.placeholder = "filter tests by name";
  search.addEventListener("input", () => { filters.test = search.value; apply(); });
  const only = el("input");
  only.type = "checkbox";
  only.name = "only";
  only.addEventListener("change", () => { filters.only = only.checked; apply(); });
  const count = el("span", "count");
  add(nav, add(el("label", "", "test"), search), select("rule", "rule", uniq(all.map((f) => f.rule))),
    select("severity", "severity", SEVERITIES.filter((s) => all.some((f) => f.severity === s))),
    select("type", "item type", uniq(data.tests.flatMap((t) => t.items.map((i) => i.type)).concat(all.map((f) => f.item_type)))),
    add(el("label"), only, document.createTextNode("only tests with findings")), count);

  const main = document.getElementById("tests");
  data.tests.forEach((test, t) => { link(test, t); main.appendChild(testView(test, t)); });
  if (!data.tests.length) main.appendChild(el("p", "empty", "No test sent anything to Sentry."));
  apply();
})();

// fusionbench viewer: renders the per-sample tables and the diff from the embedded JSON (#fb-data),
// one page of rows at a time. No network, no libraries: the page works opened from disk.
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("fb-data").textContent);
  const el = (tag, attrs, ...kids) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v; else if (k === "text") node.textContent = v; else node.setAttribute(k, v);
    }
    for (const kid of kids) if (kid !== null && kid !== undefined) node.append(kid);
    return node;
  };
  const SVG = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs) => {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  };
  const fmt = (x, d = 3) => (x === null || x === undefined ? "–" : Number(x).toFixed(d));
  const mark = (ok) => el("span", { class: ok ? "ok" : "bad", text: ok ? "✓" : "✗" });
  const pre = (text) => el("pre", { text: text === null || text === undefined ? "" : String(text) });
  const missing = (what) => el("span", { class: "missing", text: what });
  const image = (src, cls) => (src ? el("img", { src, class: cls, loading: "lazy", alt: "" }) : missing("image not available"));

  // ---- one cell builder per task --------------------------------------------------------------
  const COLUMNS = {
    HTR: ["key", "crop", "reference", "prediction", "CER", ""],
    zsOD: ["image", "boxes", "description", "TP", "FP", "FN", ""],
    VQA: ["id", "image", "question", "reference", "prediction", "normalised", ""],
    C2C: ["id", "Java request · reference Python · predicted Python (detokenised)", "per-item counts", "CodeBLEU (item)", "exact", "execution"],
  };
  function boxes(r) {
    let size = r.size;
    if (!size) { // no picture: a frame around every box
      let w = 1, h = 1;
      for (const b of r.ref.concat(r.pred)) { w = Math.max(w, b[0] + b[2]); h = Math.max(h, b[1] + b[3]); }
      size = [w + 10, h + 10];
    }
    const scale = Math.min(1, 260 / size[0]);
    const s = svg("svg", { class: "boxes", viewBox: `0 0 ${size[0]} ${size[1]}`, width: Math.round(size[0] * scale), height: Math.round(size[1] * scale) });
    if (r.img) { const im = svg("image", { href: r.img, x: 0, y: 0, width: size[0], height: size[1] }); s.append(im); }
    else s.append(svg("rect", { x: 0, y: 0, width: size[0], height: size[1], fill: "#eee" }));
    r.ref.forEach((b, i) => { const k = svg("rect", { class: "box " + (r.rhit[i] ? "ref" : "fn"), x: b[0], y: b[1], width: b[2], height: b[3] }); k.append(Object.assign(document.createElementNS(SVG, "title"), { textContent: "reference " + JSON.stringify(b) })); s.append(k); });
    r.pred.forEach((b, i) => { const k = svg("rect", { class: "box " + (r.phit[i] ? "tp" : "fp"), x: b[0], y: b[1], width: b[2], height: b[3] }); k.append(Object.assign(document.createElementNS(SVG, "title"), { textContent: "predicted " + JSON.stringify(b) })); s.append(k); });
    const wrap = el("div", {}, s);
    if (!r.img) wrap.append(el("div", {}, missing("image not available")));
    return wrap;
  }
  function counts(r) {
    const t = el("table", { class: "mono" });
    const row = (name, vals) => t.append(el("tr", {}, el("th", { text: name }), ...vals.map((v) => el("td", { class: "num", text: v }))));
    row("n-gram 1–4 match/hyp", r.ng[0].map((m, i) => `${m}/${r.ng[1][i]}`));
    row("weighted match 1–4", r.wm.map((x) => fmt(x, 2)));
    row("syntax", [`${r.syn[0]}/${r.syn[1]}`]);
    row("data flow", [`${r.df[0]}/${r.df[1]}`]);
    return t;
  }
  const CELLS = {
    HTR: (r) => [el("code", { text: r.k }), image(r.img, "crop"), pre(r.ref), r.missing ? missing("(no prediction)") : pre(r.pred), el("span", { class: "num", text: fmt(r.cer) }), mark(r.ok)],
    zsOD: (r) => [el("code", { text: r.image }), boxes(r), el("div", {}, r.desc, " ", r.neg ? el("span", { class: "neg", text: "negative" }) : null), r.tp, r.fp, r.fn, mark(r.ok)],
    VQA: (r) => [el("code", { text: r.k }), image(r.img, "thumb"), r.q === null || r.q === undefined ? missing("question not available") : r.q, pre(r.ref.join(" | ")), pre(r.pred),
      el("div", {}, pre(r.npred), r.nref ? el("div", { class: "muted", text: "refs: " + r.nref.join(" | ") }) : null), mark(r.ok)],
    C2C: (r) => [el("code", { text: r.k }), el("div", { class: "side" },
      el("div", {}, el("b", { text: "Java" }), r.java === null ? missing("request not available") : pre(r.java)),
      el("div", {}, el("b", { text: "reference" }), pre(r.ref)), el("div", {}, el("b", { text: "prediction" }), pre(r.pred))),
      counts(r), fmt(r.own), mark(r.ok), r.ex ? el("span", { title: r.exerr || "", class: r.ex === "success" ? "ok" : "bad", text: r.ex }) : missing("–")],
  };
  const TEXT = {
    HTR: (r) => [r.k, r.ref, r.pred], zsOD: (r) => [r.k], VQA: (r) => [r.k, r.q, r.pred, r.npred].concat(r.ref),
    C2C: (r) => [r.k, r.java, r.ref, r.pred],
  };
  const haystack = (task, r) => (r._h || (r._h = TEXT[task](r).filter((x) => x !== null && x !== undefined).join("\u0001").toLowerCase()));

  // ---- pager ----------------------------------------------------------------------------------
  function pager(box, total, state, redraw) {
    box.textContent = "";
    const size = state.size;
    const pages = size ? Math.max(1, Math.ceil(total / size)) : 1;
    state.page = Math.min(state.page, pages - 1);
    const first = size ? state.page * size : 0, last = size ? Math.min(total, first + size) : total;
    const prev = el("button", { type: "button", "data-page": "prev", disabled: state.page === 0 ? "" : null, text: "‹ previous" });
    const next = el("button", { type: "button", "data-page": "next", disabled: state.page >= pages - 1 ? "" : null, text: "next ›" });
    prev.onclick = () => { state.page -= 1; redraw(); };
    next.onclick = () => { state.page += 1; redraw(); };
    box.append(prev, " ", next, ` items ${total ? first + 1 : 0}–${last} of ${total} (page ${state.page + 1} of ${pages})`);
    return [first, last];
  }
  const control = (section, name) => section.querySelector(`[data-filter="${name}"]`);

  // ---- per-task sections ----------------------------------------------------------------------
  function setupTask(section) {
    const task = section.dataset.sectionTask;
    const state = { record: 0, page: 0, size: 50 };
    const records = D.records.map((rec, i) => [i, rec]).filter(([, rec]) => rec.tasks[task]);
    const recSelect = control(section, "record");
    for (const [i, rec] of records) recSelect.append(el("option", { value: i, text: `${rec.name} (${rec.data})` }));
    if (records.length < 2) section.querySelector(".recfilter").hidden = true;
    state.record = records.length ? records[0][0] : 0;
    section.querySelector("thead").append(el("tr", {}, ...COLUMNS[task].map((c) => el("th", { text: c }))));
    const tbody = section.querySelector("tbody");
    function fillOptions() {
      const info = D.records[state.record].tasks[task];
      const rows = info.rows || [];
      const langs = [...new Set(rows.map((r) => r.l).filter((l) => l))].sort();
      const lang = control(section, "lang");
      lang.length = 1;
      for (const l of langs) lang.append(el("option", { value: l, text: l }));
      lang.parentElement.hidden = !langs.length;
      const ex = control(section, "ex");
      if (ex) {
        ex.length = 1;
        const statuses = [...new Set(rows.map((r) => r.ex).filter((s) => s))].sort();
        for (const s of statuses) ex.append(el("option", { value: s, text: s }));
        ex.parentElement.hidden = !statuses.length;
      }
    }
    function draw() {
      const info = D.records[state.record].tasks[task];
      const reason = section.querySelector(".reason");
      reason.textContent = "";
      if (info.reason) reason.append(el("p", { class: "note", text: `${task}: ${info.status}. ${info.reason}` }));
      const rows = info.rows || [];
      const lang = control(section, "lang").value, ok = control(section, "ok").value;
      const exc = control(section, "ex"), ex = exc ? exc.value : "";
      const q = control(section, "q").value.trim().toLowerCase();
      const kept = rows.filter((r) => (!lang || r.l === lang) && (ok === "" || String(r.ok) === ok) && (!ex || r.ex === ex) && (!q || haystack(task, r).includes(q)));
      const [first, last] = pager(section.querySelector(".pager"), kept.length, state, draw);
      const frag = document.createDocumentFragment();
      for (const r of kept.slice(first, last)) {
        const tr = el("tr", { "data-task": task, "data-item": r.k, "data-record": state.record, "data-correct": r.ok, "data-lang": r.l || null, "data-exec": r.ex || null });
        for (const cell of CELLS[task](r)) tr.append(el("td", {}, cell));
        frag.append(tr);
      }
      tbody.replaceChildren(frag);
    }
    recSelect.onchange = () => { state.record = Number(recSelect.value); state.page = 0; fillOptions(); draw(); };
    for (const name of ["lang", "ok", "ex", "q"]) {
      const c = control(section, name);
      if (c) c.addEventListener(name === "q" ? "input" : "change", () => { state.page = 0; draw(); });
    }
    const size = control(section, "size");
    size.onchange = () => { state.size = Number(size.value); state.page = 0; draw(); };
    fillOptions();
    draw();
  }

  // ---- diff between records of the same split -----------------------------------------------
  const SHOWN = {
    HTR: (r) => (r.missing ? "(no prediction)" : r.pred), zsOD: (r) => `TP ${r.tp} FP ${r.fp} FN ${r.fn}: ${JSON.stringify(r.pred)}`,
    VQA: (r) => `${r.pred} → ${r.npred}`, C2C: (r) => `${fmt(r.own)}  ${r.pred}`,
  };
  const DIFFCELL = (task, r) => task === "zsOD"
    ? el("div", {}, mark(r.ok), ` TP ${r.tp} FP ${r.fp} FN ${r.fn}`, boxes(r))
    : el("div", {}, mark(r.ok), " ", pre(SHOWN[task](r)));
  const REF = { HTR: (r) => r.ref, zsOD: (r) => `${r.desc}${r.neg ? " (negative)" : ""}: ${JSON.stringify(r.ref)}`, VQA: (r) => `${r.q || ""} = ${r.ref.join(" | ")}`, C2C: (r) => r.ref };
  function diffGroups() {
    const groups = [];
    for (const task of D.tasks) {
      const byFp = new Map();
      D.records.forEach((rec, i) => { const t = rec.tasks[task]; if (t && t.rows) { if (!byFp.has(t.fp)) byFp.set(t.fp, []); byFp.get(t.fp).push(i); } });
      for (const members of byFp.values()) if (members.length > 1) groups.push({ task, members });
    }
    return groups;
  }
  function setupDiff() {
    const groups = diffGroups();
    const section = document.getElementById("diff");
    if (!groups.length) return;
    section.hidden = false;
    const taskSel = control(section, "dtask");
    groups.forEach((g, i) => taskSel.append(el("option", { value: i, text: `${g.task}: ${g.members.map((m) => D.records[m].name).join(" vs ")}` })));
    const state = { page: 0, size: 50 };
    function rowsOf(g) {
      if (g._rows) return g._rows;
      const maps = g.members.map((m) => new Map(D.records[m].tasks[g.task].rows.map((r) => [r.k, r])));
      const keys = D.records[g.members[0]].tasks[g.task].rows.map((r) => r.k);
      g._rows = keys.map((k, order) => {
        const items = maps.map((m) => m.get(k));
        const oks = new Set(items.map((r) => (r ? r.ok : null)));
        const shown = new Set(items.map((r) => (r ? SHOWN[g.task](r) : null)));
        return { k, order, items, level: oks.size > 1 ? 2 : shown.size > 1 ? 1 : 0 };
      }).sort((a, b) => b.level - a.level || a.order - b.order);
      return g._rows;
    }
    function draw() {
      const g = groups[Number(taskSel.value) || 0];
      const only = control(section, "donly").value === "1";
      const q = control(section, "dq").value.trim().toLowerCase();
      const all = rowsOf(g);
      const kept = all.filter((d) => (!only || d.level > 0) && (!q || d.k.toLowerCase().includes(q) || d.items.some((r) => r && haystack(g.task, r).includes(q))));
      const thead = section.querySelector("thead");
      thead.replaceChildren(el("tr", {}, el("th", { text: "item" }), el("th", { text: "reference" }), ...g.members.map((m) => el("th", { text: D.records[m].name }))));
      const [first, last] = pager(section.querySelector(".pager"), kept.length, state, draw);
      const disagree = all.filter((d) => d.level === 2).length, differ = all.filter((d) => d.level === 1).length;
      section.querySelector(".pager").append(` — ${disagree} item(s) with a different outcome, ${differ} with the same outcome but a different prediction`);
      const frag = document.createDocumentFragment();
      for (const d of kept.slice(first, last)) {
        const base = d.items.find((r) => r);
        const tr = el("tr", { class: d.level === 2 ? "disagree" : null, "data-diff-task": g.task, "data-diff-item": d.k, "data-level": d.level });
        tr.append(el("td", {}, el("code", { text: d.k })), el("td", {}, pre(REF[g.task](base))));
        for (const r of d.items) tr.append(el("td", {}, r ? DIFFCELL(g.task, r) : missing("–")));
        frag.append(tr);
      }
      section.querySelector("tbody").replaceChildren(frag);
    }
    for (const name of ["dtask", "donly"]) control(section, name).onchange = () => { state.page = 0; draw(); };
    control(section, "dq").addEventListener("input", () => { state.page = 0; draw(); });
    control(section, "dsize").onchange = () => { state.size = Number(control(section, "dsize").value); state.page = 0; draw(); };
    draw();
  }

  // ---- the task filter and start --------------------------------------------------------------
  const taskFilter = document.getElementById("taskfilter");
  taskFilter.onchange = () => {
    for (const s of document.querySelectorAll("section.task")) s.hidden = !!taskFilter.value && s.dataset.sectionTask !== taskFilter.value;
  };
  document.querySelectorAll("section.task").forEach(setupTask);
  setupDiff();
  document.body.dataset.rendered = String(performance.now());
})();

"use strict";
(function () {
  // All untrusted text reaches the page through textContent / attribute setters, never innerHTML.
  var DATA = JSON.parse(document.getElementById("data").textContent);
  var table = document.getElementById("m");
  var bodies = Array.prototype.slice.call(table.tBodies);
  var rows = [];
  bodies.forEach(function (tb) {
    var trs = tb.rows;
    for (var i = 1; i < trs.length; i++) {
      var cells = [];
      var tds = trs[i].cells;
      for (var j = 1; j < tds.length; j++) {
        if (tds[j].hasAttribute("data-b")) cells.push(tds[j]);
      }
      rows.push({ tr: trs[i], tb: tb, text: trs[i].getAttribute("data-s"), cells: cells });
    }
  });
  var columnsOf = {};
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    if (th.hasAttribute("data-p")) {
      (columnsOf[th.getAttribute("data-p")] = columnsOf[th.getAttribute("data-p")] || []).push(th.getAttribute("data-c"));
    }
  });
  var style = document.createElement("style");
  document.head.appendChild(style);
  var f = {
    provider: document.getElementById("f-provider"),
    location: document.getElementById("f-location"),
    outcome: document.getElementById("f-outcome"),
    evidence: document.getElementById("f-evidence"),
    text: document.getElementById("f-text")
  };

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function safeHref(url) { return /^https?:\/\//i.test(url || "") ? url : ""; }
  function link(url, text) {
    var href = safeHref(url);
    if (!href) return el("span", text);
    var a = el("a", text);
    a.href = href; a.rel = "noreferrer noopener"; a.target = "_blank";
    return a;
  }
  function pair(dl, term, value) {
    if (value === undefined || value === null || value === "") return;
    dl.appendChild(el("dt", term));
    var dd = el("dd");
    if (value instanceof Node) dd.appendChild(value); else dd.textContent = String(value);
    dl.appendChild(dd);
  }
  function pre(value) { return el("pre", typeof value === "string" ? value : JSON.stringify(value, null, 1)); }

  function evidenceNode(ev) {
    var dl = el("dl");
    var kind = ev.kind || "none";
    if (kind === "none") { pair(dl, "evidence", "no evidence: nothing was sent or replayed for this case"); return dl; }
    pair(dl, "evidence", kind);
    if (ev.official === false) {
      pair(dl, "recorded against", el("span", ev.host + " (another host: not the provider's own behaviour)", "warn"));
    } else pair(dl, "host", ev.host);
    pair(dl, "request id", ev.request_id);
    pair(dl, "cassette", ev.cassette);
    if (ev.repository) {
      var p = el("span");
      p.appendChild(link(ev.link, ev.repository + "/" + (ev.path || "")));
      p.appendChild(document.createTextNode(" @ " + String(ev.commit || "").slice(0, 12) + " · licence " + (ev.license || "unknown")));
      pair(dl, "imported from", p);
    } else pair(dl, "source", ev.source);
    if (ev.file) pair(dl, "recording", ev.file + " #" + ev.interaction + (ev.format ? " (" + ev.format + ")" : ""));
    if (ev.recorded_on) {
      pair(dl, "recorded on", ev.recorded_on + (ev.recorded_on_from === "commit"
        ? " or before (the date of the source commit that last changed the file; the recording has no Date header)"
        : " (the response's Date header)"));
    }
    return dl;
  }

  function fill(details) {
    var cell = DATA.cells[+details.getAttribute("data-i")];
    var box = el("div", null, "detail");
    var head = el("p");
    head.appendChild(el("code", cell.c));
    head.appendChild(document.createTextNode(" — documented: "));
    head.appendChild(el("strong", cell.s));
    if (DATA.statuses[cell.s]) head.appendChild(document.createTextNode(" (" + DATA.statuses[cell.s] + ")"));
    box.appendChild(head);
    if (cell.q) box.appendChild(el("blockquote", cell.q));
    else box.appendChild(el("p", "Doc quote not in the results file; follow the link.", "st"));
    var doc = el("p");
    doc.appendChild(link(cell.u, cell.u ? "documentation: " + cell.u : "no documentation link"));
    box.appendChild(doc);
    if (cell.w) box.appendChild(el("p", "Evidence recorded " + (cell.w.indexOf(" to ") === -1 ? "in " : "over ") + cell.w + ".", "st"));
    if (cell.dr) box.appendChild(el("p", "⇄ Changed over time: " + cell.dr + ".", "drift"));
    if (cell.d) cell.d.forEach(function (d) { box.appendChild(el("p", "Known deviation: " + d, "warn")); });
    if (cell.n) box.appendChild(el("p", "Note: " + cell.n));
    cell.r.forEach(function (r) {
      var rec = el("div", null, "rec");
      var label = DATA.verdicts[r[1]] || ["", r[1]];
      var title = el("p");
      title.appendChild(el("span", label[0] + " " + label[1], "v v-" + r[1]));
      title.appendChild(document.createTextNode(" · " + r[0] + (DATA.runs.length > 1 ? " · " + DATA.runs[r[8]] : "")));
      rec.appendChild(title);
      var dl = el("dl");
      if (r[2]) pair(dl, r[1] === "xfail" ? "deviation" : "message", pre(r[2]));
      if (r[3].length) pair(dl, "request sent", r[3].join(", "));
      if (r[4]) pair(dl, "values sent", pre(r[4]));
      if (r[5]) pair(dl, "what came back", pre(r[5]));
      if (r[6]) pair(dl, "observed", pre(r[6]));
      rec.appendChild(dl);
      rec.appendChild(evidenceNode(DATA.evidence[r[7]]));
      box.appendChild(rec);
    });
    if (cell.more) box.appendChild(el("p", "… and " + cell.more + " more record(s) in the results file.", "st"));
    details.appendChild(box);
    details.setAttribute("data-filled", "");
  }
  table.addEventListener("toggle", function (e) {
    var d = e.target;
    if (d.tagName === "DETAILS" && d.open && !d.hasAttribute("data-filled")) fill(d);
  }, true);

  function apply() {
    var provider = f.provider.value, loc = f.location.value, outcome = f.outcome.value;
    var evidence = f.evidence.value, text = f.text.value.trim().toLowerCase();
    var visibleCols = null, css = "";
    if (provider) {
      visibleCols = {};
      (columnsOf[provider] || []).forEach(function (c) { visibleCols[c] = true; });
      Object.keys(columnsOf).forEach(function (p) {
        if (p !== provider) columnsOf[p].forEach(function (c) {
          css += '#m [data-c="' + c + '"]{display:none}';
        });
      });
    }
    style.textContent = css;
    var shown = 0, perBody = new Map();
    rows.forEach(function (row) {
      var ok = (!loc || row.tb.getAttribute("data-loc") === loc) && (!text || row.text.indexOf(text) !== -1);
      var any = false;
      if (ok) {
        row.cells.forEach(function (td) {
          if (visibleCols && !visibleCols[td.getAttribute("data-c")]) return;
          var match = (!outcome || td.getAttribute("data-b") === outcome || (outcome === "drift" && td.hasAttribute("data-d"))) &&
            (!evidence || (" " + td.getAttribute("data-e") + " ").indexOf(" " + evidence + " ") !== -1);
          if (td._dim !== !match) { td._dim = !match; td.classList.toggle("dim", !match); }
          if (match) any = true;
        });
      }
      var hide = !(ok && any);
      if (row.tr.hidden !== hide) row.tr.hidden = hide;
      if (!hide) { shown++; perBody.set(row.tb, true); }
    });
    bodies.forEach(function (tb) { if (tb.hidden !== !perBody.get(tb)) tb.hidden = !perBody.get(tb); });
    document.getElementById("shown").textContent = shown + " of " + rows.length + " claims shown";
    document.getElementById("empty").hidden = shown > 0;
  }
  var timer = null;
  ["provider", "location", "outcome", "evidence"].forEach(function (k) { f[k].addEventListener("change", apply); });
  f.text.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 120); });

  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (id.indexOf("claim-") !== 0) return;
    var td = document.getElementById(id);
    if (!td) return;
    if (td.closest("tr").hidden || getComputedStyle(td).display === "none") {
      f.provider.value = f.location.value = f.outcome.value = f.evidence.value = f.text.value = "";
      apply();
    }
    var d = td.querySelector("details");
    if (d && !d.hasAttribute("data-filled")) fill(d);
    if (d && !d.open) d.open = true;
    td.scrollIntoView({ block: "start" });
  }
  window.addEventListener("hashchange", reveal);
  apply();
  reveal();
})();

(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var table = $("results");
  var bodies = Array.prototype.slice.call(table.tBodies);
  var filters = { status: $("f-status"), severity: $("f-severity"), tag: $("f-tag"), text: $("f-text") };

  function apply() {
    var status = filters.status.value, severity = filters.severity.value;
    var tag = filters.tag.value, text = filters.text.value.trim().toLowerCase();
    var shown = 0;
    bodies.forEach(function (b) {
      var ok = (!status || b.dataset.status === status) &&
        (!severity || b.dataset.severity === severity) &&
        (!tag || JSON.parse(b.dataset.tags).indexOf(tag) >= 0) &&
        (!text || b.dataset.text.indexOf(text) >= 0);
      b.hidden = !ok;
      if (ok) { shown += 1; }
    });
    $("n-shown").textContent = String(shown);
    $("empty").hidden = shown !== 0;
  }
  Object.keys(filters).forEach(function (k) {
    filters[k].addEventListener(k === "text" ? "input" : "change", apply);
  });

  var sortKey = null, direction = 1;
  function value(b, key, numeric) {
    var v = key === "order" ? b.dataset.order : b.dataset[key];
    if (!numeric && key !== "rank" && key !== "sev") { return v; }
    return v === "" ? -Infinity : parseFloat(v);
  }
  function sortBy(key, numeric) {
    bodies.sort(function (a, b) {
      var x = value(a, key, numeric), y = value(b, key, numeric);
      var c = typeof x === "number" ? x - y : x.localeCompare(y);
      return c * direction || value(a, "order", true) - value(b, "order", true);
    });
    bodies.forEach(function (b) { table.appendChild(b); });
  }
  Array.prototype.forEach.call(table.tHead.querySelectorAll("th[data-sort]"), function (th) {
    th.addEventListener("click", function () {
      var key = th.dataset.sort;
      direction = sortKey === key ? -direction : (th.hasAttribute("data-numeric") ? -1 : 1);
      sortKey = key;
      Array.prototype.forEach.call(table.tHead.querySelectorAll("th[data-sort]"), function (o) {
        o.setAttribute("aria-sort", "none");
      });
      th.setAttribute("aria-sort", direction === 1 ? "ascending" : "descending");
      sortBy(key, th.hasAttribute("data-numeric"));
    });
  });

  function setOpen(btn, open) {
    btn.setAttribute("aria-expanded", open ? "true" : "false");
    $(btn.getAttribute("aria-controls")).classList.toggle("collapsed", !open);
  }
  table.addEventListener("click", function (e) {
    var btn = e.target.closest("button.toggle");
    if (!btn) {
      var row = e.target.closest("tr.row");
      if (!row || window.getSelection().toString()) { return; }
      btn = row.querySelector("button.toggle");
    }
    setOpen(btn, btn.getAttribute("aria-expanded") !== "true");
  });
  function all(open) {
    bodies.forEach(function (b) { if (!b.hidden) { setOpen(b.querySelector("button.toggle"), open); } });
  }
  $("expand-all").addEventListener("click", function () { all(true); });
  $("collapse-all").addEventListener("click", function () { all(false); });

  Array.prototype.forEach.call(document.querySelectorAll("[data-filter-status]"), function (b) {
    b.addEventListener("click", function () {
      filters.status.value = b.dataset.filterStatus;
      apply();
      table.scrollIntoView();
    });
  });
  function openFromHash() {
    var m = /^#r-(\d+)$/.exec(window.location.hash);
    var body = m && $("r-" + m[1]);
    if (body) { body.hidden = false; setOpen(body.querySelector("button.toggle"), true); }
  }
  window.addEventListener("hashchange", openFromHash);
  apply();
  openFromHash();
}());

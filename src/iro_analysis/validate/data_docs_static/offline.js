/* iro_analysis: the part of jQuery and bootstrap-table that GX's Data Docs call, so that
   the pages work offline (validate/data_docs.py replaces the CDN scripts with this file).
   $(selector).bootstrapTable({columns, data, rowAttributes}) renders a plain table whose
   rows link to their page; show/hide/class calls work; Bootstrap widgets are no-ops. */
(function () {
  "use strict";
  function Wrap(nodes) { this.nodes = nodes; }
  function $(arg) {
    if (typeof arg === "function") {
      if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", arg);
      } else { arg(); }
      return new Wrap([]);
    }
    if (typeof arg === "string") {
      try { return new Wrap(Array.prototype.slice.call(document.querySelectorAll(arg))); }
      catch (e) { return new Wrap([]); }
    }
    return new Wrap(arg && arg.nodeType ? [arg] : (arg === document ? [document] : []));
  }
  function named(fn) { return typeof fn === "string" ? window[fn] : fn; }
  var W = Wrap.prototype;
  W.each = function (f) { this.nodes.forEach(function (n, i) { f.call(n, i, n); }); return this; };
  W.parent = function () {
    return new Wrap(this.nodes.map(function (n) { return n.parentNode; }).filter(Boolean));
  };
  W.show = W.fadeIn = function () { this.nodes.forEach(function (n) { n.style.display = ""; }); return this; };
  W.hide = W.fadeOut = function () { this.nodes.forEach(function (n) { n.style.display = "none"; }); return this; };
  W.addClass = function (c) { this.nodes.forEach(function (n) { n.classList.add(c); }); return this; };
  W.removeClass = function (c) { this.nodes.forEach(function (n) { n.classList.remove(c); }); return this; };
  W.attr = function (k) { return this.nodes.length ? this.nodes[0].getAttribute(k) : undefined; };
  W.on = function (ev, sel, f) {
    if (typeof sel === "function") { f = sel; sel = null; }
    this.nodes.forEach(function (n) {
      n.addEventListener(ev.split(".")[0], function (e) {
        if (!sel) { f.call(n, e); return; }
        var t = e.target.closest(sel);
        if (t && n.contains(t)) { f.call(t, e); }
      });
    });
    return this;
  };
  W.click = function (f) { return this.on("click", f); };
  W.ready = function (f) { return $(f); };
  W.modal = W.tooltip = W.popover = W.alert = W.tab = W.collapse = function () { return this; };
  W.bootstrapTable = function (opts) {
    if (typeof opts !== "object" || opts === null) { return this; }
    var columns = opts.columns || [];
    var data = opts.data || [];
    var rowAttributes = named(opts.rowAttributes);
    this.nodes.forEach(function (table) {
      table.innerHTML = "";
      var head = table.createTHead().insertRow();
      columns.forEach(function (c) {
        var th = document.createElement("th");
        th.textContent = c.title || c.field;
        head.appendChild(th);
      });
      var body = table.createTBody();
      data.forEach(function (row, i) {
        var tr = body.insertRow();
        var attrs = rowAttributes ? rowAttributes(row, i) : {};
        Object.keys(attrs || {}).forEach(function (k) { tr.setAttribute(k, attrs[k]); });
        columns.forEach(function (c) {
          var td = tr.insertCell();
          var v = row[c.field];
          td.innerHTML = v === undefined || v === null ? "" : String(v);
        });
        var href = tr.getAttribute("data-href");
        if (href) {
          tr.addEventListener("click", function () { window.location.href = href; });
        }
      });
    });
    return this;
  };
  window.$ = window.jQuery = $;
})();

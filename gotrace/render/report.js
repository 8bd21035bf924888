/* gotrace report: the interactive timeline, the package table and the critical path's "show all".
   No library and no network: everything comes from the JSON in #report-data (gotrace.render.
   report_data), whose invocations are columns. Names from a trace are only ever set as text or
   attribute values, never parsed as markup. */
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var DATA = JSON.parse(document.getElementById("report-data").textContent);

  // A name may hold anything a trace held: control characters are shown as \xNN, as the HTML does.
  function shown(name) {
    return String(name).replace(/[\u0000-\u001f\u007f-\u009f]/g, function (c) {
      return "\\x" + ("0" + c.charCodeAt(0).toString(16)).slice(-2);
    });
  }
  function secs(us) { return (us / 1e6).toFixed(3); }
  function mib(kib) { return (kib / 1024).toFixed(1); }
  function svg(tag, attrs, parent) {
    var node = document.createElementNS(SVGNS, tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(node);
    return node;
  }
  function html(tag, attrs, text, parent) {
    var node = document.createElement(tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (text != null) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  // "p [p.test]" -> ["p", "p.test"], as gotrace.collapse.split_variant
  function splitVariant(pkg) {
    var at = pkg.indexOf(" [");
    if (pkg.charAt(pkg.length - 1) === "]" && at >= 0) return [pkg.slice(0, at), pkg.slice(at + 2, -1)];
    return [pkg, null];
  }
  // Candidate labels, longest first: the whole path, then ever shorter tails (as charts.labels_for).
  function labelsFor(pkg) {
    var split = splitVariant(pkg || "(no package)"), parts = split[0].split("/"), out = [];
    for (var i = 0; i < parts.length; i++) {
      var tail = shown(parts.slice(i).join("/"));
      out.push(split[1] ? tail + " [test]" : tail);
    }
    return out;
  }
  // Dark text on light bars, white on dark ones.
  function textColour(hex) {
    var r = parseInt(hex.substr(1, 2), 16), g = parseInt(hex.substr(3, 2), 16), b = parseInt(hex.substr(5, 2), 16);
    return 0.299 * r + 0.587 * g + 0.114 * b > 140 ? "#1a1a1a" : "#ffffff";
  }

  var tooltip = html("div", {"class": "tooltip", id: "tooltip", role: "tooltip"}, null, document.body);
  tooltip.hidden = true;
  function placeTooltip(x, y) {
    var w = tooltip.offsetWidth, h = tooltip.offsetHeight;
    var left = x + 14 + w > window.innerWidth - 4 ? Math.max(4, x - 14 - w) : x + 14;
    var top = y + 16 + h > window.innerHeight - 4 ? Math.max(4, y - 12 - h) : y + 16;
    tooltip.style.left = left + "px";
    tooltip.style.top = top + "px";
  }

  /* ---------------------------------------------------------------- the timeline */

  var EDGE_TEXT = {"import": "an import", "link": "a package it links", "package": "the package's previous step",
                   "action": "an action-graph input", "slot": "a free -p slot"};
  var SEPARATE = {"vet": true, "link": true};  // separate go actions: nothing waits for a vet or a link

  function Timeline(root, T, P) {
    var n = T.pkg.length;
    if (!n) { html("p", {"class": "note"}, "No tool ran in this build.", root); return null; }
    var span = Math.max(T.span, 1), lanes = Math.max(T.lanes, 1);
    var ROW = lanes <= 4 ? 32 : lanes <= 8 ? 26 : lanes <= 16 ? 20 : lanes <= 48 ? 12 : 7;
    var BAR = ROW >= 12 ? ROW - 4 : ROW - 1;
    var LEFT = 44, RIGHT = 10, GANTT = lanes * ROW, GAP = 8, CHART = 96, AXIS = 20;
    var CHART_Y = GANTT + GAP, HEIGHT = CHART_Y + CHART + AXIS;
    var MIN_SPAN = Math.max(50, span / 2e5);  // deepest zoom, in µs: beyond it SVG's float precision blurs
    var view = {a: 0, b: span}, width = 0, plotW = 1;
    var byPkg = [], unblocked = [], i;
    for (i = 0; i < T.pkgs.length; i++) byPkg.push([]);
    for (i = 0; i < n; i++) { byPkg[T.pkg[i]].push(i); unblocked.push([]); }
    for (i = 0; i < n; i++) {
      if (T.wait[i] >= 0 && T.edges[T.edge[i]] !== "slot") unblocked[T.wait[i]].push(i);
    }
    function pkgOf(j) { return T.pkgs[T.pkg[j]]; }
    function toolOf(j) { return T.tools[T.tool[j]]; }
    function nameOf(j) { return toolOf(j) + " " + shown(pkgOf(j) || "-"); }
    function laneY(j) { return T.lane[j] * ROW + (ROW - BAR) / 2; }
    // SVG geometry is in milliseconds: Chromium clamps lengths beyond 2^25 (a 34 s build in µs)
    function X(us) { return us / 1000; }

    // toolbar: legend with counts, the critical path's key, zoom controls
    var bar = html("div", {"class": "tl-bar"}, null, root);
    var legend = html("div", {"class": "tl-legend", id: "timeline-legend"}, null, bar);
    var counts = T.tools.map(function () { return 0; });
    for (i = 0; i < n; i++) counts[T.tool[i]]++;
    T.tools.forEach(function (tool, k) {
      var item = html("span", {"data-tool": tool}, null, legend);
      html("span", {"class": "swatch", style: "background:" + T.colours[k]}, null, item);
      item.appendChild(document.createTextNode(shown(tool) + " (" + counts[k] + ")"));
    });
    var pathKey = html("label", {}, null, legend);
    var pathBox = html("input", {type: "checkbox", checked: "", id: "show-path"}, null, pathKey);
    html("span", {"class": "swatch path"}, null, pathKey);
    pathKey.appendChild(document.createTextNode("critical path (" + T.path.length + " steps)"));
    var controls = html("div", {"class": "tl-controls"}, null, bar);
    var zoomIn = html("button", {type: "button", title: "Zoom in (+)"}, "Zoom in", controls);
    var zoomOut = html("button", {type: "button", title: "Zoom out (-)"}, "Zoom out", controls);
    var reset = html("button", {type: "button", title: "Whole build (0)", id: "timeline-reset"}, "Whole build", controls);
    var info = html("p", {"class": "tl-info", id: "timeline-info", "aria-live": "polite"},
                    "Click a bar to see what it depended on and what it unblocked.", root);

    var chartEl = svg("svg", {"class": "tl", id: "timeline-svg", tabindex: "0", height: HEIGHT,
                              "aria-label": "Timeline of the build's tool invocations"}, root);
    var lanesG = svg("g", {}, chartEl);
    for (i = 0; i < lanes; i += 2) svg("rect", {"class": "lane", x: 0, y: i * ROW, height: ROW, width: 0}, lanesG);
    var grid = svg("g", {"class": "grid"}, chartEl);
    var plot = svg("svg", {x: LEFT, y: 0, height: GANTT}, chartEl);
    var bars = svg("g", {"class": "bars", id: "timeline-bars"}, plot);
    var crit = svg("g", {"class": "crit", id: "critical-path-line"}, plot);
    var links = svg("g", {"class": "links"}, plot);
    var labels = svg("g", {"class": "labels"}, plot);
    var chartPlot = svg("svg", {x: LEFT, y: CHART_Y, height: CHART}, chartEl);
    var chartG = svg("g", {"class": "chart"}, chartPlot);
    var levels = svg("g", {"class": "chart"}, chartPlot);
    var yaxis = svg("g", {"class": "yaxis"}, chartEl);
    var cursor = svg("g", {"class": "cursor"}, chartEl);
    var chartLegend = html("div", {"class": "tl-chart-legend"}, null, root);

    // One rect per invocation, carrying its package and tool; the shortest drawn last, on top, so
    // that a bar narrower than a pixel (widened by its 1px stroke) can still be pointed at.
    var order = [];
    for (i = 0; i < n; i++) order.push(i);
    order.sort(function (x, y) { return T.wall[y] - T.wall[x] || x - y; });
    // A darker edge of the tool's colour: bars that touch stay apart, a sliver still shows.
    var edges = T.colours.map(function (hex) {
      return "#" + [1, 3, 5].map(function (k) {
        return ("0" + Math.round(parseInt(hex.substr(k, 2), 16) * 0.72).toString(16)).slice(-2);
      }).join("");
    });
    var rects = new Array(n), fragment = document.createDocumentFragment();
    order.forEach(function (j) {
      var colour = T.colours[T.tool[j]];
      var r = svg("rect", {x: X(T.start[j]), y: laneY(j), width: X(T.wall[j]), height: BAR, fill: colour,
                           stroke: edges[T.tool[j]],
                           "data-i": j, "data-pkg": pkgOf(j), "data-tool": toolOf(j)});
      rects[j] = r;
      fragment.appendChild(r);
    });
    bars.appendChild(fragment);

    // The critical path: along each step's bar, then across to the next step's lane where it began.
    if (T.path.length) {
      var d = "", lineY = function (j) { return laneY(j) + BAR * 0.78; };
      T.path.forEach(function (j, k) {
        var y = lineY(j), s = X(T.start[j]), e = X(T.start[j] + T.wall[j]);
        if (k === 0) d += "M" + s + "," + y;
        else {
          var prev = T.path[k - 1];
          d += "L" + s + "," + lineY(prev) + "L" + s + "," + y;
        }
        d += "L" + e + "," + y;
      });
      svg("path", {"class": "halo", d: d}, crit);
      svg("path", {"class": "line", d: d}, crit);
    }
    pathBox.addEventListener("change", function () { crit.style.display = pathBox.checked ? "" : "none"; });

    // the concurrency and CPU chart, on the same time axis
    var top = Math.max(P.peak, P.cores, P.limit || 0, 1);
    P.cpu.forEach(function (v) { top = Math.max(top, v); });
    top *= 1.12;
    function cy(v) { return CHART - 1 - v / top * (CHART - 6); }
    if (P.cpu.length) {
      var w = span / P.cpu.length, area = "M0," + cy(0);
      P.cpu.forEach(function (v, k) { area += "L" + X(k * w) + "," + cy(v) + "L" + X((k + 1) * w) + "," + cy(v); });
      svg("path", {"class": "cpu", d: area + "L" + X(span) + "," + cy(0) + "Z"}, chartG);
    }
    if (P.at.length) {
      var steps = "M" + X(P.at[0]) + "," + cy(P.running[0]);
      for (i = 1; i < P.at.length; i++) steps += "H" + X(P.at[i]) + "V" + cy(P.running[i]);
      svg("path", {"class": "running", d: steps + "H" + X(span)}, chartG);
    }
    var coresLine = svg("line", {"class": "cores", x1: 0, y1: cy(P.cores), y2: cy(P.cores)}, levels);
    var limitLine = P.limit && P.limit !== P.cores ?
      svg("line", {"class": "limit", x1: 0, y1: cy(P.limit), y2: cy(P.limit)}, levels) : null;
    var yStep = Math.max(1, Math.ceil(top / 4));
    for (var v = 0; v <= top; v += yStep) {
      svg("text", {x: LEFT - 6, y: CHART_Y + cy(v) + 4, "text-anchor": "end"}, yaxis).textContent = String(v);
    }
    var yTitle = svg("text", {x: 2, y: CHART_Y + 10}, yaxis);
    yTitle.textContent = "tools";
    [["running", "#4e79a7", "solid", "tools running"], ["cpu", "#f5b041", "solid", "cores busy (CPU time)"],
     ["cores", "#c0392b", "dashed", P.cores + " cores"]].concat(
      limitLine ? [["limit", "#555", "dotted", "-p " + P.limit]] : []).forEach(function (item) {
      var span_ = html("span", {}, null, chartLegend);
      html("span", {"class": "key", style: "border-top: " + (item[0] === "cpu" ? "8px" : "2px") + " " +
                    item[2] + " " + item[1]}, null, span_);
      span_.appendChild(document.createTextNode(item[3]));
    });
    var readout = html("span", {id: "timeline-readout"}, "", chartLegend);

    /* drawing at the current view */
    var measure = document.createElement("canvas").getContext("2d");
    measure.font = "11px sans-serif";
    var widths = {};
    function textWidth(text) {
      if (!(text in widths)) widths[text] = measure.measureText(text).width;
      return widths[text];
    }
    function niceStep(raw) {
      var p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
      return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
    }
    function render() {
      var k = plotW / (view.b - view.a), t = "matrix(" + k * 1000 + ",0,0,1," + (-view.a * k) + ",0)";
      bars.setAttribute("transform", t);
      crit.setAttribute("transform", t);
      links.setAttribute("transform", t);
      chartG.setAttribute("transform", t);
      // time axis: ticks at least 80px apart, labels in seconds
      while (grid.firstChild) grid.removeChild(grid.firstChild);
      var step = niceStep((view.b - view.a) * 80 / plotW), digits = Math.max(0, -Math.floor(Math.log10(step / 1e6)));
      for (var tick = Math.ceil(view.a / step) * step; tick <= view.b; tick += step) {
        var x = LEFT + (tick - view.a) * k;
        svg("line", {x1: x, x2: x, y1: 0, y2: CHART_Y + CHART}, grid);
        svg("text", {x: x, y: HEIGHT - 6, "text-anchor": "middle"}, grid).textContent = (tick / 1e6).toFixed(digits) + " s";
      }
      // labels where a bar is wide enough for its package (or the tail of its path)
      while (labels.firstChild) labels.removeChild(labels.firstChild);
      if (BAR >= 11) {
        var wide = [];
        for (var j = 0; j < n; j++) {
          var x0 = Math.max(T.start[j], view.a), x1 = Math.min(T.start[j] + T.wall[j], view.b);
          if ((x1 - x0) * k >= 28) wide.push(j);
        }
        wide.sort(function (p, q) { return T.wall[q] - T.wall[p] || p - q; });
        wide.slice(0, 400).forEach(function (j) {
          var x0 = Math.max(T.start[j], view.a), x1 = Math.min(T.start[j] + T.wall[j], view.b);
          var room = (x1 - x0) * k - 8, options = labelsFor(pkgOf(j));
          for (var o = 0; o < options.length; o++) {
            if (textWidth(options[o]) <= room) {
              svg("text", {x: ((x0 + x1) / 2 - view.a) * k, y: T.lane[j] * ROW + ROW / 2 - 1,
                           fill: textColour(T.colours[T.tool[j]])}, labels).textContent = options[o];
              break;
            }
          }
        });
      }
    }
    function layout() {
      var now = root.clientWidth;
      if (!now || now === width) return;
      width = now;
      plotW = Math.max(50, width - LEFT - RIGHT);
      chartEl.setAttribute("width", width);
      plot.setAttribute("width", plotW);
      chartPlot.setAttribute("width", plotW);
      coresLine.setAttribute("x2", plotW);
      if (limitLine) limitLine.setAttribute("x2", plotW);
      for (var c = lanesG.firstChild; c; c = c.nextSibling) c.setAttribute("width", width);
      render();
    }
    function setView(a, b) {
      var len = Math.min(span, Math.max(MIN_SPAN, b - a));
      a = Math.max(0, Math.min(a, span - len));
      view.a = a; view.b = a + len;
      render();
    }
    function zoomAt(factor, px) {  // px: the pointer's x in the plot, which stays put
      var t = view.a + (px / plotW) * (view.b - view.a), len = Math.min(span, Math.max(MIN_SPAN, (view.b - view.a) * factor));
      setView(t - (px / plotW) * len, t - (px / plotW) * len + len);
    }
    function pan(px) { var dt = px / plotW * (view.b - view.a); setView(view.a + dt, view.b + dt); }
    function plotX(ev) { return ev.clientX - chartEl.getBoundingClientRect().left - LEFT; }

    zoomIn.addEventListener("click", function () { zoomAt(0.5, plotW / 2); });
    zoomOut.addEventListener("click", function () { zoomAt(2, plotW / 2); });
    reset.addEventListener("click", function () { setView(0, span); });
    chartEl.addEventListener("wheel", function (ev) {
      var delta = ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? 400 : 1;
      if (ev.ctrlKey || ev.metaKey) {
        ev.preventDefault();
        zoomAt(Math.exp(ev.deltaY * delta * 0.002), Math.max(0, Math.min(plotW, plotX(ev))));
      } else if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {
        ev.preventDefault();
        pan((ev.deltaX || ev.deltaY) * delta);
      }
    }, {passive: false});
    chartEl.addEventListener("keydown", function (ev) {
      var keys = {"+": function () { zoomAt(0.5, plotW / 2); }, "=": function () { zoomAt(0.5, plotW / 2); },
                  "-": function () { zoomAt(2, plotW / 2); }, "0": function () { setView(0, span); },
                  "ArrowLeft": function () { pan(-plotW / 8); }, "ArrowRight": function () { pan(plotW / 8); },
                  "Escape": function () { select(-1); }};
      if (keys[ev.key]) { ev.preventDefault(); keys[ev.key](); }
    });
    var drag = null;
    chartEl.addEventListener("pointerdown", function (ev) {
      if (ev.button !== 0) return;
      drag = {x: ev.clientX, moved: false};
    });
    window.addEventListener("pointermove", function (ev) {
      if (!drag) return;
      var dx = ev.clientX - drag.x;
      if (!drag.moved && Math.abs(dx) < 4) return;
      if (!drag.moved) { drag.moved = true; chartEl.classList.add("dragging"); hideTip(); }
      drag.x = ev.clientX;
      pan(-dx);
    });
    window.addEventListener("pointerup", function () {
      if (drag && drag.moved) setTimeout(function () { drag = null; chartEl.classList.remove("dragging"); }, 0);
      else drag = null;
    });

    /* hover: the figures of one invocation */
    function row(table, name, value) {
      var tr = html("tr", {}, null, table);
      html("td", {}, name, tr);
      html("td", {}, value, tr);
    }
    function describeWait(j) {
      var w = T.wait[j];
      if (w < 0) return "nothing traced (it was among the first to start)";
      var edge = T.edges[T.edge[j]], gap = T.start[j] - (T.start[w] + T.wall[w]);
      return nameOf(w) + ", " + (EDGE_TEXT[edge] || edge) + "; it started " +
        (gap > 0 ? secs(gap) + " s after that ended" : "as that ended");
    }
    function listNames(list, limit) {
      var names = list.slice(0, limit).map(nameOf);
      return names.join(", ") + (list.length > limit ? " and " + (list.length - limit) + " more" : "");
    }
    function showTip(j, x, y) {
      while (tooltip.firstChild) tooltip.removeChild(tooltip.firstChild);
      html("div", {"class": "head"}, shown(pkgOf(j) || "(no package)"), tooltip);
      var table = html("table", {}, null, tooltip);
      row(table, "tool", shown(toolOf(j)));
      row(table, "start", secs(T.start[j]) + " s");
      row(table, "wall", secs(T.wall[j]) + " s");
      row(table, "CPU", T.cpu[j] >= 0 ? secs(T.cpu[j]) + " s" : "unknown");
      row(table, "peak RSS", T.rss[j] >= 0 ? mib(T.rss[j]) + " MiB" : "unknown");
      var f = T.failed.indexOf(j);
      if (f >= 0) row(table, "failed", shown(T.why[f]));
      var ph = T.phaseRows.indexOf(j);
      if (ph >= 0) {
        var values = T.phaseValues[ph], parts = [];
        for (var k = 0; k < values.length; k += 2) parts.push(shown(T.phaseNames[values[k]]) + " " + secs(values[k + 1]));
        row(table, "phases (s)", parts.join(", "));
      }
      row(table, "waited for", describeWait(j));
      var deps = T.deps[j] >= 0 ? T.depLists[T.deps[j]].length : 0;
      if (deps) row(table, "depends on", deps + " package" + (deps === 1 ? "" : "s") + " of this build");
      if (unblocked[j].length) row(table, "unblocked", listNames(unblocked[j], 4));
      tooltip.hidden = false;
      placeTooltip(x, y);
    }
    function hideTip() { tooltip.hidden = true; }
    chartEl.addEventListener("pointermove", function (ev) {
      if (drag && drag.moved) return;
      var target = ev.target, j = target.getAttribute && target.getAttribute("data-i");
      if (j !== null && j !== undefined && target.parentNode === bars) showTip(+j, ev.clientX, ev.clientY);
      else hideTip();
      moveCursor(ev);
    });
    chartEl.addEventListener("pointerleave", function () { hideTip(); moveCursor(null); });

    // the readout under the chart: tools running and cores busy at the pointer's time
    function moveCursor(ev) {
      while (cursor.firstChild) cursor.removeChild(cursor.firstChild);
      var px = ev ? plotX(ev) : -1;
      if (px < 0 || px > plotW) { readout.textContent = ""; return; }
      svg("line", {x1: LEFT + px, x2: LEFT + px, y1: CHART_Y, y2: CHART_Y + CHART}, cursor);
      var t = view.a + px / plotW * (view.b - view.a), lo = 0, hi = P.at.length - 1;
      while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (P.at[mid] <= t) lo = mid; else hi = mid - 1; }
      var running = P.at.length ? P.running[lo] : 0;
      var busy = P.cpu.length ? P.cpu[Math.min(P.cpu.length - 1, Math.floor(t / span * P.cpu.length))] : 0;
      readout.textContent = "at " + secs(t) + " s: " + running + " running, " + busy.toFixed(2) + " cores busy";
    }

    /* click: what an invocation depended on, what needed it, what it unblocked */
    var marked = [], selected = -1;
    function mark(j, cls) { rects[j].classList.add(cls); marked.push(j); }
    function select(j) {
      marked.forEach(function (m) { rects[m].classList.remove("sel", "dep", "waited", "needed", "unblocked"); });
      marked = [];
      while (links.firstChild) links.removeChild(links.firstChild);
      selected = j;
      if (j < 0) {
        bars.classList.remove("selecting");
        info.textContent = "Click a bar to see what it depended on and what it unblocked.";
        return;
      }
      bars.classList.add("selecting");
      var separate = SEPARATE[toolOf(j)] ? toolOf(j) : null;
      var depPkgs = T.deps[j] >= 0 ? T.depLists[T.deps[j]] : [];
      depPkgs.forEach(function (p) {
        byPkg[p].forEach(function (m) {
          if (m !== j && (!SEPARATE[toolOf(m)] || (separate === "vet" && toolOf(m) === "vet"))) mark(m, "dep");
        });
      });
      var needed = {}, neededCount = 0, p = T.pkg[j];
      if (!SEPARATE[toolOf(j)]) {
        for (var m = 0; m < n; m++) {
          if (T.deps[m] >= 0 && T.pkg[m] !== p && T.depLists[T.deps[m]].indexOf(p) >= 0) {
            mark(m, "needed");
            if (!needed[T.pkg[m]]) { needed[T.pkg[m]] = true; neededCount++; }
          }
        }
      }
      var w = T.wait[j];
      if (w >= 0) {
        mark(w, "waited");
        link(w, j, "in");
      }
      unblocked[j].forEach(function (u) { mark(u, "unblocked"); link(j, u, "out"); });
      mark(j, "sel");
      while (info.firstChild) info.removeChild(info.firstChild);
      html("b", {}, nameOf(j), info);
      info.appendChild(document.createTextNode(
        ": depends on " + depPkgs.length + " package" + (depPkgs.length === 1 ? "" : "s") + " (blue)" +
        (w >= 0 ? ", waited for " + nameOf(w) + " (" + (EDGE_TEXT[T.edges[T.edge[j]]] || "") + ")" : "") +
        "; needed by " + neededCount + " package" + (neededCount === 1 ? "" : "s") + " (green)" +
        (unblocked[j].length ? "; unblocked " + listNames(unblocked[j], 3) : "") + ". Esc clears."));
    }
    function link(from, to, cls) {  // from the end of one bar to the start of another
      var x0 = X(T.start[from] + T.wall[from]), y0 = laneY(from) + BAR / 2, x1 = X(T.start[to]), y1 = laneY(to) + BAR / 2;
      svg("path", {"class": cls, d: "M" + x0 + "," + y0 + "L" + x1 + "," + y0 + "L" + x1 + "," + y1}, links);
    }
    chartEl.addEventListener("click", function (ev) {
      if (drag && drag.moved) return;
      var j = ev.target.getAttribute && ev.target.getAttribute("data-i");
      select(j !== null && j !== undefined && ev.target.parentNode === bars ? +j : -1);
    });
    chartEl.addEventListener("dblclick", function (ev) {
      var j = ev.target.getAttribute && ev.target.getAttribute("data-i");
      if (j !== null && j !== undefined && ev.target.parentNode === bars) show(+j);
    });
    // Zoom to an invocation with as much around it as it is long, and select it.
    function show(j) {
      var pad = Math.max(T.wall[j], MIN_SPAN);
      setView(T.start[j] - pad, T.start[j] + T.wall[j] + pad);
      select(j);
    }
    // The invocations of a package-table row: its packages, test variants included.
    function invocationsOf(name) {
      var prefix = name.slice(-4) === "/..." ? name.slice(0, -3) : null, out = [];
      T.pkgs.forEach(function (pkg, p) {
        var base = splitVariant(pkg)[0];
        if (base === name || (prefix && base.indexOf(prefix) === 0)) out = out.concat(byPkg[p]);
      });
      return out;
    }
    function showPackage(name) {
      var list = invocationsOf(name);
      if (!list.length) return false;
      var a = Math.min.apply(null, list.map(function (j) { return T.start[j]; }));
      var b = Math.max.apply(null, list.map(function (j) { return T.start[j] + T.wall[j]; }));
      var pad = Math.max((b - a) / 4, MIN_SPAN);
      setView(a - pad, b + pad);
      var main = list.filter(function (j) { return toolOf(j) === "compile"; })[0];
      select(main === undefined ? list[0] : main);
      root.scrollIntoView({block: "nearest"});
      return true;
    }

    if (window.ResizeObserver) new ResizeObserver(layout).observe(root);
    else window.addEventListener("resize", layout);
    layout();
    return {show: show, showPackage: showPackage, select: select};
  }

  /* ---------------------------------------------------------------- the package table */

  var PHASE_COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f"];

  function PackageTable(root, D, timeline) {
    var rows = D.name.length, stdRow = D.parent.indexOf(0) >= 0 ? 0 : -1;
    var children = [], top = [], r;
    for (r = 0; r < rows; r++) (D.parent[r] >= 0 ? children : top).push(r);
    var columns = [
      {key: "name", label: "package", num: false},
      {key: "start", label: "start (s)", num: true, text: function (v) { return v < 0 ? "-" : secs(v); }},
      {key: "wall", label: "wall (s)", num: true, text: secs},
      {key: "cpu", label: "CPU (s)", num: true, text: function (v) { return v < 0 ? "-" : secs(v); }},
      {key: "rss", label: "peak RSS (MiB)", num: true, text: function (v) { return v < 0 ? "-" : mib(v); }},
      {key: "runs", label: "runs", num: true, text: String},
      {key: "tools", label: "tools", num: false}
    ];
    var phaseTotal = D.phases ? D.phases.map(function (list) { return list.reduce(function (s, x) { return s + x; }, 0); }) : null;
    if (D.phases) columns.push({key: "phases", label: "compiler phases", num: true});
    if (D.cache) columns.push({key: "cache", label: "cache", num: false});
    var sortKey = "wall", descending = true, filter = "", expanded = false;

    var barEl = html("div", {"class": "pk-bar"}, null, root);
    var input = html("input", {type: "search", id: "package-filter", placeholder: "Filter packages",
                               "aria-label": "Filter packages by name"}, null, barEl);
    var count = html("span", {"class": "note", id: "package-count"}, "", barEl);
    var box = html("div", {"class": "scroll"}, null, root);
    var table = html("table", {"class": "packages", id: "package-table"}, null, box);
    var headRow = html("tr", {}, null, html("thead", {}, null, table));
    var heads = columns.map(function (col) {
      var th = html("th", {"class": col.num ? "n" : "", "data-key": col.key}, null, headRow);
      html("button", {type: "button"}, col.label, th).addEventListener("click", function () {
        if (sortKey === col.key) descending = !descending;
        else { sortKey = col.key; descending = col.num && col.key !== "start"; }
        draw();
      });
      return th;
    });
    var body = html("tbody", {}, null, table);

    function value(r, key) {
      if (key === "phases") return phaseTotal[r];
      if (key === "name") return D.name[r];
      return D[key][r];
    }
    function compare(p, q) {
      var a = value(p, sortKey), b = value(q, sortKey);
      if (typeof a === "number" && a < 0 !== b < 0) return a < 0 ? 1 : -1;  // unknown last either way
      var c = a < b ? -1 : a > b ? 1 : 0;
      return (descending ? -c : c) || (D.name[p] < D.name[q] ? -1 : D.name[p] > D.name[q] ? 1 : 0);
    }
    function cell(tr, r, col) {
      var td = html("td", {"class": col.num ? "n" : col.key}, null, tr);
      if (col.key === "name") {
        if (r === stdRow) {
          var toggle = html("button", {type: "button", "class": "toggle", id: "std-toggle",
                                       "aria-expanded": String(expanded || !!filter)}, expanded || filter ? "\u25BE" : "\u25B8", td);
          toggle.title = "Show the standard library's packages one by one";
          toggle.addEventListener("click", function () { expanded = !expanded; draw(); });
          td.appendChild(document.createTextNode("std (standard library, " + children.length + " packages)"));
        } else {
          var name = html("button", {type: "button", "class": "pkg-link", title: "Show on the timeline"},
                          shown(D.name[r]), td);
          name.addEventListener("click", function () { if (timeline) timeline.showPackage(D.name[r]); });
        }
      } else if (col.key === "phases") {
        var total = phaseTotal[r];
        if (total > 0) {
          var barEl = html("span", {"class": "phasebar"}, null, td), parts = [];
          D.phases[r].forEach(function (us, k) {
            if (us <= 0) return;
            html("span", {style: "width:" + (100 * us / total).toFixed(2) + "%;background:" +
                          PHASE_COLOURS[k % PHASE_COLOURS.length]}, null, barEl);
            parts.push(shown(D.phaseNames[k]) + " " + secs(us) + " s");
          });
          td.title = parts.join("\n");
          td.appendChild(document.createTextNode(" " + secs(total)));
        } else td.textContent = "-";
      } else if (col.key === "cache") {
        td.textContent = D.cache[r] === 1 ? "hit" : D.cache[r] === 0 ? "miss" : "-";
      } else {
        var v = value(r, col.key);
        td.textContent = col.text ? col.text(v) : shown(v);
      }
    }
    function addRow(r, cls) {
      var tr = html("tr", {"class": cls, "data-pkg": D.name[r], "data-wall": D.wall[r], "data-cpu": D.cpu[r],
                           "data-rss": D.rss[r], "data-start": D.start[r]}, null, body);
      columns.forEach(function (col) { cell(tr, r, col); });
    }
    function draw() {
      var needle = filter.toLowerCase();
      function keep(r) { return !needle || shown(D.name[r]).toLowerCase().indexOf(needle) >= 0; }
      while (body.firstChild) body.removeChild(body.firstChild);
      var shownRows = 0, kids = children.filter(keep).sort(compare);
      top.slice().sort(compare).forEach(function (r) {
        if (r === stdRow) {
          if (!kids.length) return;
          addRow(r, "group");
          if (expanded || needle) kids.forEach(function (c) { addRow(c, "child"); shownRows++; });
          return;
        }
        if (keep(r)) { addRow(r, ""); shownRows++; }
      });
      heads.forEach(function (th, k) {
        if (columns[k].key === sortKey) th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        else th.removeAttribute("aria-sort");
      });
      var all = rows - (stdRow >= 0 ? 1 : 0);
      count.textContent = (needle ? shownRows + " of " : "") + all + " packages" +
        (stdRow >= 0 ? " (" + children.length + " in the standard library, " +
         (expanded ? "listed one by one" : "summed in the std row: click \u25B8 to list them") + ")" : "") +
        ". Click a header to sort, a name to show it on the timeline.";
    }
    input.addEventListener("input", function () { filter = input.value; draw(); });
    draw();
  }

  /* ---------------------------------------------------------------- the critical path table */

  function CriticalPathTable(timeline) {
    var table = document.getElementById("critical-path-steps"), button = document.getElementById("path-all");
    if (!table) return;
    if (button) {
      table.classList.add("trimmed");
      button.hidden = false;
      var label = button.textContent;
      button.addEventListener("click", function () {
        var trimmed = table.classList.toggle("trimmed");
        button.setAttribute("aria-expanded", String(!trimmed));
        button.textContent = trimmed ? label : "Show the listed steps only";
      });
    }
    table.addEventListener("click", function (ev) {
      var tr = ev.target.closest("tr[data-i]");
      if (tr && timeline && +tr.getAttribute("data-i") >= 0) {
        timeline.show(+tr.getAttribute("data-i"));
        document.getElementById("timeline").scrollIntoView({block: "nearest"});
      }
    });
  }

  var timeline = Timeline(document.getElementById("timeline"), DATA.timeline, DATA.parallelism);
  PackageTable(document.getElementById("packages"), DATA.packages, timeline);
  CriticalPathTable(timeline);
  document.documentElement.setAttribute("data-ready", "");
})();

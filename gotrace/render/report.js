/* gotrace report: the interactive timeline, the package table and the critical path's "show all".
   No library and no network: everything comes from the JSON in #report-data (gotrace.render.
   report_data), whose invocations are columns. Names from a trace are only ever set as text or
   attribute values, never parsed as markup. */
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var DATA = JSON.parse(document.getElementById("report-data").textContent);
  // columns written compactly (gotrace/render/report_data.py): times as differences from the one
  // before, package table names as indexes into the timeline's package names
  function summed(deltas) {
    var out = new Array(deltas.length), t = 0;
    for (var i = 0; i < deltas.length; i++) out[i] = t += deltas[i];
    return out;
  }
  DATA.timeline.start = summed(DATA.timeline.startDelta);
  DATA.parallelism.at = summed(DATA.parallelism.atDelta);
  DATA.packages.name = DATA.packages.name.map(function (name) {
    return typeof name === "number" ? DATA.timeline.pkgs[name] : name;
  });

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

  // Canvas draws every bar, quick at any zoom whatever the build's size. Over it, an SVG layer
  // holds one element per bar that can be pointed at in the current view (every bar in view while
  // there are few) and per highlighted bar, each carrying its package and tool; pointing anywhere
  // else finds the nearest bar from the data, so a bar thinner than a pixel still shows its figures.
  function Timeline(root, T, P) {
    var n = T.pkg.length;
    if (!n) { html("p", {"class": "note"}, "No tool ran in this build.", root); return null; }
    var span = Math.max(T.span, 1000), lanes = Math.max(T.lanes, 1);  // at least a millisecond wide
    var ROW = lanes <= 4 ? 32 : lanes <= 8 ? 26 : lanes <= 16 ? 20 : lanes <= 48 ? 12 : 7;
    var BAR = ROW >= 12 ? ROW - 4 : ROW - 1;
    var LEFT = 44, RIGHT = 10, GANTT = lanes * ROW, GAP = 8, CHART = 96, AXIS = 20;
    var CHART_Y = GANTT + GAP, HEIGHT = CHART_Y + CHART + AXIS;
    var MIN_SPAN = Math.max(50, span / 2e5);  // deepest zoom, µs
    var ALL_ELEMENTS = 3000, MIN_ELEMENT_PX = 2, MAX_ELEMENTS = 4000, MAX_MARKED = 1000;
    var view = {a: 0, b: span}, width = 0, plotW = 1, k = 1;
    var byPkg = [], byLane = [], byTool = [], unblocked = [], i;
    for (i = 0; i < T.pkgs.length; i++) byPkg.push([]);
    for (i = 0; i < lanes; i++) byLane.push([]);
    for (i = 0; i < T.tools.length; i++) byTool.push([]);
    for (i = 0; i < n; i++) {  // invocations come in start order, so every list is in start order
      byPkg[T.pkg[i]].push(i); byLane[T.lane[i]].push(i); byTool[T.tool[i]].push(i); unblocked.push([]);
    }
    for (i = 0; i < n; i++) {
      if (T.wait[i] >= 0 && T.edges[T.edge[i]] !== "slot") unblocked[T.wait[i]].push(i);
    }
    function end(j) { return T.start[j] + T.wall[j]; }
    function pkgOf(j) { return T.pkgs[T.pkg[j]]; }
    function toolOf(j) { return T.tools[T.tool[j]]; }
    function nameOf(j) { return shown(toolOf(j)) + " " + shown(pkgOf(j) || "-"); }
    function laneY(j) { return T.lane[j] * ROW + (ROW - BAR) / 2; }
    function px(t) { return LEFT + (t - view.a) * k; }  // canvas x of a time
    // A darker edge of each tool's colour, so that bars that touch stay apart.
    var edges = T.colours.map(function (hex) {
      return "#" + [1, 3, 5].map(function (c) {
        return ("0" + Math.round(parseInt(hex.substr(c, 2), 16) * 0.72).toString(16)).slice(-2);
      }).join("");
    });

    // toolbar: legend with counts, the critical path's key, zoom controls
    var bar = html("div", {"class": "tl-bar"}, null, root);
    var legend = html("div", {"class": "tl-legend", id: "timeline-legend"}, null, bar);
    T.tools.forEach(function (tool, t) {
      var item = html("span", {"data-tool": tool}, null, legend);
      html("span", {"class": "swatch", style: "background:" + T.colours[t]}, null, item);
      item.appendChild(document.createTextNode(shown(tool) + " (" + byTool[t].length + ")"));
    });
    var pathKey = html("label", {}, null, legend);
    var pathBox = html("input", {type: "checkbox", checked: "", id: "show-path"}, null, pathKey);
    html("span", {"class": "swatch path"}, null, pathKey);
    pathKey.appendChild(document.createTextNode("critical path (" + T.path.length + " steps)"));
    var controls = html("div", {"class": "tl-controls"}, null, bar);
    var zoomIn = html("button", {type: "button", title: "Zoom in (+)"}, "Zoom in", controls);
    var zoomOut = html("button", {type: "button", title: "Zoom out (-)"}, "Zoom out", controls);
    var reset = html("button", {type: "button", title: "Whole build (0)", id: "timeline-reset"}, "Whole build", controls);
    var HINT = "Click a bar to see what it depended on and what it unblocked.";
    var info = html("p", {"class": "tl-info", id: "timeline-info", "aria-live": "polite"}, HINT, root);

    var box = html("div", {"class": "tl-box", id: "timeline-box", tabindex: "0", style: "height:" + HEIGHT + "px",
                           "aria-label": "Timeline of the build's tool invocations: + and - zoom, arrows pan"}, null, root);
    var canvas = html("canvas", {id: "timeline-canvas"}, null, box);
    var ctx = canvas.getContext("2d");
    var layer = svg("svg", {"class": "tl-layer", height: GANTT, style: "left:" + LEFT + "px"}, box);
    var bars = svg("g", {id: "timeline-bars"}, layer);
    var chartLegend = html("div", {"class": "tl-chart-legend"}, null, root);

    // the concurrency chart's scale and legend
    var top = Math.max(P.peak, P.cores, P.limit || 0, 1);
    P.cpu.forEach(function (v) { top = Math.max(top, v); });
    top *= 1.12;
    function cy(v) { return CHART_Y + CHART - 1 - v / top * (CHART - 6); }
    var showLimit = P.limit && P.limit !== P.cores;
    [["#4e79a7", "solid", "2px", "tools running"], ["#f5b041", "solid", "8px", "cores busy (CPU time)"],
     ["#c0392b", "dashed", "2px", P.cores + " cores"]].concat(showLimit ? [["#555", "dotted", "2px", "-p " + P.limit]] : [])
      .forEach(function (key) {
        var item = html("span", {}, null, chartLegend);
        html("span", {"class": "key", style: "border-top: " + key[2] + " " + key[1] + " " + key[0]}, null, item);
        item.appendChild(document.createTextNode(key[3]));
      });
    var readout = html("span", {id: "timeline-readout"}, "", chartLegend);

    /* drawing */
    var measured = {};
    function textWidth(text) {
      if (!(text in measured)) measured[text] = ctx.measureText(text).width;
      return measured[text];
    }
    function niceStep(raw) {
      var p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
      return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
    }
    function firstEndingAfter(list, t) {  // in a start-ordered list of one lane: ends grow with starts
      var lo = 0, hi = list.length;
      while (lo < hi) { var mid = (lo + hi) >> 1; if (end(list[mid]) < t) lo = mid + 1; else hi = mid; }
      return lo;
    }
    function fillBar(j) {
      var x0 = px(T.start[j]), w = T.wall[j] * k;
      if (w < 1) { x0 += w / 2 - 0.5; w = 1; }  // a sliver still shows
      ctx.fillRect(x0, laneY(j), w, BAR);
      return w;
    }
    // Bars narrower than a pixel: each pixel column of a lane is drawn once, in the colour of the
    // tool whose slivers covered most of it (drawn one by one in start order, the last sliver in a
    // pixel would colour it, whatever ran longest there).
    var cover = new Float64Array(0);  // per pixel column x tool, zeroed after each lane: one for all lanes
    function thin(j) { return T.wall[j] * k < 1; }  // narrower than a pixel: drawn by drawSlivers
    function drawSlivers(list, from, lane) {
      var tools = T.tools.length, columns = Math.ceil(plotW) + 1, x, j, c, t, best, last = -1, used = [];
      if (cover.length < columns * tools) cover = new Float64Array(columns * tools);
      for (x = from; x < list.length && T.start[list[x]] <= view.b; x++) {
        j = list[x];
        if (!thin(j)) continue;
        c = Math.floor(px(T.start[j] + T.wall[j] / 2) - LEFT);
        if (c < 0 || c >= columns) continue;
        cover[c * tools + T.tool[j]] += T.wall[j] + 1e-6;  // (a zero-length run counts too)
        if (c !== last) { used.push(c); last = c; }  // a lane's bars never overlap: centres ascend
      }
      used.forEach(function (c) {
        for (best = 0, t = 1; t < tools; t++) if (cover[c * tools + t] > cover[c * tools + best]) best = t;
        ctx.fillStyle = T.colours[best];
        ctx.fillRect(LEFT + c, lane * ROW + (ROW - BAR) / 2, 1, BAR);
        cover.fill(0, c * tools, (c + 1) * tools);
      });
    }
    function drawBars() {
      ctx.font = "11px sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.globalAlpha = selected >= 0 ? 0.25 : 1;
      byLane.forEach(function (list, lane) {
        var from = firstEndingAfter(list, view.a);
        drawSlivers(list, from, lane);
        for (var x = from; x < list.length && T.start[list[x]] <= view.b; x++) {
          var j = list[x];
          if (thin(j)) continue;
          ctx.fillStyle = T.colours[T.tool[j]];
          if (fillBar(j) >= 4) {
            ctx.strokeStyle = edges[T.tool[j]];
            ctx.lineWidth = 1;
            ctx.strokeRect(px(T.start[j]) + 0.5, laneY(j) + 0.5, T.wall[j] * k - 1, BAR - 1);
          }
        }
      });
      ctx.globalAlpha = 1;
      var outline = {sel: ["#111", 3], dep: ["#1f5fbf", 2], waited: ["#1f5fbf", 3], needed: ["#2e8b57", 2],
                     unblocked: ["#2e8b57", 3]};
      marked.forEach(function (j) {
        if (end(j) < view.a || T.start[j] > view.b) return;
        ctx.fillStyle = T.colours[T.tool[j]];
        var w = fillBar(j), style = outline[marks[j]];
        ctx.strokeStyle = style[0];
        ctx.lineWidth = style[1];
        ctx.strokeRect(px(T.start[j]) + (w > 1 ? 0 : T.wall[j] * k / 2 - 0.5), laneY(j), Math.max(w, 1), BAR);
      });
    }
    function drawLabels() {
      if (BAR < 11) return;
      var wide = [];
      byLane.forEach(function (list) {
        for (var x = firstEndingAfter(list, view.a); x < list.length && T.start[list[x]] <= view.b; x++) {
          var j = list[x];
          if ((Math.min(end(j), view.b) - Math.max(T.start[j], view.a)) * k >= 28) wide.push(j);
        }
      });
      wide.sort(function (p, q) { return T.wall[q] - T.wall[p] || p - q; });
      wide.slice(0, 600).forEach(function (j) {
        var x0 = px(Math.max(T.start[j], view.a)), x1 = px(Math.min(end(j), view.b)), options = labelsFor(pkgOf(j));
        for (var o = 0; o < options.length; o++) {
          if (textWidth(options[o]) <= x1 - x0 - 8) {
            ctx.globalAlpha = selected >= 0 && !marks[j] ? 0.4 : 1;
            ctx.fillStyle = textColour(T.colours[T.tool[j]]);
            ctx.fillText(options[o], (x0 + x1) / 2, T.lane[j] * ROW + ROW / 2);
            break;
          }
        }
      });
      ctx.globalAlpha = 1;
    }
    // The critical path: along each step's bar, then across to the next step's lane where it began.
    function drawPath() {
      if (!pathBox.checked || !T.path.length) return;
      function lineY(j) { return laneY(j) + BAR * 0.78; }
      ctx.beginPath();
      T.path.forEach(function (j, s) {
        if (s === 0) ctx.moveTo(px(T.start[j]), lineY(j));
        else {
          ctx.lineTo(px(T.start[j]), lineY(T.path[s - 1]));
          ctx.lineTo(px(T.start[j]), lineY(j));
        }
        ctx.lineTo(px(end(j)), lineY(j));
      });
      ctx.lineJoin = "round";
      ctx.strokeStyle = "rgba(255,255,255,0.85)";
      ctx.lineWidth = 5;
      ctx.stroke();
      ctx.strokeStyle = "#111";
      ctx.lineWidth = 2;
      ctx.stroke();
    }
    function drawLinks() {  // from the end of what it waited for, to the start of what it unblocked
      if (selected < 0) return;
      function link(from, to, colour) {
        var y0 = laneY(from) + BAR / 2, y1 = laneY(to) + BAR / 2;
        ctx.beginPath();
        ctx.moveTo(px(end(from)), y0);
        ctx.lineTo(px(T.start[to]), y0);
        ctx.lineTo(px(T.start[to]), y1);
        ctx.strokeStyle = colour;
        ctx.lineWidth = 1.5;
        ctx.stroke();
      }
      if (T.wait[selected] >= 0) link(T.wait[selected], selected, "#1f5fbf");
      unblocked[selected].forEach(function (u) { link(selected, u, "#2e8b57"); });
    }
    function columnStroke(column, lo, hi, last) {
      // a pixel column's steps, in its right half: along the lowest level and the highest (the
      // edges the steps draw there), between them, then to the last level
      ctx.lineTo(column + 0.5, cy(lo));
      ctx.lineTo(column + 1, cy(lo));
      ctx.lineTo(column + 1, cy(hi));
      ctx.lineTo(column + 0.5, cy(hi));
      ctx.lineTo(column + 1, cy(last));
    }
    function drawChart() {
      ctx.save();
      ctx.beginPath();
      ctx.rect(LEFT, CHART_Y, plotW, CHART);
      ctx.clip();
      if (P.cpu.length) {
        var w = span / P.cpu.length;
        ctx.beginPath();
        ctx.moveTo(px(0), cy(0));
        P.cpu.forEach(function (v, b) { ctx.lineTo(px(b * w), cy(v)); ctx.lineTo(px((b + 1) * w), cy(v)); });
        ctx.lineTo(px(span), cy(0));
        ctx.closePath();
        ctx.fillStyle = "rgba(245,176,65,0.45)";
        ctx.fill();
      }
      if (P.at.length) {
        ctx.beginPath();
        var s = 0;
        while (s + 1 < P.at.length && P.at[s + 1] <= view.a) s++;
        // One step at a time, except that the steps after the first in one pixel column are drawn
        // together in its right half (`columnStroke`: its lowest and highest level and the strokes
        // between them; 1.5 px wide a pixel apart, they leave no gap): zoomed out on a big build
        // (1.85 million steps at a million invocations) a vertex per step made a path the browser
        // took 16 s to stroke, at every redraw; this one has at most seven vertices per pixel
        // column, and looks the same (charts.step_outline draws the PNG's the same way).
        var level = P.running[s], column = Math.floor(px(P.at[s])), lo = level, hi = level, merged = false;
        ctx.moveTo(px(P.at[s]), cy(level));
        for (s++; s < P.at.length && P.at[s - 1] <= view.b; s++) {
          var sx = px(P.at[s]), v = P.running[s];
          if (Math.floor(sx) === column) {
            if (!merged) { merged = true; lo = hi = level; }
            lo = Math.min(lo, v); hi = Math.max(hi, v); level = v;
            continue;
          }
          if (merged) { columnStroke(column, lo, hi, level); merged = false; }
          ctx.lineTo(sx, cy(level));
          ctx.lineTo(sx, cy(v));
          level = v;
          column = Math.floor(sx);
        }
        if (merged) columnStroke(column, lo, hi, level);
        if (s >= P.at.length) ctx.lineTo(px(span), cy(P.running[P.at.length - 1]));
        ctx.strokeStyle = "#4e79a7";
        ctx.lineWidth = 1.5;
        ctx.stroke();
      }
      [[P.cores, "#c0392b", [5, 3]]].concat(showLimit ? [[P.limit, "#555", [1, 3]]] : []).forEach(function (level) {
        ctx.beginPath();
        ctx.setLineDash(level[2]);
        ctx.moveTo(LEFT, cy(level[0]));
        ctx.lineTo(LEFT + plotW, cy(level[0]));
        ctx.strokeStyle = level[1];
        ctx.lineWidth = 1;
        ctx.stroke();
        ctx.setLineDash([]);
      });
      ctx.restore();
      ctx.fillStyle = "#555";
      ctx.font = "11px sans-serif";
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      var yStep = Math.max(1, Math.ceil(top / 4));
      for (var v = 0; v <= top; v += yStep) ctx.fillText(String(v), LEFT - 6, cy(v));
      ctx.textAlign = "left";
      ctx.fillText("tools", 2, CHART_Y + 4);
    }
    function drawAxis() {
      var step = niceStep((view.b - view.a) * 80 / plotW), digits = Math.max(0, -Math.floor(Math.log10(step / 1e6)));
      ctx.strokeStyle = "#d6d9de";
      ctx.lineWidth = 1;
      ctx.fillStyle = "#555";
      ctx.font = "11px sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "alphabetic";
      for (var tick = Math.ceil(view.a / step) * step; tick <= view.b; tick += step) {
        var x = Math.round(px(tick)) + 0.5;
        ctx.beginPath();
        ctx.moveTo(x, 0);
        ctx.lineTo(x, CHART_Y + CHART);
        ctx.stroke();
        var label = (tick / 1e6).toFixed(digits) + " s", half = ctx.measureText(label).width / 2;
        ctx.fillText(label, Math.max(half, Math.min(x, width - half)), HEIGHT - 6);  // inside the canvas
      }
    }
    function draw() {
      var dpr = window.devicePixelRatio || 1;
      k = plotW / (view.b - view.a);
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, width, HEIGHT);
      ctx.fillStyle = "#f6f7f9";
      for (var l = 0; l < lanes; l += 2) ctx.fillRect(0, l * ROW, width, ROW);
      drawAxis();
      ctx.save();
      ctx.beginPath();
      ctx.rect(LEFT, 0, plotW, GANTT);
      ctx.clip();
      drawBars();
      drawLabels();
      drawPath();
      drawLinks();
      ctx.restore();
      drawChart();
    }

    /* the element layer: one rect per bar that can be pointed at, and per highlighted bar */
    var elements = {};
    function element(j) {
      var r = svg("rect", {x: T.start[j] / 1000, y: laneY(j), width: T.wall[j] / 1000, height: BAR,
                           fill: T.colours[T.tool[j]], "data-i": j, "data-pkg": pkgOf(j), "data-tool": toolOf(j)});
      if (marks[j]) r.setAttribute("class", marks[j]);
      return r;
    }
    function syncElements() {
      // SVG geometry in ms: Chromium clamps lengths beyond 2^25 (a 34 s build in µs)
      bars.setAttribute("transform", "matrix(" + k * 1000 + ",0,0,1," + (-view.a * k) + ",0)");
      var inView = [];
      byLane.forEach(function (list) {
        for (var x = firstEndingAfter(list, view.a); x < list.length && T.start[list[x]] <= view.b; x++) inView.push(list[x]);
      });
      if (inView.length > ALL_ELEMENTS) {
        inView = inView.filter(function (j) { return T.wall[j] * k >= MIN_ELEMENT_PX; });
        inView.sort(function (p, q) { return T.wall[q] - T.wall[p] || p - q; });
        inView = inView.slice(0, MAX_ELEMENTS);
      }
      var wanted = {};
      inView.forEach(function (j) { wanted[j] = true; });
      marked.slice(0, MAX_MARKED).forEach(function (j) { wanted[j] = true; });
      Object.keys(elements).forEach(function (j) {
        if (!wanted[j]) { bars.removeChild(elements[j]); delete elements[j]; }
      });
      var fragment = document.createDocumentFragment();
      Object.keys(wanted).forEach(function (j) {
        if (!elements[j]) fragment.appendChild(elements[j] = element(+j));
      });
      bars.appendChild(fragment);
    }
    var pending = false;
    function render() {
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () { pending = false; renderNow(); });
    }
    function renderNow() { draw(); syncElements(); }

    function layout() {
      var now = box.clientWidth;
      if (!now || now === width) return;
      var dpr = window.devicePixelRatio || 1;
      width = now;
      plotW = Math.max(50, width - LEFT - RIGHT);
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(HEIGHT * dpr);
      canvas.style.width = width + "px";
      canvas.style.height = HEIGHT + "px";
      layer.setAttribute("width", plotW);
      renderNow();
    }
    function setView(a, b) {
      var len = Math.min(span, Math.max(MIN_SPAN, b - a));
      a = Math.max(0, Math.min(a, span - len));
      view.a = a; view.b = a + len;
      k = plotW / len;
      renderNow();
    }
    function zoomAt(factor, x) {  // x: the pointer in the plot, whose time stays put
      var t = view.a + (x / plotW) * (view.b - view.a), len = Math.min(span, Math.max(MIN_SPAN, (view.b - view.a) * factor));
      setView(t - (x / plotW) * len, t - (x / plotW) * len + len);
    }
    function pan(dx) { var dt = dx / plotW * (view.b - view.a); setView(view.a + dt, view.b + dt); }
    function plotXY(ev) {
      var rect = box.getBoundingClientRect();
      return [ev.clientX - rect.left - LEFT, ev.clientY - rect.top];
    }
    // the invocation under the pointer: its element, else the nearest bar within 3px in its lane
    function barAt(ev) {
      var target = ev.target;
      if (target.parentNode === bars) return +target.getAttribute("data-i");
      var xy = plotXY(ev), lane = Math.floor(xy[1] / ROW), inRow = xy[1] - lane * ROW;
      if (xy[0] < 0 || xy[0] > plotW || lane < 0 || lane >= lanes || Math.abs(inRow - ROW / 2) > BAR / 2 + 1) return -1;
      var t = view.a + xy[0] / k, slack = 3 / k, list = byLane[lane], best = -1, distance = slack;
      for (var x = Math.max(0, firstEndingAfter(list, t - slack) - 1); x < list.length && T.start[list[x]] <= t + slack; x++) {
        var j = list[x], d = t < T.start[j] ? T.start[j] - t : t > end(j) ? t - end(j) : 0;
        if (d <= distance) { best = j; distance = d; }
      }
      return best;
    }

    zoomIn.addEventListener("click", function () { zoomAt(0.5, plotW / 2); });
    zoomOut.addEventListener("click", function () { zoomAt(2, plotW / 2); });
    reset.addEventListener("click", function () { setView(0, span); });
    pathBox.addEventListener("change", render);
    box.addEventListener("wheel", function (ev) {
      var unit = ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? 400 : 1;
      if (ev.ctrlKey || ev.metaKey) {
        ev.preventDefault();
        zoomAt(Math.exp(ev.deltaY * unit * 0.002), Math.max(0, Math.min(plotW, plotXY(ev)[0])));
      } else if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {
        ev.preventDefault();
        pan((ev.deltaX || ev.deltaY) * unit);
      }
    }, {passive: false});
    box.addEventListener("keydown", function (ev) {
      var keys = {"+": function () { zoomAt(0.5, plotW / 2); }, "=": function () { zoomAt(0.5, plotW / 2); },
                  "-": function () { zoomAt(2, plotW / 2); }, "0": function () { setView(0, span); },
                  "ArrowLeft": function () { pan(-plotW / 8); }, "ArrowRight": function () { pan(plotW / 8); },
                  "Escape": function () { select(-1); }};
      if (keys[ev.key]) { ev.preventDefault(); keys[ev.key](); }
    });
    var drag = null;
    box.addEventListener("pointerdown", function (ev) {
      if (ev.button === 0) drag = {x: ev.clientX, moved: false};
    });
    window.addEventListener("pointermove", function (ev) {
      if (!drag) return;
      var dx = ev.clientX - drag.x;
      if (!drag.moved && Math.abs(dx) < 4) return;
      if (!drag.moved) { drag.moved = true; box.classList.add("dragging"); hideTip(); }
      drag.x = ev.clientX;
      pan(-dx);
    });
    window.addEventListener("pointerup", function () {
      if (drag && drag.moved) setTimeout(function () { drag = null; box.classList.remove("dragging"); }, 0);
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
      var edge = T.edges[T.edge[j]], gap = T.start[j] - end(w);
      return nameOf(w) + ", " + (EDGE_TEXT[edge] || edge) + "; it started " +
        (gap > 0 ? secs(gap) + " s after that ended" : "as that ended");
    }
    function listNames(list, limit) {
      var names = list.slice(0, limit).map(nameOf);
      return names.join(", ") + (list.length > limit ? " and " + (list.length - limit) + " more" : "");
    }
    var tipFor = -1;
    function showTip(j, x, y) {
      if (j !== tipFor) {
        tipFor = j;
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
          for (var v = 0; v < values.length; v += 2) {
            if (values[v + 1] >= 500) parts.push(shown(T.phaseNames[values[v]]) + " " + secs(values[v + 1]));
          }
          row(table, "phases (s)", parts.join(", ") || "all under 1 ms");
        }
        row(table, "waited for", describeWait(j));
        var deps = T.deps[j] >= 0 ? T.depLists[T.deps[j]].length : 0;
        if (deps) row(table, "depends on", deps + " package" + (deps === 1 ? "" : "s") + " of this build");
        if (unblocked[j].length) row(table, "unblocked", listNames(unblocked[j], 4));
      }
      tooltip.hidden = false;
      placeTooltip(x, y);
    }
    function hideTip() { tooltip.hidden = true; }
    box.addEventListener("pointermove", function (ev) {
      if (drag && drag.moved) return;
      var j = barAt(ev);
      if (j >= 0) showTip(j, ev.clientX, ev.clientY); else hideTip();
      moveReadout(ev);
    });
    box.addEventListener("pointerleave", function () { hideTip(); moveReadout(null); });

    // under the chart: tools running and cores busy at the pointer's time
    function moveReadout(ev) {
      var xy = ev ? plotXY(ev) : [-1, 0];
      if (xy[0] < 0 || xy[0] > plotW) { readout.textContent = ""; return; }
      var t = view.a + xy[0] / k, lo = 0, hi = P.at.length - 1;
      while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (P.at[mid] <= t) lo = mid; else hi = mid - 1; }
      var running = P.at.length ? P.running[lo] : 0;
      var busy = P.cpu.length ? P.cpu[Math.min(P.cpu.length - 1, Math.floor(t / span * P.cpu.length))] : 0;
      readout.textContent = "at " + secs(t) + " s: " + running + " running, " + busy.toFixed(2) + " cores busy";
    }

    /* click: what an invocation depended on, what needed it, what it unblocked */
    var marks = {}, marked = [], selected = -1, dependents = null;
    function neededBy() {  // package -> the invocations that depend on it, made on the first click
      if (!dependents) {
        dependents = T.pkgs.map(function () { return []; });
        for (var m = 0; m < n; m++) {
          if (T.deps[m] >= 0) T.depLists[T.deps[m]].forEach(function (q) { dependents[q].push(m); });
        }
      }
      return dependents;
    }
    function mark(j, cls) { if (!marks[j] || cls === "sel") { if (!marks[j]) marked.push(j); marks[j] = cls; } }
    function select(j) {
      marked.forEach(function (m) { if (elements[m]) elements[m].removeAttribute("class"); });
      marks = {}; marked = [];
      selected = j;
      if (j < 0) {
        info.textContent = HINT;
        renderNow();
        return;
      }
      var separate = SEPARATE[toolOf(j)] ? toolOf(j) : null;
      var depPkgs = T.deps[j] >= 0 ? T.depLists[T.deps[j]] : [];
      var w = T.wait[j];
      mark(j, "sel");
      if (w >= 0) mark(w, "waited");
      unblocked[j].forEach(function (u) { mark(u, "unblocked"); });
      depPkgs.forEach(function (p) {
        byPkg[p].forEach(function (m) {
          if (!SEPARATE[toolOf(m)] || (separate === "vet" && toolOf(m) === "vet")) mark(m, "dep");
        });
      });
      var needed = {}, neededCount = 0, p = T.pkg[j];
      if (!SEPARATE[toolOf(j)]) {
        neededBy()[p].forEach(function (m) {
          if (T.pkg[m] === p) return;
          mark(m, "needed");
          if (!needed[T.pkg[m]]) { needed[T.pkg[m]] = true; neededCount++; }
        });
      }
      marked.forEach(function (m) { if (elements[m]) elements[m].setAttribute("class", marks[m]); });
      while (info.firstChild) info.removeChild(info.firstChild);
      html("b", {}, nameOf(j), info);
      info.appendChild(document.createTextNode(
        ": depends on " + depPkgs.length + " package" + (depPkgs.length === 1 ? "" : "s") + " (blue)" +
        (w >= 0 ? ", waited for " + nameOf(w) + " (" + (EDGE_TEXT[T.edges[T.edge[j]]] || "") + ")" : "") +
        "; needed by " + neededCount + " package" + (neededCount === 1 ? "" : "s") + " (green)" +
        (unblocked[j].length ? "; unblocked " + listNames(unblocked[j], 3) : "") + ". Esc clears."));
      renderNow();
    }
    box.addEventListener("click", function (ev) {
      if (drag && drag.moved) return;
      select(barAt(ev));
    });
    box.addEventListener("dblclick", function (ev) {
      var j = barAt(ev);
      if (j >= 0) show(j);
    });
    // Zoom to an invocation with as much around it as it is long, and select it.
    function show(j) {
      var pad = Math.max(T.wall[j], MIN_SPAN);
      setView(T.start[j] - pad, end(j) + pad);
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
      var b = Math.max.apply(null, list.map(end));
      var pad = Math.max((b - a) / 4, MIN_SPAN);
      setView(a - pad, b + pad);
      var main = list.filter(function (j) { return toolOf(j) === "compile"; })[0];
      select(main === undefined ? list[0] : main);
      root.scrollIntoView({block: "nearest"});
      return true;
    }

    if (window.ResizeObserver) new ResizeObserver(layout).observe(box);
    else window.addEventListener("resize", layout);
    layout();
    return {show: show, showPackage: showPackage, select: select};
  }

  /* ---------------------------------------------------------------- the package table */

  // phases in shades of one blue, apart from the tools' colours
  var PHASE_COLOURS = ["#08306b", "#2171b5", "#6baed6", "#c6dbef", "#08519c", "#4292c6", "#9ecae1", "#deebf7"];

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
    var sortKey = "wall", descending = true, filter = "", expanded = false, limit = 300;

    var barEl = html("div", {"class": "pk-bar"}, null, root);
    var input = html("input", {type: "search", id: "package-filter", placeholder: "Filter packages",
                               "aria-label": "Filter packages by name"}, null, barEl);
    var count = html("span", {"class": "note", id: "package-count"}, "", barEl);
    if (D.phases) {
      var phaseKey = html("span", {"class": "note phase-key"}, "compiler phases, share of each: ", barEl);
      D.phaseNames.forEach(function (name, k) {
        html("span", {"class": "swatch", style: "background:" + PHASE_COLOURS[k % PHASE_COLOURS.length]}, null, phaseKey);
        phaseKey.appendChild(document.createTextNode(shown(name) + "  "));
      });
    }
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
      var listed = [], kids = children.filter(keep).sort(compare);
      top.slice().sort(compare).forEach(function (r) {
        if (r === stdRow) {
          if (!kids.length) return;
          listed.push([r, "group"]);
          if (expanded || needle) kids.forEach(function (c) { listed.push([c, "child"]); });
        } else if (keep(r)) listed.push([r, ""]);
      });
      while (body.firstChild) body.removeChild(body.firstChild);
      // thousands of rows take a while to lay out: the first few hundred, the rest on request
      listed.slice(0, limit).forEach(function (item) { addRow(item[0], item[1]); });
      if (listed.length > limit) {
        var more = html("td", {colspan: columns.length}, null, html("tr", {"class": "more"}, null, body));
        html("button", {type: "button", id: "package-more"}, "Show all " + listed.length + " rows", more)
          .addEventListener("click", function () { limit = Infinity; draw(); });
      }
      var shownRows = listed.filter(function (item) { return item[1] !== "group"; }).length;
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
    var every = document.getElementById("critical-path-all");
    if (button && every) {
      var body = table.tBodies[0], listed = Array.prototype.slice.call(body.rows), label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        var all = button.getAttribute("aria-expanded") !== "true";
        while (body.firstChild) body.removeChild(body.firstChild);
        if (all) body.appendChild(every.content.cloneNode(true));
        else listed.forEach(function (tr) { body.appendChild(tr); });
        button.setAttribute("aria-expanded", String(all));
        button.textContent = all ? "Show the listed steps only" : label;
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
  window.gotraceTimeline = timeline;  // {show(i), showPackage(name), select(i)}: for scripts and benchmarks
  PackageTable(document.getElementById("packages"), DATA.packages, timeline);
  CriticalPathTable(timeline);
  document.documentElement.setAttribute("data-ready", "");
})();

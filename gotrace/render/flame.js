// The interactive part of gotrace flame graphs, inlined at the end of each SVG as
// (function (svg, C) { ... })(<the svg>, {config}). It touches only its own <svg>, so a page can hold
// several graphs (the HTML report does). Frames are <g data-x data-w data-d> holding
// <title>name (info)</title>, <rect> and <text>; data-x and data-w are counts, so zooming recomputes
// pixels from the data rather than from the previous pixels. A fluid graph (C.fluid) is as wide as its
// container: it is laid out again at the width it is given, so labels keep their size and are re-fitted.
"use strict";
var frames = [];
var find = function (id) { return svg.querySelector("[id='" + id + "']"); };
var details = find("details").firstChild, matchedText = find("matched").firstChild;
var unzoomBtn = find("unzoom"), searchBtn = find("search"), icBtn = find("ignorecase");
var zoomed = null, searchTerm = null, ignoreCase = false, width = C.usable + 2 * C.xpad;

var groups = find("frames").children;
for (var i = 0; i < groups.length; i++) {
  var g = groups[i], title = g.querySelector("title").textContent, rect = g.querySelector("rect");
  g.fgIndex = i;
  frames.push({g: g, rect: rect, text: g.querySelector("text"),
               x: parseFloat(g.getAttribute("data-x")), w: parseFloat(g.getAttribute("data-w")),
               d: parseInt(g.getAttribute("data-d"), 10), fill: rect.getAttribute("fill"),
               name: title.replace(/ \([^(]*\)$/, ""), title: title});
}

function frameOf(el) {
  while (el && el.fgIndex === undefined && el !== svg) el = el.parentNode;
  return el && el.fgIndex !== undefined ? frames[el.fgIndex] : null;
}

function fit(name, px) {
  var chars = Math.floor(px / (C.fontsize * C.fontwidth));
  if (chars < 3) return "";
  return name.length <= chars ? name : name.substring(0, chars - 2) + "..";
}

function place(f, px, pw) {
  f.rect.setAttribute("x", px.toFixed(2));
  f.rect.setAttribute("width", pw.toFixed(2));
  f.text.setAttribute("x", (px + 3).toFixed(2));
  f.text.textContent = fit(f.name, pw);
  f.g.classList.remove("hide");
}

function zoom(target) {
  var x0 = target.x, w0 = target.w, scale = C.usable / w0, eps = w0 * 1e-9;
  zoomed = target;
  for (var i = 0; i < frames.length; i++) {
    var f = frames[i];
    if (f.d < target.d && f.x <= x0 + eps && f.x + f.w >= x0 + w0 - eps) {
      place(f, C.xpad, C.usable);           // an ancestor: full width, faded
      f.g.classList.add("parent");
    } else if (f.d >= target.d && f.x >= x0 - eps && f.x + f.w <= x0 + w0 + eps) {
      place(f, C.xpad + (f.x - x0) * scale, f.w * scale);
      f.g.classList.remove("parent");
    } else {
      f.g.classList.add("hide");
    }
  }
  unzoomBtn.classList.remove("hide");
  if (searchTerm !== null) search(searchTerm);
}

function unzoom() {
  var scale = C.usable / C.total;
  zoomed = null;
  for (var i = 0; i < frames.length; i++) {
    var f = frames[i];
    place(f, C.xpad + f.x * scale, f.w * scale);
    f.g.classList.remove("parent");
  }
  unzoomBtn.classList.add("hide");
  if (searchTerm !== null) search(searchTerm);
}

function redraw() {
  if (zoomed) zoom(zoomed); else unzoom();
}

// Lays the graph out again at its container's width; what stays put in pixels (text, the frames'
// heights) keeps its size, and labels are fitted again to their frames' new widths.
function fitWidth() {
  var w = svg.getBoundingClientRect().width;
  if (!(w > 2 * C.xpad + 120) || Math.abs(w - width) < 0.5) return;
  width = w;
  svg.setAttribute("viewBox", "0 0 " + w.toFixed(2) + " " + svg.viewBox.baseVal.height);
  C.usable = w - 2 * C.xpad;
  ["title", "subtitle"].forEach(function (id) {
    var el = find(id);
    if (el) el.setAttribute("x", (w / 2).toFixed(2));
  });
  searchBtn.setAttribute("x", (w - C.xpad - 100).toFixed(2));
  icBtn.setAttribute("x", (w - C.xpad - 16).toFixed(2));
  find("matched").setAttribute("x", (w - C.xpad - 100).toFixed(2));
  redraw();
}

// Highlights matching frames and reports the share of the zoomed frame (or of everything) they
// cover; a match inside another match is not counted twice.
function search(term) {
  var re;
  try { re = new RegExp(term, ignoreCase ? "i" : ""); } catch (e) {
    matchedText.nodeValue = "Bad regular expression: " + term;
    return;
  }
  searchTerm = term;
  var hits = [];
  for (var i = 0; i < frames.length; i++) {
    var f = frames[i];
    if (re.test(f.name)) {
      f.rect.setAttribute("fill", C.searchcolor);
      if (!f.g.classList.contains("hide") && !f.g.classList.contains("parent")) hits.push(f);
    } else {
      f.rect.setAttribute("fill", f.fill);
    }
  }
  hits.sort(function (a, b) { return a.x - b.x || b.w - a.w; });
  var covered = 0, end = -Infinity;
  for (var j = 0; j < hits.length; j++) {
    if (hits[j].x >= end) { covered += hits[j].w; end = hits[j].x + hits[j].w; }
  }
  searchBtn.firstChild.nodeValue = "Reset Search";
  searchBtn.classList.add("show");
  matchedText.nodeValue = "Matched: " + (100 * covered / (zoomed ? zoomed.w : C.total)).toFixed(2) + "%";
}

function resetSearch() {
  for (var i = 0; i < frames.length; i++) frames[i].rect.setAttribute("fill", frames[i].fill);
  searchTerm = null;
  searchBtn.firstChild.nodeValue = "Search";
  searchBtn.classList.remove("show");
  matchedText.nodeValue = " ";
}

function searchPrompt() {
  if (searchTerm !== null) { resetSearch(); saveState(); return; }
  var term = prompt("Search for frames (regular expression" + (ignoreCase ? ", ignoring case" : "") +
                    "), e.g. ^compile$", "");
  if (term !== null && term !== "") { search(term); saveState(); }
}

function toggleIgnoreCase() {
  ignoreCase = !ignoreCase;
  icBtn.classList.toggle("show", ignoreCase);
  if (searchTerm !== null) search(searchTerm);
  saveState();
}

// A standalone graph keeps its view in the query string (?x=..&d=.. zoom, ?s=.. search, ?i=1 ignore
// case), so a link or a reload shows the same thing; an embedded one leaves the page's URL alone.
function saveState() {
  if (!C.urlstate) return;
  var p = new URLSearchParams();
  if (zoomed) { p.set("x", String(zoomed.x)); p.set("d", String(zoomed.d)); }
  if (searchTerm !== null) p.set("s", searchTerm);
  if (ignoreCase) p.set("i", "1");
  var q = p.toString();
  try {
    history.replaceState(history.state, "", location.pathname + (q ? "?" + q : "") + location.hash);
  } catch (e) { /* some viewers forbid it; the graph still works */ }
}

function restoreState() {
  var p = new URLSearchParams(location.search);
  if (p.get("i") === "1") { ignoreCase = true; icBtn.classList.add("show"); }
  if (p.has("x") && p.has("d")) {
    var x = parseFloat(p.get("x")), d = parseInt(p.get("d"), 10);
    for (var i = 0; i < frames.length; i++) {
      var f = frames[i];
      if (f.d === d && Math.abs(f.x - x) <= Math.abs(x) * 1e-12) { zoom(f); break; }
    }
  }
  if (p.has("s")) search(p.get("s"));
}

var box = find("frames");
box.addEventListener("mouseover", function (e) {
  var f = frameOf(e.target);
  if (f) details.nodeValue = C.nametype + " " + f.title;
});
box.addEventListener("mouseout", function () { details.nodeValue = " "; });
box.addEventListener("click", function (e) {
  var f = frameOf(e.target);
  if (f) { zoom(f); saveState(); }
});
unzoomBtn.addEventListener("click", function () { unzoom(); saveState(); });
searchBtn.addEventListener("click", searchPrompt);
icBtn.addEventListener("click", toggleIgnoreCase);
var legend = find("legend");
if (legend) {
  legend.addEventListener("click", function (e) {
    var el = e.target;
    while (el && el !== legend && !el.hasAttribute("data-tool")) el = el.parentNode;
    if (!el || el === legend) return;
    var term = "^" + el.getAttribute("data-tool").replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "$";
    if (searchTerm === term) resetSearch(); else search(term);
    saveState();
  });
}

function inView() {
  var r = svg.getBoundingClientRect();
  return r.width > 0 && r.bottom > 0 && r.top < (window.innerHeight || 0);
}

// Ctrl-F, F3 or / searches, Ctrl-I toggles case, Escape resets. One listener per page, however many
// graphs it holds: the keys go to the graph last pointed at if it is on screen, else to the first
// graph on screen; with none on screen they are left to the browser (its own find).
function onKey(e) {
  var tag = e.target && e.target.tagName ? e.target.tagName.toUpperCase() : "";
  var typing = tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (e.target && e.target.isContentEditable);
  if (e.keyCode === 114 || ((e.ctrlKey || e.metaKey) && e.keyCode === 70) ||
      (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey)) {
    e.preventDefault(); searchPrompt();
  } else if (e.ctrlKey && e.keyCode === 73) {
    e.preventDefault(); toggleIgnoreCase();
  } else if (e.key === "Escape" && searchTerm !== null) {
    resetSearch(); saveState();
  }
}

var page = window.gotraceFlameGraphs || (window.gotraceFlameGraphs = {graphs: [], active: null});
var me = {inView: inView, onKey: onKey};
page.graphs.push(me);
svg.addEventListener("mouseenter", function () { page.active = me; });
if (page.graphs.length === 1) {
  window.addEventListener("keydown", function (e) {
    var target = page.active && page.active.inView() ? page.active : null;
    for (var i = 0; !target && i < page.graphs.length; i++) {
      if (page.graphs[i].inView()) target = page.graphs[i];
    }
    if (target) target.onKey(e);
  });
}
if (C.fluid) {
  fitWidth();
  if (window.ResizeObserver) new ResizeObserver(fitWidth).observe(svg);
  else window.addEventListener("resize", fitWidth);
}
if (C.urlstate) restoreState();
svg.setAttribute("data-ready", "1");

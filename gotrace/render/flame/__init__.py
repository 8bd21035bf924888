"""Flame graphs as standalone, interactive SVG: the flamegraph.pl drawing, from any folded stacks.

    options.py        FlameOptions (what it looks like), FlameError (why nothing can be drawn)
    layout.py         stacks -> Frames (depth, start, value, before, name), pruned to what can be drawn
    external_sort.py  unsorted folded input summed per stack and sorted, in bounded memory
    palettes.py       a frame's fill from its name: flamegraph.pl's hues as a table, the Go tools' colours
    writer.py         a Layout as SVG, with flame.js and flame.css (beside gotrace/render) inlined

The entry points, render_svg and render_folded, are in gotrace.render.svg.
"""

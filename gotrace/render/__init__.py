"""Renderers: one module per output format, each writing to a stream and keeping no state."""

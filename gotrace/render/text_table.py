"""Plain-text tables and number formats: they live in gotrace.text (analysis/ uses them too and must
not import render/); kept importable here for the renderers that name this module."""
from gotrace.text import mebibytes, percent, seconds, write_table

__all__ = ["mebibytes", "percent", "seconds", "write_table"]

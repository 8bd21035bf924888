"""Pure functions over events: totals, lanes, critical path, diagnosis, diffs."""

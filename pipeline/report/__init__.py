"""The HTML report of a reviewed date: per-zone day charts, scores, findings."""

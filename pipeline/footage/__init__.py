"""Footage → frames: a camera-day's recordings, GOP-aware sampling, and what was seen."""

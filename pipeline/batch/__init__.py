"""The nightly run: plan units (camera-files), execute them anywhere, write and review."""

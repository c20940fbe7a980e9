"""Reproducible performance measurements (see the README for how to run them)."""

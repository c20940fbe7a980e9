"""Single-PUT intake benchmark: case-api against a minimal endpoint, in the same run."""

"""Notice templates per channel, stage and language (Jinja2, plain text); see rendering.py."""

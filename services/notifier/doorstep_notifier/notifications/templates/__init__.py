"""Overdue-notice templates, one subject and one body per language (Jinja2, plain text)."""

"""Doorstep scheduler: plans field visits for cases that reach the field-visit stage."""

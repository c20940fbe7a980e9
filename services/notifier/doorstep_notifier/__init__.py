"""Doorstep notifier: overdue notices for collection cases, sent through channel providers."""

"""Doorstep's shared library: event contracts, messaging machinery, DB base, settings, errors.

Imported by the three services; never run on its own and never imports a service.
"""

"""Local development tooling: the embedded broker and the three-process dev stack.

Used by ``make run`` / ``make demo`` and by the test fixtures; never by the services.
"""

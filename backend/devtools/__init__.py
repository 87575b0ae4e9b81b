"""Helpers for the tasks and the test suites: start Redis and Daphne, find a browser.

The tasks (``tasks/``) don't import them: they run ``python -m devtools.<helper>``
from backend/ (``run_chat``, ``redis_server``, ``browser``). Nothing here is
imported by the running chat server.
"""

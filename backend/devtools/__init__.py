"""Helpers shared by tasks.py and the test suites: start Redis and Daphne, find a browser.

Nothing here is imported by the running chat server.
"""

"""`invoke bench`: the chat's load generator and the reference servers it compares against.

Not imported by the running chat server.
"""

"""The production server: N Daphne workers sharing one listening socket.

    python -m server --host 0.0.0.0 --port 8000 --workers 2

``supervisor`` binds the port and keeps the workers running; ``worker`` is one
Daphne process with the chat's WebSocket protocol (``websocket``), which cuts
off clients that stop reading and writes each broadcast frame once
(``frames``); ``input_queue`` is the light per-connection queue; ``checks``
verifies at start-up what the server needs from Daphne, autobahn and Twisted
beyond their documented APIs.

Nothing here is imported by the supervisor that would load Django or Twisted:
only a worker does that.
"""

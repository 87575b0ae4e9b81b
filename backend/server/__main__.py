"""Run the chat in production: ``python -m server --host 0.0.0.0 --port 8000 --workers 2``.

The parent process binds the port and supervises the workers; with the hidden
``--fd`` option the process is one of those workers, serving the socket it
inherited.
"""

import argparse
import errno
import logging
import sys

from server.limits import raise_open_file_limit
from server.supervisor import Supervisor, listening_socket


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m server",
        description="Serve the chat with N Daphne workers sharing one port.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--fd", type=int, help=argparse.SUPPRESS)  # worker mode
    parser.add_argument("--supervisor", type=int, help=argparse.SUPPRESS)  # the worker's
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    if args.fd is not None:
        from server.worker import run_worker  # loads Django and Twisted

        return run_worker(args.fd, supervisor_pid=args.supervisor)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    raise_open_file_limit()  # before the workers start: they inherit it
    try:
        sock = listening_socket(args.host, args.port)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            print(
                f"Port {args.port} on {args.host} is already in use; pick another one with --port.",
                file=sys.stderr,
            )
        else:
            print(f"Can't listen on {args.host}:{args.port}: {error.strerror}.", file=sys.stderr)
        return 1
    return Supervisor(sock, args.workers).run()


if __name__ == "__main__":
    sys.exit(main())

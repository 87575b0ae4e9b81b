"""The ceiling reference: a bare ``websockets`` room broadcaster, no Django, no Redis.

python -m bench.ceiling --port 8002
"""

import argparse
import asyncio
import json
from collections import defaultdict

from websockets.asyncio.server import broadcast, serve

rooms: dict[str, set] = defaultdict(set)


async def handler(connection) -> None:
    room = rooms[connection.request.path]
    room.add(connection)
    try:
        async for text in connection:
            message = json.loads(text)["message"]
            broadcast(room, json.dumps({"message": message}))
    finally:
        room.discard(connection)


async def main(host: str, port: int) -> None:
    async with serve(handler, host, port, max_queue=None):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(main(args.host, args.port))

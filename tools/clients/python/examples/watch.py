#!/usr/bin/python3
"""Prints node events (created, removed, lost, unavailable, available) until Ctrl-C.

    /usr/bin/python3 tools/clients/python/examples/watch.py ENDPOINT [--heartbeat MS]
"""

import argparse
import asyncio

import _path  # noqa: F401
from arbor_client import Client


async def main(endpoint: str, heartbeat: int | None) -> None:
    async with Client(endpoint, timeout=5.0) as c:
        if heartbeat is not None:
            await c.heartbeat(heartbeat)
        async with c.watch() as events:
            print("watching", flush=True)
            async for ev in events:
                print(f"node {ev.id} {ev.kind.name.lower()} (pid {ev.pid})", flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("endpoint")
    ap.add_argument("--heartbeat", type=int, metavar="MS", help="set the heartbeat period first")
    args = ap.parse_args()
    try:
        asyncio.run(main(args.endpoint, args.heartbeat))
    except KeyboardInterrupt:
        pass

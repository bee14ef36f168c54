#!/usr/bin/python3
"""Quickstart: build a small tree, save and load a value, print the topology.

    ./build/arbor --listen ipc:///tmp/arbor-demo --no-stdin &
    /usr/bin/python3 tools/clients/python/examples/quickstart.py ipc:///tmp/arbor-demo

(PYTHONPATH=build/gen/python is optional from a checkout built in ./build.)
The tree is left running; `kill -TERM` the controller to stop it.
"""

import argparse
import asyncio

import _path  # noqa: F401
from arbor_client import ArborError, Client


async def main(endpoint: str) -> None:
    async with Client(endpoint, timeout=5.0) as c:
        pid10 = await c.create(10, -1)
        print(f"created 10 under the controller: pid {pid10}")
        # creates of different parents run concurrently
        pid12, pid13 = await asyncio.gather(c.create(12, 10), c.create(13, 10))
        print(f"created 12 and 13 under 10: pids {pid12}, {pid13}")

        await c.exec(10, "MyVar", 5)
        print(f"MyVar on 10 = {await c.exec(10, 'MyVar')}")
        value = await c.exec(12, "MyVar")
        print(f"MyVar on 12 = {value}" if value is not None else "MyVar on 12: not found")

        try:
            await c.exec(99, "MyVar")
        except ArborError as e:  # NotFound
            print(f"exec on 99: {type(e).__name__} ({e})")

        print(f"ping 13: {await c.ping(13)}")
        print("topology:")
        for node in await c.topology():
            print(f"{'  ' * node.depth}{node.id} pid {node.pid} {node.state.name.lower()}")
        print("stats:", " ".join(f"{k}={v}" for k, v in (await c.stats()).as_dict().items()))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("endpoint", help="the controller's client endpoint (ipc://... or tcp://127.0.0.1:PORT)")
    asyncio.run(main(ap.parse_args().endpoint))

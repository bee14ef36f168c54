#!/usr/bin/python3
"""Round trip of one exec: N sequential loads on one node, then N concurrent ones.

    /usr/bin/python3 tools/clients/python/examples/latency.py ENDPOINT [-n 200] [--node 1]

Creates the node if it does not exist (and leaves it).
"""

import argparse
import asyncio
import statistics
import time

import _path  # noqa: F401
from arbor_client import AlreadyExists, Client


async def main(endpoint: str, n: int, node: int) -> None:
    async with Client(endpoint, timeout=5.0) as c:
        try:
            await c.create(node)
        except AlreadyExists:
            pass
        await c.exec(node, "k", 1)
        for _ in range(20):  # warm up
            await c.exec(node, "k")
        samples = []
        for _ in range(n):
            t0 = time.perf_counter()
            await c.exec(node, "k")
            samples.append(time.perf_counter() - t0)
        samples.sort()
        us = lambda s: f"{s * 1e6:.0f} us"  # noqa: E731
        print(f"{n} sequential execs: median {us(statistics.median(samples))}, "
              f"p90 {us(samples[int(n * 0.9) - 1])}, p99 {us(samples[int(n * 0.99) - 1])}, max {us(samples[-1])}")
        t0 = time.perf_counter()
        await asyncio.gather(*[c.exec(node, "k") for _ in range(n)])
        dt = time.perf_counter() - t0
        print(f"{n} concurrent execs: {dt * 1e3:.1f} ms, {n / dt:.0f} calls/s")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("endpoint")
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--node", type=int, default=1)
    args = ap.parse_args()
    asyncio.run(main(args.endpoint, args.n, args.node))

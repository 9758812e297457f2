"""Where an idle socket's memory goes in game_backend: tracemalloc, by the line that allocated it.

    python bench/memory_profile.py [--sockets 1000] [--top 25] [--set NAME=VALUE ...]

Runs the app in this process (with its own embedded database), opens
`--sockets` anonymous WebSocket clients from the Node load generator, and
prints the allocations that grew, per socket, largest first.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import re
import sys
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generators import Generators  # noqa: E402

from game_backend.config import Settings, declared  # noqa: E402
from game_backend.storage.embedded import EmbeddedDatabase  # noqa: E402
from game_backend.testing import running_server  # noqa: E402


async def probe(settings: Settings, sockets: int, top: int) -> None:
    with EmbeddedDatabase() as database, Generators(1) as generators:
        async with running_server(settings, mongodb_uri=database.uri, database_name="memory_profile") as url:
            async def run(command: dict[str, Any]) -> dict[str, Any]:
                return (await asyncio.to_thread(generators.each, command, 180))[0]

            await run({"cmd": "idle", "url": url, "count": 50})  # warm up
            await run({"cmd": "close_idle"})
            await asyncio.sleep(1)
            gc.collect()
            tracemalloc.start()
            before = tracemalloc.take_snapshot()
            await run({"cmd": "idle", "url": url, "count": sockets})
            await asyncio.sleep(2)
            gc.collect()
            after = tracemalloc.take_snapshot()
            tracemalloc.stop()
            await run({"cmd": "close_idle"})
    growth = after.compare_to(before, "lineno")
    total = sum(stat.size_diff for stat in growth)
    print(f"Python allocations that grew with {sockets} idle sockets: {total / sockets / 1024:.1f} KB per socket")
    for stat in growth[:top]:
        frame = stat.traceback[0]
        where = re.sub(r".*/(site-packages|python3\.\d+)/", "", frame.filename)
        print(f"{stat.size_diff / sockets:8.0f} B {stat.count_diff / sockets:5.1f} blocks  {where}:{frame.lineno}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    environ = {"MAX_CONNECTIONS_PER_IP": str(args.sockets * 2), **dict(item.split("=", 1) for item in args.set)}
    settings = Settings.from_env(environ)
    unknown = set(environ) - {item.env for item in declared()}
    if unknown:
        parser.error(f"unknown settings: {', '.join(sorted(unknown))}")
    asyncio.run(probe(settings, args.sockets, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())

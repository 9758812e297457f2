"""Profile game_backend under the relay workload with py-spy (or perf), and print where its time goes.

    python bench/profile.py [--rate 6000] [--seconds 10] [--set NAME=VALUE ...]
    python bench/profile.py --workers 2     # two processes behind Redis, every room split; the first is sampled

Starts the server, seats the bench players, runs `hit` at a fixed delivered
rate while `py-spy record` samples the server process (py-spy comes from PyPI:
`pip install py-spy`), then prints the busiest functions by own time and by
total time. The raw collapsed stacks stay in bench/results/ for flame graphs.

py-spy pauses the server for each sample, which slows it a little but reads
whole stacks: with `--nonblocking` most samples came back as the bare event
loop (`run_app`), and were left out as idle, hiding where the time went.

py-spy sees Python frames only. The compiled hot path (game_backend/compiled.py)
runs in each socket's reading task with no interpreted frame above it, so its
samples look like the bare event loop and are left out too: what this lists
is the interpreted Python left on the path.

    python bench/profile.py --perf [--rate 6000]   # the whole picture: compiled code, C libraries, the kernel

With --perf, Linux's perf samples the server instead (`perf record
--call-graph dwarf`; perf comes from Debian's linux-perf package), and the
summary gives each part of the path of a `hit` (PATH, named by the compiled
functions and the libraries a sample's stack passes through) and each
library its share of all the server's samples, the kernel's included
(docs/benchmarks.md, "The fourth pass"). The compiled parts are found by
their mypyc names, so run it on the compiled hot path.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generators import Generators  # noqa: E402
from servers import BENCH, Cluster, game_backend  # noqa: E402
from workloads import Plan, relay_step, setup_rooms  # noqa: E402

HIT = {"instrument": "drum", "motionType": "hit"}
IDLE = ("Selector.select", "run_forever", "run_app (")
# The path of a `hit` as perf sees it: each part, and a symbol (or library) every sample of it has on its stack.
PATH = (
    ("the writes: uvloop's write, and the kernel's send under it", "UVStream_write"),
    ("the read: uvloop's read callback, and the frame reader's (frames.py) under it", "__uv_stream_on_read"),
    ("the frame reader's parsing of simple frames (frames.py)", "CPyDef_frames___FrameReader___data_received"),
    ("the reading task's wake, and WebSocketLink.receive", "CPyDef_websocket___receive_WebSocketLink"),
    ("the Socket.IO decode (orjson's loads under it)", "CPyDef_socketio___packets___decode"),
    ("the dispatcher, with all it calls", "CPyDef_dispatcher___dispatch_gen"),
    ("payload validation (pydantic-core, and the checks it calls)", "_pydantic_core"),
    ("the hit handler, with all it calls", "CPyDef_games___hit_gen"),
    ("the relay of a hit (announce.live_score), with all it calls", "CPyDef_announce___live_score"),
    ("a room emit's encode (orjson's dumps under it)", "CPyDef_delivery___encode"),
)
LIBRARIES = (  # where a sample's innermost frame is: a part of the library's file name, and what it is
    ("kernel", "the kernel"),
    ("libpython", "the interpreter and object model (libpython)"),
    ("_hot__mypyc", "the compiled hot path"),
    ("uvloop", "uvloop"),
    ("loop.cpython", "uvloop"),
    ("_pydantic_core", "pydantic-core"),
    ("orjson", "orjson"),
    ("reader_c", "aiohttp's C frame reader"),
    ("_asyncio", "asyncio's C tasks and futures"),
    ("libc", "libc"),
)


def summarize(collapsed: Path, top: int) -> str:
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        if not any("run_app" in frame for frame in frames) or any(word in frames[-1] for word in IDLE):
            continue  # another thread (the MongoDB driver's), or the event loop waiting for work
        samples += count
        own[_short(frames[-1])] += count
        for frame in {_short(frame) for frame in frames}:
            total[frame] += count
    lines = [f"{samples} samples of the event loop's thread at work (waiting for I/O left out)", "", "own time:"]
    lines += [f"  {100 * n / samples:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    lines += ["", "total time (the function and what it calls):"]
    lines += [f"  {100 * n / samples:5.1f}%  {frame}" for frame, n in total.most_common(top)]
    return "\n".join(lines)


def perf_stacks(recorded: Path) -> list[list[tuple[str, str]]]:
    """Each sample's stack, innermost frame first, as (symbol, library file) pairs (`perf script`)."""
    text = subprocess.run(["perf", "script", "-i", str(recorded), "-F", "ip,sym,dso"], capture_output=True,
                          text=True, check=True).stdout
    stacks: list[list[tuple[str, str]]] = []
    for block in text.split("\n\n"):
        stack = []
        for line in block.splitlines():
            if not line.strip():
                continue  # the sample's header: empty, as only the frames' fields are asked for
            _, _, frame = line.strip().partition(" ")
            symbol, _, library = frame.rpartition(" (")
            stack.append((symbol, library.rstrip(")").rsplit("/", 1)[-1]))
        if stack:
            stacks.append(stack)
    return stacks


def perf_summary(recorded: Path) -> str:
    stacks = perf_stacks(recorded)
    total = len(stacks) or 1
    lines = [f"{len(stacks)} samples of the server (perf), the kernel's included", "",
             "the path of a hit (each with what it calls; the parts overlap):"]
    for what, mark in PATH:
        hits = sum(1 for stack in stacks if any(mark in symbol or mark in library for symbol, library in stack))
        lines.append(f"  {100 * hits / total:5.1f}%  {what}")
    by_library: Counter[str] = Counter()
    for stack in stacks:
        library = next((library for _, library in stack if library != "inlined"), "")  # an inlined frame's is its caller's
        by_library[next((name for part, name in LIBRARIES if part in library), f"other ({library})")] += 1
    lines += ["", "where the time is spent (the innermost frame's library):"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in by_library.most_common(12)]
    return "\n".join(lines)


def _short(frame: str) -> str:
    """`function (path/to/module.py:line)` -> `function (module.py)`."""
    name, _, where = frame.partition(" (")
    return f"{name} ({Path(where.split(':')[0]).name})" if where else name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=6000, help="delivered messages per second (default 6000)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--code", type=Path, help="profile game_backend from this checkout")
    parser.add_argument("--workers", type=int, default=1, help="processes behind Redis (the first is sampled)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--perf", action="store_true", help="sample with Linux's perf instead of py-spy")
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if args.perf and shutil.which("perf") is None:
        parser.error("--perf needs Linux's perf (apt-get install linux-perf)")
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    collapsed = results / f"profile-{stamp}.txt"
    recorded = results / f"perf-{stamp}.data"
    plan = Plan(name="profile", rooms=args.rooms, step_seconds=args.seconds, ramp_start=args.rate, ramp_factor=1.0,
                bisections=0, moderate=args.rate, chat_clients=0, chat_seconds=0, idle_counts=(), rounds=1)
    settings = dict(item.split("=", 1) for item in args.set)
    server: Any = (Cluster(results, args.workers, args.redis_url, args.code, **settings) if args.workers > 1
                   else game_backend(results, code=args.code, **settings))
    server.start()
    sampled = server.workers[0] if args.workers > 1 else server
    try:
        with Generators(2) as generators:
            setup_rooms(server, generators, plan.rooms, HIT)
            relay_step(server, generators, plan, args.rate / 2)  # warm up
            command = (
                ["perf", "record", "-F", "999", "--call-graph", "dwarf,16384", "-p", str(sampled.pid),
                 "-o", str(recorded), "--", "sleep", str(max(1, int(args.seconds) - 1))]
                if args.perf else
                [spy, "record", "--pid", str(sampled.pid), "--duration", str(int(args.seconds)), "--rate", "250",
                 "--format", "raw", "--output", str(collapsed)]
            )
            recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            step = relay_step(server, generators, plan, args.rate)
            recorder.wait(args.seconds + 30)
    finally:
        server.stop()
    print(f"at {args.rate}/s: delivered {step['delivered_per_s']:.0f}/s, latency {step['latency_ms']}, "
          f"server {100 * step['server_cpu_core']:.0f}% of a core, {step['server_cpu_us_per_msg']:.1f} us per message "
          f"({100 * step['server_kernel_share']:.0f}% of it in the kernel)")
    if args.perf:
        print(perf_summary(recorded))
        print(f"\nperf's record: {recorded.relative_to(BENCH.parent)} (perf report -i ...)")
    else:
        print(summarize(collapsed, args.top))
        print(f"\ncollapsed stacks: {collapsed.relative_to(BENCH.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Profile game_backend under the relay workload with py-spy, and print where its time goes.

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
is the interpreted Python left on the path. For the whole picture, compiled
code and C libraries included, use perf on the server's pid:
`perf record --call-graph dwarf -p PID` (docs/benchmarks.md, "The third pass").
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
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    collapsed = results / f"profile-{time.strftime('%Y%m%d-%H%M%S')}.txt"
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
            recorder = subprocess.Popen(
                [spy, "record", "--pid", str(sampled.pid), "--duration", str(int(args.seconds)), "--rate", "250",
                 "--format", "raw", "--output", str(collapsed)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            step = relay_step(server, generators, plan, args.rate)
            recorder.wait(args.seconds + 30)
    finally:
        server.stop()
    print(f"at {args.rate}/s: delivered {step['delivered_per_s']:.0f}/s, latency {step['latency_ms']}, "
          f"server {100 * step['server_cpu_core']:.0f}% of a core, {step['server_cpu_us_per_msg']:.1f} us per message "
          f"({100 * step['server_kernel_share']:.0f}% of it in the kernel)")
    print(summarize(collapsed, args.top))
    print(f"\ncollapsed stacks: {collapsed.relative_to(BENCH.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

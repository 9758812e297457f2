"""Before/after: several game_backend variants running at once, measured in turns at the same relay load.

    python bench/compare.py --variant stock:/tmp/base:WS_COMPRESSION=1 --variant now:: [--rate 6000] [--rounds 5]
    python bench/compare.py --variant now:: --node    # and the Node peer: each variant's CPU as a ratio to Node's

A variant is `label:code:settings[:python]`: `code` a checkout to run game_backend
from (empty: this one), `settings` comma-separated NAME=VALUE, and `python` the
interpreter to run it with (empty: this one). All variants start
together and get their players seated; then each round runs one relay step
against each variant in turn, so a busy moment on a shared machine falls on
all of them alike. Prints, per variant, the median server CPU per delivered
message and latency percentiles over the rounds; with `--node`, the Node peer
takes its turns as well, and each figure gets its ratio to Node's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generators import Generators  # noqa: E402
from servers import BENCH, Server, game_backend, node_peer  # noqa: E402
from workloads import Plan, relay_step, setup_rooms  # noqa: E402

HIT = {"instrument": "drum", "motionType": "hit"}


def variant(text: str) -> tuple[str, Path | None, dict[str, str], str | None]:
    label, code, settings, python = (text.split(":", 3) + ["", "", ""])[:4]
    pairs = dict(item.split("=", 1) for item in settings.split(",") if item)
    return label, Path(code) if code else None, pairs, python or None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", action="append", required=True, type=variant)
    parser.add_argument("--rate", type=int, default=6000, help="delivered messages per second (default 6000)")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one step")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--node", action="store_true", help="measure the Node peer (bench/node_server.js) in turn too")
    args = parser.parse_args()
    plan = Plan(name="compare", rooms=args.rooms, step_seconds=args.seconds, ramp_start=args.rate, ramp_factor=1.0,
                bisections=0, moderate=args.rate, chat_clients=0, chat_seconds=0, idle_counts=(), rounds=args.rounds)
    results = BENCH / "results"
    servers = {label: lambda code=code, python=python, settings=settings: game_backend(
        results, code=code, python=python, **settings) for label, code, settings, python in args.variant}
    if args.node:
        servers["node"] = lambda: node_peer(results)
    steps: dict[str, list[dict[str, Any]]] = {label: [] for label in servers}
    with ExitStack() as stack:
        running: list[tuple[str, Server, Generators]] = []
        for label, make in servers.items():
            server = make()
            server.log_path = results / f"compare-{label}.log"
            server.start()
            stack.callback(server.stop)
            generators = stack.enter_context(Generators(2))
            setup_rooms(server, generators, plan.rooms, HIT)
            relay_step(server, generators, plan, args.rate / 2)  # warm up
            running.append((label, server, generators))
        for round_index in range(args.rounds):
            for label, server, generators in running:
                step = relay_step(server, generators, plan, args.rate)
                steps[label].append(step)
                print(f"round {round_index + 1} {label:>12}: {step['server_cpu_us_per_msg']:6.1f} us/msg  "
                      f"p50 {step['latency_ms']['p50']:6.2f}  p99 {step['latency_ms']['p99']:7.2f} ms  "
                      f"delivered {100 * step['delivery']:.1f}%  "
                      f"the busier generator {step['generator_cpu_core']:.0%} of a core", file=sys.stderr, flush=True)
    cpu = {label: statistics.median(step["server_cpu_us_per_msg"] for step in taken) for label, taken in steps.items()}
    ratio = "| ratio to node " if args.node else ""
    print(f"\n| variant | server CPU per delivered message (median of {args.rounds}) {ratio}| p50 | p99 "
          "| the busier load generator's CPU, of one core |")
    print("|---|---:|" + ("---:|" if args.node else "") + "---:|---:|---:|")
    for label, taken in steps.items():
        p50 = statistics.median(step["latency_ms"]["p50"] for step in taken)
        p99 = statistics.median(step["latency_ms"]["p99"] for step in taken)
        generators = statistics.median(step["generator_cpu_core"] for step in taken)
        against = f"| {cpu[label] / cpu['node']:.2f}x " if args.node else ""
        print(f"| {label} | {cpu[label]:.1f} us {against}| {p50:.2f} ms | {p99:.2f} ms | {generators:.0%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

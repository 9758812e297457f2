"""`make bench`: game_backend against the Node socket.io peer, on this machine, over loopback.

    python bench/run.py            # the short run, about two minutes
    python bench/run.py --full     # longer steps, finer ramp, two rounds each (BENCH=full make bench)
    python bench/run.py --scale-out  # one process vs two behind Redis (rooms local, rooms split), Node alone and split

Both servers run alternately at the same settings, with the same Node load
generators (bench/loadgen.js). The table goes to stdout; everything measured,
step by step, goes to bench/results/<time>-<plan>.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generators import Generators  # noqa: E402
from report import machine, markdown, rows, say, scale_out_markdown, split_cost_line  # noqa: E402
from servers import BENCH, Cluster, NodeCluster, Server, game_backend, node_peer  # noqa: E402
from workloads import Plan, chat, idle_memory, ramp, relay_step, seating, setup_rooms, storm  # noqa: E402

PLANS = {
    "short": Plan(name="short", rooms=50, step_seconds=2.0, ramp_start=6000, ramp_factor=1.6, bisections=1,
                  moderate=6000, chat_clients=64, chat_seconds=2.0, idle_counts=(1000, 3000), rounds=1),
    "full": Plan(name="full", rooms=100, step_seconds=5.0, ramp_start=6000, ramp_factor=1.4, bisections=3,
                 moderate=6000, chat_clients=64, chat_seconds=5.0, idle_counts=(1000, 3000), rounds=2,
                 seat_counts=(300, 1000, 3000)),
}
# The `hit` fields the load sends besides code, nickname, currentScore and combo (0: the step and sequence number
# travel after this motionType).
HIT = {"instrument": "drum", "motionType": "hit"}


def measure(server: Server | Cluster, plan: Plan, generator_count: int, skip: frozenset[str] = frozenset(),
            placement: str = "player") -> dict[str, Any]:
    """Every workload (less those in `skip`) against one freshly started server."""
    say(f"{server.name}: starting")
    server.start()
    memory = chatting = seated = None
    try:
        with Generators(generator_count) as generators:
            if "memory" not in skip:
                memory = idle_memory(server, generators, plan.idle_counts)
                say("  idle memory: " + ", ".join(f"{p['sockets']} sockets {p['kb_per_socket']:.1f} KB each"
                                                  + (f" ({p['failed']} failed: {p['first_error']})" if p["failed"] else "")
                                                  for p in memory["points"]))
            if "seat" not in skip:  # first, into an idle server, as an evening's players arrive
                seated = seating(server, generators, plan)
                # A fresh server (and database) for the rest: the seated players' departures, and their held
                # seats expiring a grace later, would otherwise run in the background of the next steps.
                server.stop()
                server.start()
                say("  seating: " + ", ".join(f"{p['seated']} of {p['players']} in {p['seconds']:g} s "
                                              f"({p['ms_per_player']:g} ms a player, joinRoom p99 "
                                              f"{p['join_room_ack_ms']['p99']} ms)"
                                              + (f", first error: {p['first_error']}" if p["first_error"] else "")
                                              for p in seated))
            setup = relay = moderate = half = four_fifths = None
            if "relay" not in skip:
                setup = setup_rooms(server, generators, plan.rooms, HIT, placement)
                say(f"  {setup['clients']} players in {plan.rooms} rooms ready in {setup['ms']} ms")
                relay = ramp(server, generators, plan, say)
                moderate = relay_step(server, generators, plan, plan.moderate)
                say(f"  at {plan.moderate}/s: latency {moderate['latency_ms']}, server {100 * moderate['server_cpu_core']:.0f}%")
                if relay["best"]:
                    half = relay_step(server, generators, plan, relay["best"]["delivered_per_s"] / 2)
                    say(f"  at half of highest ({half['target_per_s']}/s): latency {half['latency_ms']}")
                    four_fifths = relay_step(server, generators, plan, relay["best"]["delivered_per_s"] * 0.8)
                    say(f"  at 80% of highest ({four_fifths['target_per_s']}/s): latency {four_fifths['latency_ms']}")
            # Chat before the storm: the storm's 2,000 departures keep an embedded database busy for seconds.
            if "chat" not in skip:
                chatting = chat(server, generators, plan)
                say(f"  chat: {chatting['per_s']:.0f} msg/s, ack latency {chatting['ack_latency_ms']}, "
                    f"failures {chatting['failures'] or 'none'}")
            stormed = None
            if "storm" not in skip:
                stormed = storm(server, generators, plan)
                say(f"  storm: {stormed['connected']} of {stormed['clients']} connected within "
                    f"{stormed['seconds']:g} s (all in {stormed['ms']} ms)"
                    + (f", first error: {stormed['first_error']}" if stormed["first_error"] else ""))
    finally:
        server.stop()
    return {"server": server.name, "memory": memory, "setup": setup, "relay": relay, "moderate": moderate,
            "half": half, "four_fifths": four_fifths, "storm": stormed, "chat": chatting,
            "seating": seated}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="the full run: longer steps, finer ramp, two rounds")
    parser.add_argument("--generators", type=int, default=2, help="load generator processes (default 2)")
    parser.add_argument("--only", choices=["game_backend", "node"], help="measure one server only")
    parser.add_argument("--mongodb-uri", help="a running MongoDB/SecantusDB for game_backend instead of its embedded one")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="an extra game_backend setting, e.g. --set WS_COMPRESSION=1 (repeatable)")
    parser.add_argument("--workers", type=int, default=1,
                        help="game_backend processes behind Redis (default 1: one process, no Redis)")
    parser.add_argument("--placement", choices=["player", "room"], default="player",
                        help="with --workers: spread sockets one player at a time (default) or one room at a time")
    parser.add_argument("--scale-out", action="store_true",
                        help="relay only, side by side: one process, two with each room on one process, two with "
                             "every room split across both, and Node")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="Redis for --workers above 1")
    parser.add_argument("--code", type=Path, help="run game_backend from this checkout (e.g. a git worktree of an older commit)")
    parser.add_argument("--skip", action="append", default=[], choices=["memory", "relay", "chat", "storm", "seat"],
                        help="leave a workload out (repeatable), for quicker comparisons while developing")
    parser.add_argument("--seat", type=int, action="append", metavar="PLAYERS",
                        help="seat this many players instead of the plan's counts (repeatable), e.g. --seat 3000")
    parser.add_argument("--python", help="the interpreter that runs game_backend (default: this one)")
    parser.add_argument("--label", default="", help="a word for the results file name")
    args = parser.parse_args(argv)
    plan = PLANS["full" if args.full else "short"]
    if args.seat:
        plan = dataclasses.replace(plan, seat_counts=tuple(args.seat))
    results = BENCH / "results"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    settings = dict(item.split("=", 1) for item in args.set)
    started = time.monotonic()
    host = machine()
    say(f"bench ({plan.name}) on {host['cpu']}, {host['cores']} cores, load average {host['load_average_at_start'][0]:.2f}")

    if args.scale_out:
        return scale_out(args, plan, results, stamp, settings, host, started)

    runs: dict[str, list[dict[str, Any]]] = {"game_backend": [], "node": []}
    for _ in range(plan.rounds):
        for name in ("game_backend", "node"):
            if args.only and args.only != name:
                continue
            if name == "node":
                server: Server | Cluster = node_peer(results)
            elif args.workers > 1:
                server = Cluster(results, args.workers, args.redis_url, args.code, args.python, **settings)
            else:
                server = game_backend(results, args.mongodb_uri, args.code, args.python, **settings)
            runs[name].append(measure(server, plan, args.generators, frozenset(args.skip), args.placement))

    complete = runs["game_backend"] and runs["node"] and not args.skip
    table = rows(runs["game_backend"], runs["node"], plan) if complete else []
    record = {"plan": plan.__dict__, "machine": host, "settings": settings, "generators": args.generators,
              "workers": args.workers, "placement": args.placement,
              "code": str(args.code) if args.code else "this checkout", "python": args.python or sys.executable,
              "seconds": round(time.monotonic() - started, 1), "table": table, "runs": runs}
    results.mkdir(exist_ok=True)
    path = results / f"{stamp}-{plan.name}{'-' + args.label if args.label else ''}.json"
    path.write_text(json.dumps(record, indent=1))
    if table:
        print(markdown(table))
    rounds = f", best of {plan.rounds} rounds" if plan.rounds > 1 else ""
    print(f"\n{plan.name} run{rounds}, {record['seconds']:.0f} s; ratio = game_backend / Node. "
          f"Details: {path.relative_to(BENCH.parent)}")
    return 0


def scale_out(args: argparse.Namespace, plan: Plan, results: Path, stamp: str, settings: dict[str, str],
              host: dict[str, Any], started: float) -> int:
    """The relay on one process, on two behind Redis with rooms local and split, and on Node alone and split
    (its sharded Redis adapter): one table, then what splitting rooms costs each server against itself."""
    variants: list[tuple[str, Any, str]] = [
        ("x1", lambda: game_backend(results, args.mongodb_uri, args.code, args.python, **settings), "player"),
        ("x2, rooms local", lambda: Cluster(results, 2, args.redis_url, args.code, args.python, **settings), "room"),
        ("x2, rooms split", lambda: Cluster(results, 2, args.redis_url, args.code, args.python, **settings), "player"),
        ("node", lambda: node_peer(results), "player"),
        ("node x2, rooms split", lambda: NodeCluster(results, 2, args.redis_url), "player"),
    ]
    skip = frozenset({"memory", "chat", "storm", "seat"})
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in variants}
    for _ in range(plan.rounds):
        for label, make, placement in variants:
            runs[label].append(measure(make(), plan, args.generators, skip, placement))
    record = {"plan": plan.__dict__, "machine": host, "settings": settings, "generators": args.generators,
              "scale_out": True, "seconds": round(time.monotonic() - started, 1), "runs": runs}
    results.mkdir(exist_ok=True)
    path = results / f"{stamp}-{plan.name}-scale-out{'-' + args.label if args.label else ''}.json"
    path.write_text(json.dumps(record, indent=1))
    print(scale_out_markdown(runs, plan))
    print("\n" + split_cost_line(runs, plan))
    print(f"\n{plan.name} scale-out run, {record['seconds']:.0f} s; ratios to x1. "
          f"Details: {path.relative_to(BENCH.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The table `make bench` prints, and the machine it ran on."""

from __future__ import annotations

import math
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from workloads import DELIVERY_MIN, P99_MAX_MS

Run = dict[str, Any]


def machine() -> dict[str, Any]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "node": node,
        "load_average_at_start": os.getloadavg(),
    }


def best(runs: list[Run], pick: Any, higher_is_better: bool) -> float | None:
    """Best of the rounds: the least disturbed by other work on a shared machine."""
    values = [value for value in (pick(run) for run in runs) if value is not None and math.isfinite(value)]
    if not values:
        return None
    return max(values) if higher_is_better else min(values)


def _number(value: float | None, digits: int = 0, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}{unit}"


def _ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs is None or theirs == 0:
        return "-"
    return f"{ours / theirs:.2f}x"


def _relay_max(run: Run) -> float | None:
    top = run["relay"]["best"]
    return top["delivered_per_s"] if top else None


def rows(ours: list[Run], theirs: list[Run], plan: Any) -> list[tuple[str, str, str, str]]:
    """(what, game_backend, node, ratio) for each figure, best of the rounds."""
    table: list[tuple[str, str, str, str]] = []

    def add(what: str, pick: Any, higher: bool, digits: int = 0, unit: str = "") -> None:
        a, b = best(ours, pick, higher), best(theirs, pick, higher)
        table.append((what, _number(a, digits, unit), _number(b, digits, unit), _ratio(a, b)))

    add(f"relay: highest sustained delivered msg/s (delivery >= {DELIVERY_MIN:.0%}, p99 <= {P99_MAX_MS:.0f} ms)",
        _relay_max, True)
    for q in ("p50", "p95", "p99"):
        add(f"relay at {plan.moderate:,} msg/s: {q} one-way latency", lambda r, q=q: r["moderate"]["latency_ms"][q],
            False, 2, " ms")
    add(f"relay at {plan.moderate:,} msg/s: server CPU, share of one core",
        lambda r: 100 * r["moderate"]["server_cpu_core"], False, 0, "%")
    add(f"relay at {plan.moderate:,} msg/s: server CPU per delivered message",
        lambda r: r["moderate"]["server_cpu_us_per_msg"], False, 1, " us")
    add("relay at half of the server's own highest: p99", lambda r: (r.get("half") or {}).get("latency_ms", {}).get("p99"),
        False, 2, " ms")
    add("relay at 80% of the server's own highest: p99",
        lambda r: (r.get("four_fifths") or {}).get("latency_ms", {}).get("p99"), False, 2, " ms")
    for index, count in enumerate(plan.seat_counts):
        def seat(r: Run, index: int = index) -> dict[str, Any]:
            return (r.get("seating") or [{}] * (index + 1))[index]
        add(f"players seated per second, {count:,} players {plan.seat_concurrency} at a time (sign-in, REST create "
            "or join, socket, joinRoom)", lambda r, seat=seat: seat(r).get("per_s"), True)
        add(f"time per seated player, {count:,} players", lambda r, seat=seat: seat(r).get("ms_per_player"),
            False, 1, " ms")
        add(f"joinRoom ack p99, {count:,} players", lambda r, seat=seat: seat(r).get("join_room_ack_ms", {}).get("p99"),
            False, 1, " ms")
    add(f"connection storm: of {plan.storm_clients:,} signed-in clients connecting within {plan.storm_seconds:g} s, "
        "connected", lambda r: (r.get("storm") or {}).get("connected"), True)
    add("chat (sendMessage + ack; ours stored in the database, Node's in memory): msg/s",
        lambda r: r["chat"]["per_s"], True)
    for q in ("p50", "p99"):
        add(f"chat ack latency {q}", lambda r, q=q: r["chat"]["ack_latency_ms"][q], False, 2, " ms")
    for index, count in enumerate(plan.idle_counts):
        add(f"memory per idle socket, {count:,} sockets (RSS growth / sockets)",
            lambda r, index=index: r["memory"]["points"][index]["kb_per_socket"], False, 1, " KB")
    add("load generator CPU, highest step (1.0 = a whole core: a saturated generator)",
        lambda r: max(step["generator_cpu_core"] for step in r["relay"]["steps"]), False, 2)
    return table


def markdown(table: list[tuple[str, str, str, str]]) -> str:
    lines = ["| figure | game_backend | Node socket.io peer | ratio |", "|---|---:|---:|---:|"]
    lines += [f"| {what} | {a} | {b} | {ratio} |" for what, a, b, ratio in table]
    return "\n".join(lines)


def scale_out_markdown(runs: dict[str, list[Run]], plan: Any) -> str:
    """One column per variant (the first is the baseline), each figure with its ratio to the baseline."""
    figures = [
        ("relay: highest sustained delivered msg/s", _relay_max, True, 0, ""),
        (f"relay at {plan.moderate:,} msg/s: server CPU per delivered message (workers + Redis)",
         lambda r: r["moderate"]["server_cpu_us_per_msg"], False, 1, " us"),
        (f"relay at {plan.moderate:,} msg/s: server CPU, share of one core",
         lambda r: 100 * r["moderate"]["server_cpu_core"], False, 0, "%"),
        (f"relay at {plan.moderate:,} msg/s: p99 one-way latency", lambda r: r["moderate"]["latency_ms"]["p99"],
         False, 2, " ms"),
    ]
    labels = list(runs)
    lines = ["| figure | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    for what, pick, higher, digits, unit in figures:
        values = [best(runs[label], pick, higher) for label in labels]
        cells = [_number(values[0], digits, unit)]
        cells += [f"{_number(value, digits, unit)} ({_ratio(value, values[0])})" for value in values[1:]]
        lines.append(f"| {what} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def split_cost_line(runs: dict[str, list[Run]], plan: Any) -> str:
    """Server CPU per message with every room split over two processes, against the same server's single process."""
    def cpu(label: str) -> float:
        return best(runs[label], lambda r: r["moderate"]["server_cpu_us_per_msg"], False)

    ours, node = cpu("x2, rooms split") / cpu("x1"), cpu("node x2, rooms split") / cpu("node")
    return (f"Rooms split over two processes, CPU per message at {plan.moderate:,}/s against one process of the "
            f"same server: game_backend {ours:.2f}x, Node with its sharded Redis adapter {node:.2f}x.")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)

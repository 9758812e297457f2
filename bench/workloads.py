"""The workloads, each run against one server with the generators: idle memory, the relay ramp, chat.

Every loop here is bounded: a ramp has at most MAX_STEPS steps, each step lasts
a fixed number of seconds, and every wait for a generator has a timeout.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from generators import Generators
from servers import Cluster, Server
from stats import Latency, merge_histograms, percentiles

PLAYERS = 4
RECIPIENTS = PLAYERS - 1
MAX_STEPS = 14
DELIVERY_MIN = 0.99
P99_MAX_MS = 100.0


@dataclass(frozen=True)
class Plan:
    """How long and how hard: the short run (`make bench`) and the full one differ only here."""

    name: str
    rooms: int
    step_seconds: float
    ramp_start: int
    ramp_factor: float
    bisections: int
    moderate: int
    chat_clients: int
    chat_seconds: float
    idle_counts: tuple[int, ...]
    rounds: int
    storm_clients: int = 2000
    storm_seconds: float = 3.0
    seat_counts: tuple[int, ...] = (300, 1000)
    seat_concurrency: int = 50


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]


def idle_memory(server: Server | Cluster, generators: Generators, counts: tuple[int, ...]) -> dict[str, Any]:
    """RSS growth per idle connected socket at each count (anonymous WebSocket clients that only stay connected)."""
    url = server.url
    warm = split(100, len(generators.all))
    generators.run([{"cmd": "idle", "url": url, "urls": server.urls, "count": n} for n in warm], timeout=60)
    generators.each({"cmd": "close_idle"}, timeout=30)
    time.sleep(1.5)
    base = server.rss_kb()
    result: dict[str, Any] = {"baseline_kb": base, "points": []}
    opened = 0
    for count in counts:
        more = split(count - opened, len(generators.all))
        answers = generators.run([{"cmd": "idle", "url": url, "urls": server.urls, "count": n} for n in more], timeout=180)
        failed = sum(answer["failed"] for answer in answers)
        opened = count
        time.sleep(2.0)
        rss = server.rss_kb()
        result["points"].append({
            "sockets": count, "failed": failed, "rss_kb": rss,
            "kb_per_socket": (rss - base) / max(1, count - failed),
            "connect_ms": max(answer["ms"] for answer in answers),
            "first_error": next((answer["firstError"] for answer in answers if answer["firstError"]), None),
        })
    generators.each({"cmd": "close_idle"}, timeout=60)
    time.sleep(1.0)
    return result


def setup_rooms(server: Server | Cluster, generators: Generators, rooms: int, hit: dict[str, str],
                placement: str = "player") -> dict[str, Any]:
    """Seat rooms*4 players and start a round in each; with several workers, `placement` spreads sockets
    one player at a time ("player") or one room at a time ("room")."""
    per = split(rooms, len(generators.all))
    answers = generators.run(
        [{"cmd": "setup", "url": server.url, "urls": server.urls, "rooms": n, "prefix": f"g{i}",
          "placement": placement, **hit} for i, n in enumerate(per)],
        timeout=300,
    )
    return {"clients": sum(answer["clients"] for answer in answers), "ms": max(answer["ms"] for answer in answers)}


def wait_until_quiet(server: Server | Cluster, limit: float = 6.0) -> None:
    """After an overload, let the server drain its queues before the next step (at most `limit` seconds)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = server.cpu()
        time.sleep(0.25)
        if server.cpu() - before < 0.25 * 0.3:
            return


def relay_step(server: Server | Cluster, generators: Generators, plan: Plan, delivered_per_s: float) -> dict[str, Any]:
    """One step at `delivered_per_s` (messages arriving at clients per second, all rooms together)."""
    clients = plan.rooms * PLAYERS
    rate = delivered_per_s / (clients * RECIPIENTS)
    cpu0, system0, wall0 = server.cpu(), server.cpu_system(), time.monotonic()
    answers = generators.each(
        {"cmd": "relay", "rate": rate, "seconds": plan.step_seconds, "drain": 2.0}, timeout=plan.step_seconds + 30
    )
    wall = time.monotonic() - wall0
    server_cpu = server.cpu() - cpu0
    server_system = server.cpu_system() - system0
    sent = sum(answer["sent"] for answer in answers)
    expected = sum(answer["expected"] for answer in answers)
    received = sum(answer["received"] for answer in answers)
    seconds = max(answer["seconds"] for answer in answers)
    latency = percentiles(merge_histograms(answers))
    step = {
        "target_per_s": round(delivered_per_s),
        "hits_per_client_per_s": rate,
        "sent": sent,
        "expected": expected,
        "received": received,
        "delivery": received / expected if expected else 0.0,
        "delivered_per_s": received / seconds,
        "latency_ms": latency.as_dict(),
        "server_cpu_core": server_cpu / wall,
        "server_cpu_us_per_msg": 1e6 * server_cpu / received if received else None,
        "server_kernel_share": server_system / server_cpu if server_cpu else None,
        "generator_cpu_core": max(answer["cpu"] for answer in answers),
        "generator_lag_max_ms": max(answer["lagMaxMs"] for answer in answers),
        "stray": sum(answer["stray"] for answer in answers),
    }
    step["passed"] = step["delivery"] >= DELIVERY_MIN and latency.p99 <= P99_MAX_MS
    wait_until_quiet(server)
    return step


def ramp(server: Server | Cluster, generators: Generators, plan: Plan, log: Any) -> dict[str, Any]:
    """Find the highest delivered msg/s with delivery >= 99% and p99 <= 100 ms: grow geometrically, then bisect."""
    steps: list[dict[str, Any]] = []

    def run(level: float) -> dict[str, Any]:
        step = relay_step(server, generators, plan, level)
        steps.append(step)
        log(f"  relay {step['target_per_s']:>7}/s -> {step['delivered_per_s']:>8.0f}/s delivered "
            f"{100 * step['delivery']:6.2f}%  p99 {step['latency_ms']['p99']:7.1f} ms  "
            f"server {100 * step['server_cpu_core']:3.0f}%  generator {100 * step['generator_cpu_core']:3.0f}%  "
            f"{'ok' if step['passed'] else 'FAIL'}")
        return step

    best: dict[str, Any] | None = None
    failed_at: float | None = None
    level = float(plan.ramp_start)
    while len(steps) < MAX_STEPS:
        step = run(level)
        if step["passed"]:
            best = step
            if failed_at is not None:
                break
            level *= plan.ramp_factor
        else:
            failed_at = level
            if best is not None or step["received"] == 0:
                break  # found the edge, or the server does not relay `hit` at all
            level /= plan.ramp_factor
    low = best["target_per_s"] if best else None
    for _ in range(plan.bisections):
        if low is None or failed_at is None or len(steps) >= MAX_STEPS:
            break
        middle = (low + failed_at) / 2
        step = run(middle)
        if step["passed"]:
            low, best = middle, step
        else:
            failed_at = middle
    return {"best": best, "steps": steps}


def chat(server: Server | Cluster, generators: Generators, plan: Plan) -> dict[str, Any]:
    """Closed loop: each chat client sends `sendMessage`, waits for its ack, sends the next."""
    per = split(plan.chat_clients, len(generators.all))
    cpu0, helpers0, wall0 = server.cpu(), server.helpers_cpu(), time.monotonic()
    answers = generators.run(
        [{"cmd": "chat", "clients": n, "seconds": plan.chat_seconds} for n in per], timeout=plan.chat_seconds + 30
    )
    wall = time.monotonic() - wall0
    acked = sum(answer["acked"] for answer in answers)
    seconds = max(answer["seconds"] for answer in answers)
    failures: dict[str, int] = {}
    for answer in answers:
        for code, count in answer["failures"].items():
            failures[code] = failures.get(code, 0) + count
    latencies = [value for answer in answers for value in answer["latencies"]]
    return {
        "clients": plan.chat_clients,
        "acked": acked,
        "per_s": acked / seconds,
        "failures": failures,
        "ack_latency_ms": Latency.of(latencies).as_dict(),
        "server_cpu_core": (server.cpu() - cpu0) / wall,
        "database_cpu_core": (server.helpers_cpu() - helpers0) / wall,
        "generator_cpu_core": max(answer["cpu"] for answer in answers),
    }


def seating(server: Server | Cluster, generators: Generators, plan: Plan) -> list[dict[str, Any]]:
    """Players arriving, `plan.seat_concurrency` at a time (shared by the generators), seated in rooms of 4:
    sign-in, create or join over REST, a socket, joinRoom. Each count seats anew into the rooms the last left:
    the seated stay until the count is done, then leave."""
    points = []
    for count in plan.seat_counts:
        per = split(count, len(generators.all))
        concurrency = split(plan.seat_concurrency, len(generators.all))
        before, database_before = server.cpu(), server.helpers_cpu()
        answers = generators.run([{"cmd": "seat", "url": server.url, "prefix": f"p{count}g{i}x", "count": n,
                                   "concurrency": c} for i, (n, c) in enumerate(zip(per, concurrency, strict=True))],
                                 timeout=900)
        seconds = max(answer["ms"] for answer in answers) / 1000
        seated = sum(answer["seated"] for answer in answers)
        points.append({
            "players": count, "seated": seated, "failed": sum(answer["failed"] for answer in answers),
            "first_error": next((answer["firstError"] for answer in answers if answer["firstError"]), None),
            "seconds": round(seconds, 2), "per_s": round(seated / seconds, 1) if seconds else 0.0,
            "ms_per_player": round(1000 * seconds / count, 2),
            "join_room_ack_ms": Latency.of([ms for answer in answers for ms in answer["joinMs"]]).as_dict(),
            "server_cpu_s": round(server.cpu() - before, 2),
            "database_cpu_s": round(server.helpers_cpu() - database_before, 2),
        })
        generators.each({"cmd": "unseat"}, timeout=60)
        wait_until_quiet(server, limit=30)
    return points


def storm(server: Server | Cluster, generators: Generators, plan: Plan) -> dict[str, Any] | None:
    """`plan.storm_clients` signed-in clients connecting within `plan.storm_seconds`: how many connect."""
    if not plan.storm_clients:
        return None
    per = split(plan.storm_clients, len(generators.all))
    before = server.cpu()
    answers = generators.run([{"cmd": "storm", "url": server.url, "prefix": f"s{i}x", "count": n,
                               "seconds": plan.storm_seconds} for i, n in enumerate(per)], timeout=300)
    return {
        "clients": plan.storm_clients, "seconds": plan.storm_seconds,
        "connected": sum(answer["connected"] for answer in answers),
        "failed": sum(answer["failed"] for answer in answers),
        "first_error": next((answer["firstError"] for answer in answers if answer["firstError"]), None),
        "ms": max(answer["ms"] for answer in answers),
        "server_cpu_s": server.cpu() - before,
    }

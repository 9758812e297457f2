"""How long a relayed `hit` stays in the server, read from its event loop's system calls: this server and the Node peer.

    python bench/residence.py [--rate 6000] [--seconds 1.5] [--set NAME=VALUE ...]

Starts this server, then the Node peer, seats the bench players in each, runs
`hit` at a fixed delivered rate, and has Linux's perf record every system call
of the server's main thread for a moment (the `raw_syscalls` tracepoints: a
timestamp at each entry and exit, about a microsecond each, unlike a sampling
profile). Both servers run one event loop on libuv and make the same calls
for a relayed `hit`: the poll that wakes the loop, a `read` of each socket
that has a frame, and a write to each of the three other players (this server
`write`, Node `writev`; this server may join a socket's frames of one loop
turn into one write). From that timeline, per wake of the loop (a poll that
returned events, up to the next such poll), in microseconds:

- `wake -> first write`, `wake -> last write done`: from the poll's return to
  the wake's first write, and to the end of its last;
- `per hit of a wake`: the second divided by the hits the wake read;
- `a write's system call`: the kernel's part of each write;
- `last write -> next poll`: what the loop does after its last write;

and the share of the time the thread waited in a poll: a frame that arrives
outside it waits for the loop to finish what it is doing.

Wakes that read no `hit` (a timer, a ping) are left out. System call numbers
are x86-64's. perf comes from Debian's linux-perf package, and needs root or
kernel.perf_event_paranoid at most 1.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generators import Generators
from servers import BENCH, Server, game_backend, node_peer
from workloads import Plan, relay_step, setup_rooms

HIT = {"instrument": "drum", "motionType": "hit"}
READ, WRITE, WRITEV, EPOLL_WAIT, EPOLL_PWAIT, EPOLL_PWAIT2 = 0, 1, 20, 232, 281, 441  # x86-64 system call numbers
POLLS = (EPOLL_WAIT, EPOLL_PWAIT, EPOLL_PWAIT2)
WRITES = (WRITE, WRITEV)

Call = tuple[float, bool, int, int | None]  # (seconds, is the exit, system call number, return value at the exit)


def timeline(recorded: Path, thread: int) -> list[Call]:
    """The system calls of one thread, in order (`perf script`)."""
    text = subprocess.run(
        ["perf", "script", "-i", str(recorded), "-F", "tid,time,event,trace"], capture_output=True, text=True,
        check=True,
    ).stdout
    calls: list[Call] = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 5 or not fields[0].isdigit() or int(fields[0]) != thread:
            continue
        exit_ = fields[2].startswith("raw_syscalls:sys_exit")
        number = int(fields[4])
        value = int(fields[-1]) if exit_ and fields[-2] == "=" else None
        calls.append((float(fields[1].rstrip(":")), exit_, number, value))
    return calls


def wakes(calls: list[Call]) -> list[list[Call]]:
    """The calls from each poll that returned events up to the next one (polls that found nothing stay inside)."""
    found: list[list[Call]] = []
    current: list[Call] | None = None
    for call in calls:
        if call[2] in POLLS and call[1] and (call[3] or 0) > 0:
            current = [call]
            found.append(current)
        elif current is not None:
            current.append(call)
    return found


def measure(calls: list[Call]) -> dict[str, Any]:
    """The figures of the module's docstring, from one thread's timeline."""
    first: list[float] = []
    last: list[float] = []
    per_hit: list[float] = []
    syscall: list[float] = []
    tail: list[float] = []
    hits = writes = 0
    counted = 0
    for wake in wakes(calls):
        woke = wake[0][0]
        reads = sum(1 for call in wake if call[2] == READ and call[1] and (call[3] or 0) > 0)
        entered = [call[0] for call in wake if call[2] in WRITES and not call[1]]
        done = [call[0] for call in wake if call[2] in WRITES and call[1]]
        if not reads or not done or len(entered) != len(done):
            continue
        counted += 1
        hits += reads
        writes += len(done)
        first.append(entered[0] - woke)
        last.append(done[-1] - woke)
        per_hit.append((done[-1] - woke) / reads)
        syscall.extend(end - start for start, end in zip(entered, done, strict=True))
        polls = [call[0] for call in wake[1:] if call[2] in POLLS and not call[1] and call[0] > done[-1]]
        if polls:
            tail.append(polls[0] - done[-1])
    waiting = 0.0
    entered_poll: float | None = None
    for call in calls:
        if call[2] in POLLS:
            if not call[1]:
                entered_poll = call[0]
            elif entered_poll is not None:
                waiting += call[0] - entered_poll
                entered_poll = None
    span = calls[-1][0] - calls[0][0] if calls else 0.0
    return {
        "share of the time waiting in a poll": f"{waiting / span:.0%}" if span else "none",
        "wakes that read hits": str(counted),
        "hits per wake (mean)": hits / counted if counted else 0.0,
        "writes per hit": writes / hits if hits else 0.0,
        "wake -> first write": first,
        "wake -> last write done": last,
        "per hit of a wake": per_hit,
        "a write's system call": syscall,
        "last write -> next poll": tail,
    }


def record(make: Callable[[], Server], rate: int, seconds: float, rooms: int, out: Path) -> tuple[dict[str, Any], Any]:
    """Start a server, seat the players, and record its main thread's system calls during a relay step."""
    plan = Plan(name="residence", rooms=rooms, step_seconds=seconds + 2.5, ramp_start=rate, ramp_factor=1.0,
                bisections=0, moderate=rate, chat_clients=0, chat_seconds=0, idle_counts=(), rounds=1)
    server = make()
    server.start()
    try:
        with Generators(2) as generators:
            setup_rooms(server, generators, plan.rooms, HIT)
            relay_step(server, generators, plan, rate / 2)  # warm up
            recorder = subprocess.Popen(
                ["perf", "record", "-q", "-e", "raw_syscalls:sys_enter,raw_syscalls:sys_exit", "-t", str(server.pid),
                 "-o", str(out), "--", "sleep", str(seconds)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            time.sleep(1.0)  # perf starts while the step's first second passes
            step = relay_step(server, generators, plan, rate)
            recorder.wait(seconds + 30)
    finally:
        server.stop()
    return measure(timeline(out, server.pid)), step


def quantiles(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    return (f"{statistics.median(ordered) * 1e6:6.1f} / {statistics.mean(ordered) * 1e6:6.1f} / "
            f"{ordered[int(0.9 * (len(ordered) - 1))] * 1e6:6.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=6000, help="delivered messages per second (default 6000)")
    parser.add_argument("--seconds", type=float, default=1.5, help="how long perf records")
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a setting of this server")
    args = parser.parse_args()
    if shutil.which("perf") is None:
        parser.error("this needs Linux's perf (apt-get install linux-perf)")
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    settings = dict(item.split("=", 1) for item in args.set)
    measured: dict[str, tuple[dict[str, Any], Any]] = {}
    servers: dict[str, Callable[[], Server]] = {
        "game_backend": lambda: game_backend(results, **settings),
        "Node peer": lambda: node_peer(results),
    }
    for label, make in servers.items():
        out = results / f"syscalls-{stamp}-{label.split()[0].lower()}.data"
        measured[label] = record(make, args.rate, args.seconds, args.rooms, out)
    labels = list(measured)
    print(f"at {args.rate}/s, {args.seconds} s of each server's main thread (microseconds: p50 / mean / p90)\n")
    print("| | " + " | ".join(labels) + " |")
    print("|---|" + "---:|" * len(labels))
    for key in measured[labels[0]][0]:
        cells = []
        for label in labels:
            value = measured[label][0][key]
            cells.append(quantiles(value) if isinstance(value, list) else
                         f"{value:.2f}" if isinstance(value, float) else str(value))
        print(f"| {key} | " + " | ".join(cells) + " |")
    steps = [measured[label][1] for label in labels]
    print("| one-way latency p50 / p99 (ms) | " + " | ".join(
        f"{step['latency_ms']['p50']:.2f} / {step['latency_ms']['p99']:.2f}" for step in steps) + " |")
    print("| server CPU per delivered message (us) | " + " | ".join(
        f"{step['server_cpu_us_per_msg']:.1f}" for step in steps) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

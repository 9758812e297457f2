"""What the server counts, for Prometheus (`GET /metrics`, api/metrics.py), through the official prometheus-client.

One registry per app, so that several servers in one process (as tests run
them) count apart. No label holds a nickname, a room code or a socket id:
events are labelled by their registered names and result codes, database
operations by command name, rate limits by kind, so the number of series is
fixed by the code, not by the players.

The parts of the server that count get this object (or None with METRICS
off): the dispatcher (events, acks, rate limits), the client manager (room
emits, delivered messages, Redis), the database client (a pymongo command
listener). The gauges of the moment (sockets, rooms, seated players) are read
when Prometheus scrapes.

What is counted per message (events, room emits, delivered messages, Redis
traffic) is counted on the event loop's thread alone, in plain integers
(tallies.py, compiled with the hot path) read at scrape time:
prometheus-client's Counter and Histogram take a lock on each update, and a
relayed `hit` was counted four times, a twentieth of its cost.
The database timings come from the driver's threads and keep the library's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import accumulate

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
from pymongo import monitoring

from .tallies import EventTally, Tally

# Event handling: most take a database round trip or two; `hit` takes microseconds.
EVENT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
DATABASE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 3.0)

SocketCounts = Callable[[], Iterable[tuple[str, bool]]]  # (transport, signed in) of each open socket


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        self.events = EventTally(EVENT_BUCKETS)  # the dispatcher adds each event: events.add(name, code, seconds)
        registry.register(_EventCollector(self.events))
        self._moments = _MomentTally()
        registry.register(self._moments)
        self.rate_limited = Counter(
            "game_rate_limited",
            "Requests refused by a rate limit or cap, by kind (event, chat, hit, auth, connection)",
            ["kind"],
            registry=registry,
        )
        self.refused_connections = Counter(
            "game_refused_connections", "Socket.IO connections refused, by reason code", ["code"], registry=registry
        )
        self.room_emits = self._tally("game_room_emits", "Events emitted to rooms and sockets (each encoded once)")
        self.delivered = self._tally("game_messages_delivered", "Event packets written to this process's sockets")
        self.database_seconds = Histogram(
            "game_database_operation_duration_seconds",
            "MongoDB commands, by command name",
            ["operation"],
            buckets=DATABASE_BUCKETS,
            registry=registry,
        )
        self.database_failures = Counter(
            "game_database_failures", "MongoDB commands that failed, by command name", ["operation"], registry=registry
        )
        self.redis_published = self._tally(
            "game_redis_published", "Messages published to other processes through Redis"
        )
        self.redis_received = self._tally("game_redis_received", "Messages received from other processes through Redis")
        self.redis_errors = Counter(
            "game_redis_errors", "Redis commands that failed (publish, listen, subscribe)", registry=registry
        )
        self.rooms = Gauge(
            "game_rooms", "Rooms in the database, by state (waiting, playing)", ["state"], registry=registry
        )
        self.seated = Gauge("game_seated_players", "Players seated in rooms, in the database", registry=registry)
        self._sockets = _SocketCollector()
        registry.register(self._sockets)

    def _tally(self, name: str, documentation: str) -> Tally:
        tally = Tally()
        self.registry.register(_TallyCollector(name, documentation, tally))
        return tally

    def count_sockets(self, counts: SocketCounts) -> None:
        """Where the open sockets are read from when Prometheus scrapes."""
        self._sockets.counts = counts

    def database_commands(self, moment: str, commands: int) -> None:
        """One request (an event by name, `connect`, or a REST route as `POST /api/rooms/create`) sent `commands`
        database commands, each a round trip."""
        self._moments.add(moment, commands)

    def rooms_now(self, by_state: dict[str, int], seated: int) -> None:
        for state in ("waiting", "playing"):
            self.rooms.labels(state).set(by_state.get(state, 0))
        self.seated.set(seated)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def command_listener(self) -> monitoring.CommandListener:
        """A pymongo command listener that times every database command (give it to the client)."""
        return _DatabaseTimer(self)


class _TallyCollector(Collector):
    """A counter read from a Tally."""

    def __init__(self, name: str, documentation: str, tally: Tally) -> None:
        self.name = name
        self.documentation = documentation
        self.tally = tally

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(self.name, self.documentation, value=self.tally.value)

    def describe(self) -> Iterator[Metric]:
        return self.collect()


class _EventCollector(Collector):
    """`game_events_total{event, code}` and `game_event_duration_seconds{event}`, read from an EventTally."""

    def __init__(self, tally: EventTally) -> None:
        self.tally = tally

    def collect(self) -> Iterator[Metric]:
        tally = self.tally
        events = CounterMetricFamily(
            "game_events",
            "Socket.IO events received, by event and ack result code (ok, or the error code)",
            labels=["event", "code"],
        )
        for event, counts in sorted(tally.events.items()):
            for code, count in sorted(counts.codes.items()):
                events.add_metric([event, code], count)
        yield events
        durations = HistogramMetricFamily(
            "game_event_duration_seconds", "Time to handle an event, by event", labels=["event"]
        )
        bounds = [floatToGoString(bound) for bound in (*tally.bounds, float("inf"))]  # type: ignore[no-untyped-call]
        for event, counts in sorted(tally.events.items()):
            durations.add_metric([event], list(zip(bounds, accumulate(counts.buckets), strict=True)), counts.seconds)
        yield durations

    def describe(self) -> Iterator[Metric]:
        return iter(())


class _MomentTally(Collector):
    """`game_requests_total{moment}` and `game_request_database_commands_total{moment}`: what each kind of
    request costs the database, in round trips (the second divided by the first), counted on the loop's thread."""

    def __init__(self) -> None:
        self.requests: dict[str, int] = {}
        self.commands: dict[str, int] = {}

    def add(self, moment: str, commands: int) -> None:
        self.requests[moment] = self.requests.get(moment, 0) + 1
        self.commands[moment] = self.commands.get(moment, 0) + commands

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "game_requests",
            "Requests that may reach the database, by moment (an event's name, connect, or a REST route)",
            labels=["moment"],
        )
        commands = CounterMetricFamily(
            "game_request_database_commands",
            "MongoDB commands (round trips) those requests sent, by moment",
            labels=["moment"],
        )
        for moment in sorted(self.requests):
            requests.add_metric([moment], self.requests[moment])
            commands.add_metric([moment], self.commands[moment])
        yield requests
        yield commands

    def describe(self) -> Iterator[Metric]:
        return iter(())


class _SocketCollector(Collector):
    """`game_connected_sockets{transport, auth}`, counted at scrape time."""

    def __init__(self) -> None:
        self.counts: SocketCounts = lambda: ()

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "game_connected_sockets",
            "Open Socket.IO connections, by transport and whether they are signed in",
            labels=["transport", "auth"],
        )
        tally: dict[tuple[str, str], int] = {
            (transport, auth): 0 for transport in ("websocket", "polling") for auth in ("authenticated", "anonymous")
        }
        for transport, signed_in in self.counts():
            key = (transport, "authenticated" if signed_in else "anonymous")
            tally[key] = tally.get(key, 0) + 1
        for (transport, auth), count in sorted(tally.items()):
            family.add_metric([transport, auth], count)
        yield family

    def describe(self) -> Iterator[Metric]:
        return iter(())


class _DatabaseTimer(monitoring.CommandListener):
    """Called by the driver (in its own threads, for motor) as each command starts and ends."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass  # the driver measures each command's duration itself

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self.metrics.database_seconds.labels(_operation(event.command_name)).observe(event.duration_micros / 1e6)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        operation = _operation(event.command_name)
        self.metrics.database_seconds.labels(operation).observe(event.duration_micros / 1e6)
        self.metrics.database_failures.labels(operation).inc()


KNOWN_COMMANDS = frozenset(
    {
        "find",
        "insert",
        "update",
        "delete",
        "aggregate",
        "findAndModify",
        "count",
        "distinct",
        "getMore",
        "createIndexes",
        "ping",
        "hello",
        "isMaster",
        "endSessions",
        "killCursors",
        "dropDatabase",
        "listIndexes",
        "listCollections",
    }
)


def _operation(command: str) -> str:
    return command if command in KNOWN_COMMANDS else "other"

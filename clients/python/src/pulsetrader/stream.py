"""Live ticks that survive reconnects: the last sequence number of every symbol is kept, and a new call after a
lost connection sends them as `resume_from`, so the server replays what the client missed (or reports a gap)."""
import dataclasses
import random
import threading
import time

import grpc
import pandas as pd


@dataclasses.dataclass(frozen=True)
class Tick:
    symbol: str
    sequence: int
    time: pd.Timestamp
    price: float
    size: float
    bid: float
    ask: float
    #: ticks this one replaces (the server conflated them for a slow reader).
    conflated: int
    ingest_time_us: int


@dataclasses.dataclass(frozen=True)
class Gap:
    """Ticks that are lost: `first_missing`…`last_missing` inclusive. `reported_by` is "server" (a SequenceGap the
    server sent) or "client" (a jump in sequence numbers nothing explained)."""
    symbol: str
    first_missing: int
    last_missing: int
    reported_by: str = "server"


@dataclasses.dataclass(frozen=True)
class Bar:
    """A symbol's 1-minute bar as it closed (`revision` 0), or again revised by late ticks of its minute (1, 2, …);
    `time` is the minute's opening time. Only with `subscribe(..., bars=True)`."""
    symbol: str
    time: pd.Timestamp
    open: float
    high: float
    low: float
    close: float
    volume: float
    revision: int
    #: the sequence of the last tick folded into the bar.
    last_sequence: int


@dataclasses.dataclass(frozen=True)
class Stale:
    """No tick (or heartbeat) for `seconds` on an open stream."""
    seconds: float


class Subscription:
    """An iterator over `Tick`, `Gap` (`Bar` with `bars=True`, and `Stale` with `stale_after`) events.

    A stream that fails UNAVAILABLE (server restart, connection lost) or ends is called again after a backoff with
    full jitter (`initial_backoff` doubling up to `max_backoff`), with `resume_from` = the last sequence seen per
    symbol. Ticks at or below that sequence (a replay overlapping what was seen) are dropped, so the caller never
    sees a duplicate; a jump the server did not announce is reported as a client-side `Gap`. Other errors end the
    iteration by raising `PulseError`. `close()` (or leaving a `with` block) cancels the call.
    """

    def __init__(self, client, symbols, resume_from, *, reconnect, initial_backoff, max_backoff, stale_after,
                 bars=False):
        self.client = client
        self.symbols = symbols
        self.bars = bars
        #: per symbol, {minute: revision} of the bars yielded in the last hour: a bar the server sends again after a
        #: resume is dropped, a later revision of it (however late) is not.
        self.last_bar = {}
        self.last_sequence = dict(resume_from)
        self.reconnect = reconnect
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.stale_after = stale_after
        self.reconnects = 0
        self._call = None
        self._closed = threading.Event()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._closed.set()
        if self._call is not None:
            self._call.cancel()

    def _request(self):
        pb = self.client.pb.quotes_pb2
        return pb.SubscribeQuotesRequest(
            symbols=self.symbols, include_bars=self.bars,
            resume_from=[pb.ResumePoint(symbol=s, sequence=q) for s, q in sorted(self.last_sequence.items())])

    def __iter__(self):
        from .client import PulseError

        failures = 0
        stub = self.client._quotes
        while not self._closed.is_set():
            self._call = stub.Subscribe(self._request())
            self._pending = None
            try:
                for event in self._events(self._call):
                    failures = 0
                    yield event
            except grpc.RpcError as error:
                if self._closed.is_set() or error.code() == grpc.StatusCode.CANCELLED:
                    return
                if not self.reconnect or error.code() not in (grpc.StatusCode.UNAVAILABLE,
                                                              grpc.StatusCode.DEADLINE_EXCEEDED):
                    raise PulseError(error.code(), error.details()) from None
            if not self.reconnect or self._closed.is_set():
                return
            failures += 1
            self.reconnects += 1
            backoff = min(self.max_backoff, self.initial_backoff * 2 ** (failures - 1))
            self._closed.wait(random.uniform(0, backoff))

    def _events(self, call):
        iterator = iter(call)
        while True:
            if self.stale_after:
                event = self._next_within(iterator, self.stale_after)
                if event is _TIMEOUT:
                    yield Stale(self.stale_after)
                    continue
            else:
                event = next(iterator, _END)
            if event is _END:
                return
            kind = event.WhichOneof("event")
            if kind == "tick":
                yield from self._tick(event.tick)
            elif kind == "gap":
                gap = event.gap
                self.last_sequence[gap.symbol] = max(self.last_sequence.get(gap.symbol, 0), gap.last_missing)
                yield Gap(gap.symbol, gap.first_missing, gap.last_missing)
            elif kind == "bar" and self.bars:
                yield from self._bar(event.bar)
            # other events (a heartbeat) only prove the stream is alive

    def _next_within(self, iterator, seconds):
        """next(iterator), or _TIMEOUT after `seconds` (the read goes on in a helper thread; the next call takes
        its result)."""
        pending = getattr(self, "_pending", None)
        if pending is None:
            pending = {"done": threading.Event(), "value": _END}

            def read():
                try:
                    pending["value"] = next(iterator, _END)
                except Exception as error:  # handed to the reader below
                    pending["value"] = error
                pending["done"].set()

            threading.Thread(target=read, daemon=True).start()
            self._pending = pending
        if not pending["done"].wait(seconds):
            return _TIMEOUT
        self._pending = None
        if isinstance(pending["value"], Exception):
            raise pending["value"]
        return pending["value"]

    def _bar(self, live):
        bar = live.bar
        seen = self.last_bar.setdefault(live.symbol, {})
        if seen.get(bar.time_ms, -1) >= live.revision:
            return  # sent again after a resume
        seen[bar.time_ms] = live.revision
        if len(seen) > 120:
            newest = max(seen)
            for minute in [m for m in seen if m < newest - 3_600_000]:
                del seen[minute]
        yield Bar(live.symbol, pd.Timestamp(bar.time_ms, unit="ms", tz="UTC"), bar.open, bar.high, bar.low, bar.close,
                  bar.volume, live.revision, live.last_sequence)

    def _tick(self, tick):
        last = self.last_sequence.get(tick.symbol)
        if last is not None and tick.sequence <= last:
            return  # already seen before the reconnect
        if last is not None and tick.sequence > last + 1 + tick.conflated:
            yield Gap(tick.symbol, last + 1, tick.sequence - tick.conflated - 1, "client")
        self.last_sequence[tick.symbol] = tick.sequence
        yield Tick(tick.symbol, tick.sequence, pd.Timestamp(tick.time_ms, unit="ms", tz="UTC"), tick.price,
                   tick.size, tick.bid, tick.ask, tick.conflated, tick.ingest_time_us)


_END = object()
_TIMEOUT = object()

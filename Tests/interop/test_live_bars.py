"""Live 1-minute bars of `pulse.v1.Quotes/Subscribe` (`include_bars`) over grpcio against `pulse serve --feed none`
following a real Redis tick log that this test writes itself (another instance's ingester, as far as the server
knows): a late trade revises a closed minute's bar; a resumed subscription — here on another instance — gets the bars
that closed or were revised while it was away, then continues live, with no bar twice and none missing. Every bar is
checked against pandas over the ticks the test wrote (open = first trade by sequence, close = latest trade in market
time, high, low, summed volume, of the ticks of that minute up to the bar's last_sequence).

Market times are two hours ahead of the clock, so only ticks close minutes (the server's clock never does) and the
expected announcements are exact.
"""
import subprocess
import time

import pytest

from conftest import require_module
from test_live_streams import Reader, _serve, pb, redis  # noqa: F401 (fixtures)


def _append(port, symbol, ticks):
    """Appends ticks [(sequence, time_ms, price, size)] with redis-cli as decimal-text fields `t p s b a i`, the
    layout TickLog's append script writes here (Sources/PulseStore/Redis/TickLog.swift) and TickLog.entry reads; a
    packed layout for appends must keep reading these (or change this helper with it)."""
    now_us = int(time.time() * 1e6)
    commands = "".join(
        f"XADD tick:{{{symbol}}} {s}-0 t {t} p {p!r} s {z!r} b {p - 0.01!r} a {p + 0.01!r} i {now_us}\n"
        for s, t, p, z in ticks)
    subprocess.run(["redis-cli", "-p", str(port)], input=commands, capture_output=True, text=True, check=True)


class Script:
    """The ticks written so far, and the bars pandas builds from them."""

    def __init__(self, port, symbol):
        self.port, self.symbol, self.ticks = port, symbol, []
        self.base = (int(time.time() * 1000) // 60_000 + 120) * 60_000

    def add(self, minute, second, price, size=1.0):
        sequence = len(self.ticks) + 1
        self.ticks.append((sequence, self.base + minute * 60_000 + second * 1000, price, size))
        _append(self.port, self.symbol, [self.ticks[-1]])
        return sequence

    def minute(self, k):
        return self.base + k * 60_000

    def expected(self, time_ms, through):
        """The bar of the minute at `time_ms` over its ticks with sequence <= `through`, built by pandas."""
        pd = require_module("pandas")
        frame = pd.DataFrame(self.ticks, columns=["sequence", "time_ms", "price", "size"])
        frame["minute"] = frame["time_ms"] // 60_000 * 60_000
        rows = frame[(frame["minute"] == time_ms) & (frame["sequence"] <= through)]
        by_time = rows.sort_values(["time_ms", "sequence"])
        return {"open": rows.sort_values("sequence")["price"].iloc[0], "high": rows["price"].max(),
                "low": rows["price"].min(), "close": by_time["price"].iloc[-1], "volume": rows["size"].sum()}


def _check_bar(script, live):
    want = script.expected(live.bar.time_ms, live.last_sequence)
    got = {"open": live.bar.open, "high": live.bar.high, "low": live.bar.low, "close": live.bar.close,
           "volume": live.bar.volume}
    assert got == pytest.approx(want, rel=1e-12), f"bar {live.bar.time_ms} r{live.revision}: {got} != {want}"


def _read_through(reader, sequence, timeout=30.0):
    """Events until the tick `sequence` (inclusive): [(kind, message)]."""
    events, deadline = [], time.monotonic() + timeout
    while True:
        assert time.monotonic() < deadline, f"no tick {sequence} in time; got {events}"
        event = reader.next(timeout=max(0.1, deadline - time.monotonic()))
        kind = event.WhichOneof("event")
        if kind == "heartbeat":
            continue
        events.append((kind, getattr(event, kind)))
        if kind == "tick" and event.tick.sequence >= sequence:
            return events


def _warm_up(script, reader):
    """Ticks of minute 0 until the server follows the symbol (the follower starts at the log's top when the first
    subscriber arrives): minute 0 is the first one the server sees, so its bar is never sent."""
    for attempt in range(40):
        sequence = script.add(0, attempt % 50, 100.0 + attempt * 0.01)
        try:
            event = reader.events.get(timeout=0.5)
        except Exception:
            continue
        assert event is not None, f"the stream ended: {reader.error}"
        if event.WhichOneof("event") == "tick":
            return [] if event.tick.sequence >= sequence else _read_through(reader, sequence)
    raise AssertionError("the server never followed the symbol")


def _assert_no_hole(events, last):
    for kind, e in events:
        if kind == "tick":
            assert e.sequence - e.conflated == last + 1, f"tick {e.sequence} (conflated {e.conflated}) after {last}"
            last = e.sequence


def _bars_and_ticks(events):
    bars = [(e.bar.time_ms, e.revision, e) for kind, e in events if kind == "bar"]
    ticks = [e.sequence for kind, e in events if kind == "tick"]
    return bars, ticks


def test_a_late_trade_revises_the_closed_minute_bar(pb, redis):
    server = _serve(redis, "LBNONE", "--feed", "none")
    script = Script(redis, "LBLATE")
    reader = Reader(pb, server.address, ["LBLATE"], include_bars=True)
    try:
        _warm_up(script, reader)
        plan = [(1, 1, 101.0, 2.0), (1, 20, 102.5, 1.0), (1, 40, 100.5, 3.0),   # minute 1
                (2, 5, 101.2, 1.0),                                            # closes minute 1 (r0)
                (1, 59, 99.0, 4.0),                                            # late: minute 1 r1, a new low
                (2, 30, 101.8, 2.0),
                (3, 0, 102.0, 1.0),                                            # closes minute 2 (r0)
                (1, 10, 103.0, 1.5),                                           # late: minute 1 r2, a new high
                (2, 1, 104.0, 1.0),                                            # late: minute 2 r1, not its close
                (4, 0, 102.2, 1.0)]                                            # closes minute 3 (r0)
        sequences = [script.add(*step) for step in plan]
        events = _read_through(reader, sequences[-1])
        bars, ticks = _bars_and_ticks(events)
        _assert_no_hole(events, sequences[0] - 1)
        m = script.minute
        assert [(t, r) for t, r, _ in bars] == [(m(1), 0), (m(1), 1), (m(2), 0), (m(1), 2), (m(2), 1), (m(3), 0)]
        for _, _, live in bars:
            _check_bar(script, live)
        # Each bar goes out just before the tick that closed or revised it.
        announced_by = [sequences[3], sequences[4], sequences[6], sequences[7], sequences[8], sequences[9]]
        for (_, _, live), by in zip(bars, announced_by):
            position = next(i for i, (kind, e) in enumerate(events) if kind == "bar" and e is live)
            # (the next tick, or a later one that absorbed it if the reader fell behind)
            assert events[position + 1][0] == "tick" and events[position + 1][1].sequence >= by
        assert bars[-1][2].bar.close == 102.0 and bars[4][2].bar.close == 101.8  # latest in market time
    finally:
        reader.close()
        server.terminate()


def test_a_resumed_subscription_gets_the_bars_it_missed_on_another_instance(pb, redis):
    first = _serve(redis, "LBNONE", "--feed", "none")
    second = _serve(redis, "LBNONE", "--feed", "none")
    script = Script(redis, "LBRESUME")
    reader = Reader(pb, first.address, ["LBRESUME"], include_bars=True)
    try:
        _warm_up(script, reader)
        m = script.minute
        script.add(1, 1, 50.0, 1.0)
        script.add(1, 30, 51.0, 2.0)
        script.add(2, 0, 50.5, 1.0)                      # closes minute 1 (r0, seen before the break)
        resume_at = script.add(2, 10, 49.5, 1.0)         # the client stops after this tick, mid-minute 2
        before = _read_through(reader, resume_at)
        reader.close()
        seen_before, _ = _bars_and_ticks(before)
        assert [(t, r) for t, r, _ in seen_before] == [(m(1), 0)]
        # While the client is away: minute 2 goes on, minute 1 gets a late trade, minutes 2 and 3 close.
        away = [script.add(2, 40, 52.0, 3.0), script.add(1, 45, 48.0, 1.0),  # late: minute 1 r1
                script.add(3, 2, 51.5, 1.0),                                 # closes minute 2 (r0)
                script.add(3, 50, 51.7, 2.0), script.add(2, 59, 47.0, 1.0),  # late: minute 2 r1
                script.add(4, 0, 52.5, 1.0)]                                 # closes minute 3 (r0)
        resumed = Reader(pb, second.address, ["LBRESUME"], resume={"LBRESUME": resume_at}, include_bars=True)
        try:
            after = _read_through(resumed, away[-1])
            bars, ticks = _bars_and_ticks(after)
            assert ticks == list(range(resume_at + 1, away[-1] + 1)), "a replayed tick twice or missing"
            assert [(t, r) for t, r, _ in bars] == [(m(1), 1), (m(2), 0), (m(2), 1), (m(3), 0)]
            # Minute 2's bar includes the ticks before the resume point (the server read them back from the log).
            assert bars[1][2].bar.open == 50.5 and bars[1][2].bar.volume == pytest.approx(5.0)
            # Then live again on the new instance: one more revision and one more close.
            late = script.add(3, 30, 55.0, 1.0)                              # late: minute 3 r1
            closing = script.add(5, 0, 53.0, 1.0)                            # closes minute 4 (r0)
            live = _read_through(resumed, closing)
            live_bars, live_ticks = _bars_and_ticks(live)
            _assert_no_hole(live, away[-1])
            assert [(t, r) for t, r, _ in live_bars] == [(m(3), 1), (m(4), 0)]
            everything = seen_before + bars + live_bars
            assert len({(t, r) for t, r, _ in everything}) == len(everything), "a bar sent twice"
            for _, _, bar in everything:
                _check_bar(script, bar)
        finally:
            resumed.close()
    finally:
        first.terminate()
        second.terminate()

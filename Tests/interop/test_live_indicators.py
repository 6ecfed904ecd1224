"""`pulse.v1.Indicators/Subscribe` over grpcio against `pulse serve --feed none` following a real Redis tick log that
the test writes (as another instance's ingester would): the values of every closed minute equal TA-Lib (the `ta-lib`
package) over the same closed bars, the bars equal pandas over the ticks written; a late tick revises a closed minute
and its update comes again (`revision` 1) with values equal to TA-Lib over the revised bars; a resume from before
the retained window starts with a `gap` naming exactly what the log no longer holds; at 5 minutes the closed bars are
the minutes pandas builds folded on the 5-minute grid and their values TA-Lib's over them; a timeframe of a day or
one off the grid is INVALID_ARGUMENT naming it. With a database, a minute whose ticks the follower partly never
received (written to the log by nobody, stored in PostgreSQL by the instance that saw them all) comes as closed from
the store when the next minute closes, and every value equals TA-Lib over the full history.

Market times are two hours ahead of the clock, so only ticks close minutes and the expected updates are exact.
"""
import importlib
import random
import subprocess
import time

import grpc
import numpy as np
import pytest

from conftest import pulse_binary, require_module, skip_or_fail
from grpc_peer_server import ProtocolMissing, compile_protocol
from test_live_bars import Script
from test_live_streams import _serve, redis  # noqa: F401 (fixture)

SPECS = [("sma", [3]), ("ema", [4]), ("rsi", [3]), ("atr", [3])]


@pytest.fixture(scope="module")
def stubs(tmp_path_factory):
    try:
        compile_protocol(tmp_path_factory.mktemp("stubs"))
    except ProtocolMissing as error:
        skip_or_fail(f"Protocol/ not ready: {error}")
    return (importlib.import_module("pulse.v1.indicators_pb2"), importlib.import_module("pulse.v1.indicators_pb2_grpc"),
            importlib.import_module("pulse.v1.market_data_pb2"))


def _import_minutes(url, symbol, bars, folder):
    """Stores 1-minute bars with `pulse import`, as the instance that ingests the symbol writes its minutes."""
    path = folder / f"{symbol}-{len(bars)}-{bars[0]['time_ms']}.csv"
    with open(path, "w") as out:
        out.write("Date,Open,High,Low,Close,Volume\n")
        for b in bars:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(b["time_ms"] // 1000))
            o, h, l, c, v = (float(b[k]) for k in ("open", "high", "low", "close", "volume"))
            out.write(f"{stamp},{o!r},{h!r},{l!r},{c!r},{v!r}\n")
    proc = subprocess.run([str(pulse_binary()), "import", str(path), "--symbol", symbol, "--timeframe", "1m",
                           "--database-url", url], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


class Updates:
    """An Indicators.Subscribe call read on a thread (grpcio's iterator), so waits have a timeout."""

    def __init__(self, stubs, address, symbol, resume_from=0, minutes=0):
        import queue
        import threading

        pb, pb_grpc, md = stubs
        self.channel = grpc.insecure_channel(address)
        request = pb.SubscribeIndicatorsRequest(
            symbol=symbol, resume_from=resume_from,
            indicators=[pb.IndicatorSpec(function=f, parameters=p) for f, p in SPECS])
        if minutes:
            request.timeframe.CopyFrom(md.Timeframe(unit=md.Timeframe.UNIT_MINUTE, multiple=minutes))
        self.call = pb_grpc.IndicatorsStub(self.channel).Subscribe(request)
        self.queue, self.error = queue.Queue(), None
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        try:
            for update in self.call:
                self.queue.put(update)
        except grpc.RpcError as error:
            self.error = error
        self.queue.put(None)

    def next(self, timeout=30.0):
        update = self.queue.get(timeout=timeout)
        assert update is not None, f"the stream ended: {self.error}"
        return update

    def until(self, done, timeout=60.0):
        got, deadline = [], time.monotonic() + timeout
        while True:
            assert time.monotonic() < deadline, f"timed out; got {len(got)} updates"
            got.append(self.next(timeout=max(0.1, deadline - time.monotonic())))
            if done(got[-1]):
                return got

    def close(self):
        self.call.cancel()
        self.channel.close()


def _talib(bars):
    talib = require_module("talib")
    o, h, l, c = (np.array([getattr(b, k) for b in bars], dtype=float) for k in ("open", "high", "low", "close"))
    return np.column_stack([talib.SMA(c, 3), talib.EMA(c, 4), talib.RSI(c, 3), talib.ATR(h, l, c, 3)])


def _assert_values(got, want, what):
    for column, (g, w) in enumerate(zip(got, want)):
        if np.isnan(w):
            assert np.isnan(g), f"{what} column {column}: {g}, TA-Lib NaN"
        else:
            assert g == pytest.approx(w, rel=1e-9, abs=1e-9), f"{what} column {column}: {g} != TA-Lib {w}"


def _assert_bar(script, update):
    want = script.expected(update.bar.time_ms, update.sequence)
    got = {k: getattr(update.bar, k) for k in ("open", "high", "low", "close", "volume")}
    assert got == pytest.approx(want, rel=1e-12), f"bar {update.bar.time_ms}: {got} != pandas {want}"


def _warm_up(script, updates):
    for attempt in range(40):
        script.add(0, attempt % 50, 100.0 + attempt * 0.01)
        try:
            update = updates.queue.get(timeout=0.5)
        except Exception:
            continue
        assert update is not None, f"the stream ended: {updates.error}"
        return
    raise AssertionError("the server never followed the symbol")


def test_closed_minutes_equal_talib_and_a_late_tick_revises_them(stubs, redis):
    require_module("pandas")
    server = _serve(redis, "LINONE", "--feed", "none")
    script = Script(redis, "LIVALUES")
    updates = Updates(stubs, server.address, "LIVALUES")
    try:
        _warm_up(script, updates)
        rng = random.Random(11)
        price = 100.0
        for minute in range(1, 26):
            for second in (3, 21, 48):
                price = round(price * (1 + rng.gauss(0, 0.004)), 4)
                last = script.add(minute, second, price, round(rng.uniform(1, 9), 2))
        got = updates.until(lambda u: u.sequence >= last and not u.bar_closed)
        closed = {u.bar.time_ms: u for u in got if u.bar_closed}
        assert all(u.revision == 0 for u in closed.values())
        minutes = sorted(closed)
        assert minutes[-1] == script.minute(24) and len(minutes) >= 24
        assert minutes == list(range(minutes[0], minutes[-1] + 1, 60_000)), "a closed minute missing"
        bars = [closed[m].bar for m in minutes]
        for m in minutes[1:]:
            _assert_bar(script, closed[m])
        want = _talib(bars)
        for k, m in enumerate(minutes):
            _assert_values(closed[m].values, want[k], f"minute {k}")

        # A late trade for minute 23 (a new high, not its latest trade): minutes 23 and 24 come again, recomputed.
        late = script.add(23, 30, max(b.high for b in bars) + 1.0, 5.0)  # not its close: 23:48 stays later
        again = updates.until(lambda u: u.bar_closed and u.bar.time_ms == script.minute(24))
        revised = [u for u in again if u.bar_closed]
        assert [(u.bar.time_ms, u.revision) for u in revised] == [(script.minute(23), 1), (script.minute(24), 1)]
        assert all(u.sequence == late for u in revised)
        _assert_bar(script, revised[0])
        assert revised[1].bar == closed[script.minute(24)].bar  # its bar is unchanged, its values are not
        bars[-2] = revised[0].bar
        want = _talib(bars)
        _assert_values(revised[0].values, want[-2], "revised minute 23")
        _assert_values(revised[1].values, want[-1], "minute 24 after the revision")
        assert revised[1].values[3] != closed[script.minute(24)].values[3], "ATR should see the new high"
    finally:
        updates.close()
        server.terminate()


def test_a_resume_beyond_the_retained_window_starts_with_a_gap(stubs, redis):
    server = _serve(redis, "LINONE", "--feed", "none")
    script = Script(redis, "LIGAP")
    try:
        for k in range(60):
            script.add(1 + k // 6, (k % 6) * 10, 50.0 + k * 0.1)
        # The log keeps only from sequence 41 on (what a tiny --tick-retention would do).
        subprocess.run(["redis-cli", "-p", str(redis), "XTRIM", "tick:{LIGAP}", "MINID", "41-0"], check=True,
                       capture_output=True)
        updates = Updates(stubs, server.address, "LIGAP", resume_from=5)
        try:
            first = updates.next()
            assert first.HasField("gap"), first
            assert (first.gap.first_missing, first.gap.last_missing, first.sequence) == (6, 40, 40)
            rest = updates.until(lambda u: u.sequence >= 60)
            sequences = [u.sequence for u in rest if not u.bar_closed]
            assert sequences == list(range(41, 61)), "the replay after the gap skipped or repeated ticks"
            # Minute 7 (sequences 37–42) lost its first ticks to the gap: it is never sent as closed.
            assert script.minute(7) not in {u.bar.time_ms for u in rest if u.bar_closed}
            for u in rest:
                if u.bar_closed:
                    _assert_bar(script, u)
        finally:
            updates.close()
        pb, pb_grpc, md = stubs
        channel = grpc.insecure_channel(server.address)
        for unit, multiple, named in ((md.Timeframe.UNIT_DAY, 1, "1d"), (md.Timeframe.UNIT_MINUTE, 7, "7")):
            call = pb_grpc.IndicatorsStub(channel).Subscribe(pb.SubscribeIndicatorsRequest(
                symbol="LIGAP", timeframe=md.Timeframe(unit=unit, multiple=multiple),
                indicators=[pb.IndicatorSpec(function="sma", parameters=[3])]))
            with pytest.raises(grpc.RpcError) as error:
                next(call)
            assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "timeframe" in error.value.details() and named in error.value.details(), error.value.details()
        channel.close()
    finally:
        server.terminate()


def _fold(bars):
    return {"open": bars[0]["open"], "high": max(b["high"] for b in bars), "low": min(b["low"] for b in bars),
            "close": bars[-1]["close"], "volume": sum(b["volume"] for b in bars)}


def test_five_minute_bars_fold_the_minutes_and_equal_talib(stubs, redis):
    require_module("pandas")
    talib = require_module("talib")
    server = _serve(redis, "LINONE", "--feed", "none")
    script = Script(redis, "LIFIVE")
    # Minute 0 two minutes into a 5-minute bar, so the call joins that bar midway whatever the clock says (on the
    # grid's start, the call could read all of minute 0 back from the log and the bar would be whole).
    script.base = script.base // 300_000 * 300_000 + 120_000
    updates = Updates(stubs, server.address, "LIFIVE", minutes=5)
    # The 5-minute call sends nothing for the bar it joins midway: a 1-minute call tells when the server follows.
    probe = Updates(stubs, server.address, "LIFIVE")
    try:
        _warm_up(script, probe)
        probe.close()
        rng = random.Random(5)
        price, traded = 100.0, []
        for minute in range(1, 42):
            if minute % 7 == 3:
                continue  # a minute without trades inside a bar
            traded.append(minute)
            for second in (3, 21, 48):
                price = round(price * (1 + rng.gauss(0, 0.004)), 4)
                last = script.add(minute, second, price, round(rng.uniform(1, 9), 2))
        got = updates.until(lambda u: u.sequence >= last and not u.bar_closed)
        assert all(u.timeframe.multiple == 5 and u.timeframe.unit == 2 for u in got if not u.HasField("gap"))
        closed = {u.bar.time_ms: u for u in got if u.bar_closed}
        # pandas' minutes folded on the 5-minute grid, from the ticks written (minute 0 is seen only in part).
        buckets = {}
        for minute in traded:
            stamp = script.minute(minute)
            buckets.setdefault(stamp // 300_000 * 300_000, []).append(script.expected(stamp, last))
        first_seen = script.minute(0) // 300_000 * 300_000
        assert first_seen not in closed, "the bar the call joined midway was sent as closed"
        starts = sorted(closed)
        assert starts == sorted(b for b in buckets if b != first_seen)[:len(starts)] and len(starts) >= 6
        assert starts == list(range(starts[0], starts[-1] + 1, 300_000)), "a closed bar missing"
        bars = [_fold(buckets[b]) for b in starts]
        for start, want in zip(starts, bars):
            bar = closed[start].bar
            got_bar = {k: getattr(bar, k) for k in ("open", "high", "low", "close", "volume")}
            assert got_bar == pytest.approx(want, rel=1e-12), f"bar {start}: {got_bar} != {want}"
        o, h, l, c = (np.array([b[k] for b in bars]) for k in ("open", "high", "low", "close"))
        want = np.column_stack([talib.SMA(c, 3), talib.EMA(c, 4), talib.RSI(c, 3), talib.ATR(h, l, c, 3)])
        for k, start in enumerate(starts):
            _assert_values(closed[start].values, want[k], f"bar {k}")
        # The forming bar: the minutes of the last bucket so far, its values as if it closed now.
        forming = got[-1]
        current = max(buckets)
        assert forming.bar.time_ms == current and forming.timeframe.multiple == 5
        got_bar = {k: getattr(forming.bar, k) for k in ("open", "high", "low", "close", "volume")}
        assert got_bar == pytest.approx(_fold(buckets[current]), rel=1e-12)
        if current - 300_000 in closed:
            c2 = np.append(c, forming.bar.close)
            assert forming.values[0] == pytest.approx(talib.SMA(c2, 3)[-1], rel=1e-9)
    finally:
        probe.close()
        updates.close()
        server.terminate()


def test_a_minute_lost_to_a_gap_is_filled_from_the_store_and_values_equal_talib_over_all(stubs, redis, tmp_path):
    require_module("pandas")
    from loading_support import fresh_database

    with fresh_database() as url:
        script = Script(redis, "LIFILL")
        rng = random.Random(23)
        history = []
        for k in (-3, -2, -1):  # stored before the call: its warm-up
            o = 100 + rng.uniform(-1, 1)
            c = o + rng.uniform(-1, 1)
            history.append({"time_ms": script.minute(k), "open": o, "high": max(o, c) + 0.25,
                            "low": min(o, c) - 0.25, "close": c, "volume": 40.0})
        _import_minutes(url, "LIFILL", history, tmp_path)
        server = _serve(redis, "LINONE", "--feed", "none", database=url)
        updates = Updates(stubs, server.address, "LIFILL")
        try:
            _warm_up(script, updates)
            price, unseen = 100.0, []
            for minute in range(1, 8):
                for second in (3, 21, 48):
                    price = round(price * (1 + rng.gauss(0, 0.004)), 4)
                    if minute == 5 and second != 48:
                        # Ticks the follower never gets: the log lacks them (trimmed, or never appended here).
                        script.ticks.append((len(script.ticks) + 1, script.minute(5) + second * 1000, price, 7.0))
                        unseen.append(script.ticks[-1][0])
                    else:
                        script.add(minute, second, price, round(rng.uniform(1, 9), 2))
                if minute == 6:
                    # The ingesting instance has stored minutes 0-6, every tick in them, before minute 7 starts.
                    _import_minutes(url, "LIFILL", [dict(time_ms=script.minute(m),
                                                         **script.expected(script.minute(m), 1 << 62))
                                                    for m in range(0, 7)], tmp_path)
            last = script.add(8, 1, price)
            got = updates.until(lambda u: u.bar_closed and u.bar.time_ms == script.minute(7))
            gaps = [u.gap for u in got if u.HasField("gap")]
            assert [(g.first_missing, g.last_missing) for g in gaps] == [(unseen[0], unseen[-1])], gaps
            closed = {}
            for u in got:
                if u.bar_closed:
                    closed[u.bar.time_ms] = u
            minutes = sorted(closed)
            assert minutes == [script.minute(m) for m in range(0, 8)], "a closed minute missing or extra"
            # Minute 5's bar holds ticks the server never saw: it can only have come from the store.
            for m in minutes:
                want = script.expected(m, last)
                got_bar = {k: getattr(closed[m].bar, k) for k in ("open", "high", "low", "close", "volume")}
                assert got_bar == pytest.approx(want, rel=1e-12), f"minute {m}: {got_bar} != pandas {want}"
            bars = [type("Bar", (), b) for b in history] + [closed[m].bar for m in minutes]
            want = _talib(bars)
            for k, m in enumerate(minutes):
                _assert_values(closed[m].values, want[len(history) + k], f"minute {k}")
        finally:
            updates.close()
            server.terminate()

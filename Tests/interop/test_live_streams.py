"""`pulse.v1.Quotes/Subscribe` over grpcio against `pulse serve` processes sharing a real Redis (and PostgreSQL for
the SIGKILL case): every sequence after a resume point reaches the client exactly once — as a tick, inside a tick's
`conflated` count, or inside a SequenceGap — across a client reconnect, a server killed with SIGKILL and restarted,
a move from one instance to another, and a resume beyond the retained window; a stalled reader's conflated ticks
carry the count, summed size and high/low of the ticks they replace, checked against the feed's own ticks read back
from the tick log straight from Redis (not through pulse); a quiet symbol gets heartbeats.
"""
import json
import os
import pathlib
import queue
import socket
import subprocess
import threading
import time

import grpc
import pytest

from conftest import REPO, pulse_binary, skip_or_fail
from grpc_peer_server import ProtocolMissing, compile_protocol
from serve_process import ServeProcess
import tick_log


@pytest.fixture(scope="module")
def pb(tmp_path_factory):
    try:
        compile_protocol(tmp_path_factory.mktemp("stubs"))
    except ProtocolMissing as error:
        skip_or_fail(f"Protocol/ not ready: {error}")
    import importlib

    return type("Stubs", (), {n: importlib.import_module(f"pulse.v1.{n}") for n in ["quotes_pb2", "quotes_pb2_grpc"]})


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def redis(tmp_path):
    port = _free_port()
    folder = tmp_path / "redis"
    subprocess.run(["bash", str(REPO / "scripts/redis.sh"), "start", str(folder), str(port)], check=True)
    yield port
    subprocess.run(["bash", str(REPO / "scripts/redis.sh"), "stop", str(folder), str(port)], check=False)


def _serve(redis_port, symbols, *extra, rate=400, database=""):
    # DATABASE_URL="" keeps a test script's database out unless a case asks for it (ownership then uses Redis leases).
    return ServeProcess([pulse_binary(), "serve", "--port", "0", "--loops", "2", "--redis-url",
                         f"redis://127.0.0.1:{redis_port}", "--symbols", symbols, "--tick-rate", str(rate), *extra],
                        env={"DATABASE_URL": database})


def _log(port, symbol, start="-", end="+"):
    """The tick log's entries read straight from Redis: [(sequence, {field: value})]."""
    return tick_log.entries(port, symbol, start, end)


class Ledger:
    """Checks a symbol's events as they come: no duplicate, no unreported hole, and remembers what it saw."""

    def __init__(self):
        self.last = {}
        self.ticks = {}
        self.gaps = {}

    def add(self, event):
        kind = event.WhichOneof("event")
        if kind == "tick":
            t = event.tick
            last = self.last.get(t.symbol)
            if last is not None:
                assert t.sequence > last, f"{t.symbol}: duplicate or out of order {t.sequence} after {last}"
                assert t.sequence - t.conflated == last + 1, \
                    f"{t.symbol}: unreported hole: {t.sequence} (conflated {t.conflated}) after {last}"
            self.last[t.symbol] = t.sequence
            self.ticks.setdefault(t.symbol, []).append(t)
        elif kind == "gap":
            g = event.gap
            last = self.last.get(g.symbol)
            assert g.first_missing <= g.last_missing
            if last is not None:
                assert g.first_missing == last + 1, f"{g.symbol}: gap {g.first_missing}… after {last}"
            self.last[g.symbol] = g.last_missing
            self.gaps.setdefault(g.symbol, []).append((g.first_missing, g.last_missing))
        return kind


class Reader:
    """A Subscribe call read on a thread into a queue, so a test can wait for what it needs with a timeout."""

    def __init__(self, pb, address, symbols, resume=None, options=(), include_bars=False):
        self.channel = grpc.insecure_channel(address, options=list(options))
        stub = pb.quotes_pb2_grpc.QuotesStub(self.channel)
        request = pb.quotes_pb2.SubscribeQuotesRequest(symbols=symbols, include_bars=include_bars)
        for symbol, sequence in (resume or {}).items():
            request.resume_from.add(symbol=symbol, sequence=sequence)
        self.call = stub.Subscribe(request)
        self.events = queue.Queue()
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            for event in self.call:
                self.events.put(event)
        except grpc.RpcError as error:
            self.error = error
        self.events.put(None)

    def next(self, timeout=30.0):
        event = self.events.get(timeout=timeout)
        assert event is not None, f"the stream ended: {self.error}"
        return event

    def close(self):
        self.call.cancel()
        self.thread.join(timeout=10)
        self.channel.close()


def _read_until(reader, ledger, done, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out waiting for the stream"
        ledger.add(reader.next(timeout=max(0.1, deadline - time.monotonic())))


def test_resume_after_a_client_reconnect_has_no_duplicate_and_no_hole(pb, redis):
    server = _serve(redis, "LSRA,LSRB")
    try:
        ledger = Ledger()
        first = Reader(pb, server.address, ["LSRA", "LSRB"])
        _read_until(first, ledger, lambda: all(ledger.last.get(s, 0) >= 100 for s in ("LSRA", "LSRB")))
        first.close()
        stopped = dict(ledger.last)
        time.sleep(1.0)  # ticks go on meanwhile; the resume must replay them
        second = Reader(pb, server.address, ["LSRA", "LSRB"], resume=stopped)
        _read_until(second, ledger, lambda: all(ledger.last[s] >= stopped[s] + 400 for s in stopped))
        second.close()
        assert not ledger.gaps
        # What arrived is what the feed wrote, tick for tick.
        for symbol in stopped:
            logged = dict(_log(redis, symbol))
            for tick in ledger.ticks[symbol]:
                assert float(logged[tick.sequence]["p"]) == tick.price
                assert float(logged[tick.sequence]["s"]) == tick.size
    finally:
        server.terminate()


def test_resume_after_the_server_is_killed_and_restarted(pb, redis):
    database = os.environ.get("PULSE_TEST_DATABASE_URL")
    if not database:
        skip_or_fail("PULSE_TEST_DATABASE_URL is not set (scripts/test.sh starts a PostgreSQL and sets it)")
    server = _serve(redis, "LSKILL", database=database)
    ledger = Ledger()
    try:
        reader = Reader(pb, server.address, ["LSKILL"])
        _read_until(reader, ledger, lambda: ledger.last.get("LSKILL", 0) > 0)
        start = ledger.last["LSKILL"]
        _read_until(reader, ledger, lambda: ledger.last["LSKILL"] >= start + 200)
        server.kill()  # SIGKILL: no clean release, no flush
        reader.close()
    finally:
        server.kill()
    stopped = ledger.last["LSKILL"]
    restarted = _serve(redis, "LSKILL", database=database)
    try:
        reader = Reader(pb, restarted.address, ["LSKILL"], resume={"LSKILL": stopped})
        top_at_restart = _log(redis, "LSKILL")[-1][0]
        _read_until(reader, ledger, lambda: ledger.last["LSKILL"] >= max(top_at_restart, stopped) + 200)
        reader.close()
        # Everything the killed server logged is replayed. A gap may only name numbers it took but died before
        # logging (never delivered to anyone, so nothing is lost): after the resume point and absent from the log.
        for first, last in ledger.gaps.get("LSKILL", []):
            assert first > stopped
            assert _log(redis, "LSKILL", str(first), str(last)) == []
    finally:
        restarted.terminate()


def test_a_subscriber_moves_from_one_instance_to_another_without_loss(pb, redis):
    feeding = _serve(redis, "LSMOVE")
    following = _serve(redis, "LSMOVE", "--feed", "none")
    try:
        ledger = Ledger()
        reader = Reader(pb, feeding.address, ["LSMOVE"])
        _read_until(reader, ledger, lambda: ledger.last.get("LSMOVE", 0) >= 100)
        reader.close()
        stopped = ledger.last["LSMOVE"]
        time.sleep(0.5)
        # B ingests nothing: it replays from the log, then follows A's ticks through Redis.
        reader = Reader(pb, following.address, ["LSMOVE"], resume={"LSMOVE": stopped})
        _read_until(reader, ledger, lambda: ledger.last["LSMOVE"] >= stopped + 600)
        reader.close()
        assert not ledger.gaps
        # And a live subscriber on B (no resume) gets a gapless live stream too.
        live = Ledger()
        reader = Reader(pb, following.address, ["LSMOVE"])
        _read_until(reader, live, lambda: len(live.ticks.get("LSMOVE", [])) >= 100)
        reader.close()
        assert not live.gaps
    finally:
        following.terminate()
        feeding.terminate()


def test_a_resume_beyond_the_retained_window_gets_a_gap_with_exact_bounds(pb, redis):
    server = _serve(redis, "LSTRIM", "--tick-retention", "20", rate=500)
    try:
        ledger = Ledger()
        reader = Reader(pb, server.address, ["LSTRIM"])
        _read_until(reader, ledger, lambda: ledger.last.get("LSTRIM", 0) >= 50)
        reader.close()
        stopped = ledger.last["LSTRIM"]
        # Wait until the log has trimmed past the resume point.
        deadline = time.monotonic() + 60
        while _log(redis, "LSTRIM", "-", "+")[0][0] <= stopped + 1:
            assert time.monotonic() < deadline, "the log never trimmed"
            time.sleep(0.2)
        oldest_before = _log(redis, "LSTRIM")[0][0]
        reader = Reader(pb, server.address, ["LSTRIM"], resume={"LSTRIM": stopped})
        first = reader.next()
        assert ledger.add(first) == "gap"
        assert first.gap.first_missing == stopped + 1
        _read_until(reader, ledger, lambda: ledger.last["LSTRIM"] >= stopped + 300)
        reader.close()
        resumed_at = ledger.ticks["LSTRIM"][-1]
        following = [t.sequence for t in ledger.ticks["LSTRIM"] if t.sequence > first.gap.last_missing]
        assert following[0] == first.gap.last_missing + 1  # the gap ends right before the first replayed tick
        assert following[0] >= oldest_before  # ...which the log still held when the resume began
        # Nothing the gap calls missing is in the log (it only trims forward, so this holds after the fact).
        assert _log(redis, "LSTRIM", str(first.gap.first_missing), str(first.gap.last_missing)) == []
        assert resumed_at.sequence >= stopped + 300
    finally:
        server.terminate()


def test_a_stalled_reader_gets_conflated_ticks_with_exact_counts_sizes_and_ranges(pb, redis):
    server = _serve(redis, "LSSLOW,LSOTHER", rate=4000)
    try:
        ledger = Ledger()
        # A small fixed HTTP/2 window (no BDP growth) so the stall backs up into the server quickly.
        options = [("grpc.http2.bdp_probe", 0), ("grpc.http2.lookahead_bytes", 16384)]
        # Read on this thread (a reading thread would keep draining while the test sleeps); the deadline bounds it.
        channel = grpc.insecure_channel(server.address, options=options)
        call = pb.quotes_pb2_grpc.QuotesStub(channel).Subscribe(
            pb.quotes_pb2.SubscribeQuotesRequest(symbols=["LSSLOW", "LSOTHER"]), timeout=120)
        ledger.add(next(call))
        time.sleep(5)  # stall: the server must conflate, not buffer
        while not all(ledger.last.get(s, 0) > 0 for s in ("LSSLOW", "LSOTHER")):
            ledger.add(next(call))
        start = dict(ledger.last)
        while not all(ledger.last[s] >= start[s] + 2000 for s in start):
            ledger.add(next(call))
        call.cancel()
        channel.close()
        conflated = [t for s in ledger.ticks for t in ledger.ticks[s] if t.conflated > 0]
        assert conflated, "the stalled reader was never conflated"
        # The stall, not a burst: some tick stands for a good part of the ~20,000 published meanwhile.
        assert max(t.conflated for t in conflated) > 1000
        for symbol, ticks in ledger.ticks.items():
            logged = dict(_log(redis, symbol))
            for tick in ticks:
                own = logged[tick.sequence]
                assert float(own["p"]) == tick.price and float(own["s"]) == tick.size
                if tick.conflated == 0:
                    assert tick.conflated_size == 0
                    continue
                replaced = [logged[s] for s in range(tick.sequence - tick.conflated, tick.sequence)]
                prices = [float(e["p"]) for e in replaced]
                assert tick.conflated_size == pytest.approx(sum(float(e["s"]) for e in replaced), rel=1e-12)
                assert tick.conflated_high == max(prices)
                assert tick.conflated_low == min(prices)
    finally:
        server.terminate()


def test_a_quiet_symbol_gets_heartbeats(pb, redis):
    server = _serve(redis, "LSBUSY", "--heartbeat-interval", "0.3")
    try:
        ledger = Ledger()
        reader = Reader(pb, server.address, ["LSBUSY", "LSQUIET"])
        beats = []
        deadline = time.monotonic() + 30
        while len(beats) < 3 or not ledger.ticks.get("LSBUSY"):
            assert time.monotonic() < deadline
            event = reader.next()
            if ledger.add(event) == "heartbeat" and event.heartbeat.symbol == "LSQUIET":
                beats.append(event.heartbeat)
        reader.close()
        assert all(b.last_sequence == 0 for b in beats)  # nothing was ever logged for it
        assert all(abs(b.server_time_ms - time.time() * 1000) < 30_000 for b in beats)
        assert ledger.ticks["LSBUSY"]
    finally:
        server.terminate()


@pytest.mark.parametrize("symbols,resume,fragment", [
    ([], {}, "at least one symbol"),
    (["AAPL", "not a symbol"], {}, "symbols[1]"),
    (["AAPL", "aapl"], {}, "named twice"),
    ([f"S{i}" for i in range(1001)], {}, "at most 1000"),
    (["AAPL"], {"MSFT": 3}, "resume_from[0]"),
])
def test_bad_requests_are_invalid_argument(pb, redis, symbols, resume, fragment):
    server = _serve(redis, "LSBAD", "--feed", "none")
    try:
        reader = Reader(pb, server.address, symbols, resume=resume)
        reader.thread.join(timeout=10)
        assert reader.error is not None
        assert reader.error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert fragment in reader.error.details()
        reader.channel.close()
    finally:
        server.terminate()


def test_a_following_instance_rides_out_a_redis_restart_and_reports_the_hole(pb, tmp_path):
    # AOF on, so the log survives the restart; while Redis is down the feed's appends fail (its own subscribers
    # still get those ticks in process), so the log has a hole that the following instance must report, exactly.
    port = _free_port()
    folder = tmp_path / "redis-aof"
    script = ["bash", str(REPO / "scripts/redis.sh")]
    subprocess.run(script + ["start", str(folder), str(port), "--aof"], check=True)
    feeding = following = None
    try:
        feeding = _serve(port, "LSDOWN")
        following = _serve(port, "LSDOWN", "--feed", "none")
        ledger = Ledger()
        reader = Reader(pb, following.address, ["LSDOWN"])
        _read_until(reader, ledger, lambda: len(ledger.ticks.get("LSDOWN", [])) >= 50)
        subprocess.run(script + ["stop", str(folder), str(port)], check=True)
        time.sleep(2)  # shorter than the feed's 5 s lease, so the owner keeps the symbol (and its numbering)
        subprocess.run(script + ["start", str(folder), str(port), "--aof"], check=True)
        before = ledger.last["LSDOWN"]
        _read_until(reader, ledger, lambda: ledger.gaps.get("LSDOWN") and ledger.last["LSDOWN"] >= before + 300,
                    timeout=90)
        reader.close()
        for first, last in ledger.gaps["LSDOWN"]:
            assert _log(port, "LSDOWN", str(first), str(last)) == []  # what the gap names is not in the log
            assert _log(port, "LSDOWN", str(last + 1), str(last + 1))  # and the tick after it is
    finally:
        for server in (following, feeding):
            if server:
                server.terminate()
        subprocess.run(script + ["stop", str(folder), str(port)], check=False)


def test_a_resume_point_never_reached_is_out_of_range(pb, redis):
    server = _serve(redis, "LSFAR")
    try:
        ledger = Ledger()
        reader = Reader(pb, server.address, ["LSFAR"])
        _read_until(reader, ledger, lambda: ledger.last.get("LSFAR", 0) > 0)
        reader.close()
        reader = Reader(pb, server.address, ["LSFAR"], resume={"LSFAR": 10**12})
        reader.thread.join(timeout=10)
        assert reader.error is not None and reader.error.code() == grpc.StatusCode.OUT_OF_RANGE
        assert "beyond its last sequence" in reader.error.details()
        reader.channel.close()
    finally:
        server.terminate()


def test_fanout_smoke_no_loss_for_readers_that_keep_up(redis, tmp_path):
    """A short version of Benchmarks/fanout: 200 streams over 4 connections, each on one of 20 symbols; asserts
    correctness (nothing missing, nothing out of order, nothing announced lost), never a speed."""
    load = pathlib.Path(os.environ.get("PULSE_LOAD_BIN", pulse_binary().parent / "pulse-load"))
    if not load.exists():
        pytest.fail(f"pulse-load not found at {load}: run `swift build` first or set PULSE_LOAD_BIN")
    symbols = ",".join(f"LSF{i:02d}" for i in range(20))
    server = _serve(redis, symbols, rate=2000)
    try:
        report = tmp_path / "fanout.json"
        subprocess.run([str(load), "subscribe", "--target", server.address, "--symbols", symbols, "--spread",
                        "--streams", "200", "--connections", "4", "--warmup", "1s", "--duration", "3s", "--quiet",
                        "--json", str(report)], check=True, timeout=60, capture_output=True)
        figures = json.loads(report.read_text())["stream"]
        assert figures["messages"] > 0
        assert figures["missing"] == 0 and figures["out_of_order"] == 0 and figures["announced_missing"] == 0
    finally:
        server.terminate()


def test_indicator_updates_follow_the_forming_minute_exactly(tmp_path, redis):
    import importlib

    try:
        compile_protocol(tmp_path / "stubs")
    except ProtocolMissing as error:
        skip_or_fail(f"Protocol/ not ready: {error}")
    indicators_pb2 = importlib.import_module("pulse.v1.indicators_pb2")
    indicators_pb2_grpc = importlib.import_module("pulse.v1.indicators_pb2_grpc")
    server = _serve(redis, "LSIND", rate=200)
    try:
        channel = grpc.insecure_channel(server.address)
        stub = indicators_pb2_grpc.IndicatorsStub(channel)
        request = indicators_pb2.SubscribeIndicatorsRequest(
            symbol="LSIND", indicators=[indicators_pb2.IndicatorSpec(function="sma", parameters=[1])])
        updates = []
        call = stub.Subscribe(request, timeout=60)
        for update in call:
            updates.append(update)
            if len(updates) >= 40:
                break
        call.cancel()
        channel.close()
        assert list(updates[0].columns) == ["sma_1"]
        logged = _log(redis, "LSIND")
        by_sequence = {s: e for s, e in logged}
        for update in updates:
            assert update.values[0] == pytest.approx(update.bar.close, rel=1e-12)  # SMA(1) of a bar is its close
            if update.bar_closed:
                continue
            # The forming bar as of update.sequence, rebuilt from the log's ticks of that minute (read from Redis).
            minute = update.bar.time_ms
            ticks = [(s, e) for s, e in logged if s <= update.sequence and int(e["t"]) // 60_000 * 60_000 == minute]
            prices = [float(e["p"]) for _, e in ticks]
            assert update.bar.high == max(prices) and update.bar.low == min(prices)
            assert update.bar.volume == pytest.approx(sum(float(e["s"]) for _, e in ticks), rel=1e-12)
            assert update.bar.close == float(by_sequence[update.sequence]["p"])
    finally:
        server.terminate()


def test_pulse_watch_prints_a_line_per_tick_with_no_hole(redis):
    import re

    server = _serve(redis, "LSWATCH")
    try:
        out = subprocess.run([str(pulse_binary()), "watch", "LSWATCH", "LSSILENT", "--server", server.address,
                              "--count", "20"], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        ticks = [re.search(r" LSWATCH #(\d+)(?:.*\[\+(\d+) conflated\])?", line) for line in out.stdout.splitlines()]
        ticks = [(int(m.group(1)), int(m.group(2) or 0)) for m in ticks if m]
        assert len(ticks) == 20
        for (previous, _), (sequence, conflated) in zip(ticks, ticks[1:]):
            assert sequence == previous + 1 + conflated
        bad = subprocess.run([str(pulse_binary()), "watch", "LSWATCH", "--server", "nonsense"],
                             capture_output=True, text=True, timeout=30)
        assert bad.returncode != 0 and "HOST:PORT" in bad.stderr
    finally:
        server.terminate()


def test_a_resume_while_redis_is_down_is_unavailable_not_a_gap(pb, tmp_path):
    port = _free_port()
    folder = tmp_path / "redis-down"
    script = ["bash", str(REPO / "scripts/redis.sh")]
    subprocess.run(script + ["start", str(folder), str(port)], check=True)
    server = None
    try:
        server = _serve(port, "LSGONE", "--feed", "none")
        subprocess.run(script + ["stop", str(folder), str(port)], check=True)
        # The log may still hold the ticks: retry later (UNAVAILABLE), never "gone for good" (a gap).
        resuming = Reader(pb, server.address, ["LSGONE"], resume={"LSGONE": 1})
        resuming.thread.join(timeout=30)
        assert resuming.error is not None and resuming.error.code() == grpc.StatusCode.UNAVAILABLE
        assert "tick log is unavailable" in resuming.error.details()
        assert resuming.events.get(timeout=1) is None  # nothing was sent before the status
        resuming.channel.close()
    finally:
        if server:
            server.terminate()
        subprocess.run(script + ["stop", str(folder), str(port)], check=False)

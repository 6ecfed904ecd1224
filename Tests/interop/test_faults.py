"""Failures of PostgreSQL, Redis and a server, caused by the test, seen through grpcio and checked against the
stores themselves (psql-level reads with psycopg, redis-cli) rather than through pulse.

One real PostgreSQL and one real Redis (scripts/postgres.sh, scripts/redis.sh on free ports in a folder of this
module), instance A ingesting the simulated feed, instance R serving with `--feed none` (it knows quotes only from
Redis or PostgreSQL), and later instance B ingesting the same symbols as a standby. In file order:

1. PostgreSQL stopped across a minute boundary: A keeps ingesting and spools the closed minute's bars; R's GetQuote
   is served from Redis (the quote is the one redis-cli reads); GetBars is UNAVAILABLE with a google.rpc.RetryInfo
   (decoded by grpcio-status); health NOT_SERVING; A keeps its symbols. PostgreSQL started again: health SERVING
   within the recovery bound, and the spool drains.
2. Redis stopped: R's GetQuote comes from PostgreSQL (the close of the last stored minute, sequence 0); it serves
   from Redis again once Redis is back.
3. Once a minute more has closed: bars fed (A's own counter) == bars stored, no minute missing, and the spooled
   bars were written before any newer one (their transaction ids in PostgreSQL ascend with time).
4. A SIGKILLed while a client streams from it: B takes the symbols over with a new epoch and continues the
   numbering; the client resumes on B from its last sequence numbers and sees no duplicate and no gap, and the tick
   log (read with redis-cli) holds every number once.
"""
import os
import pathlib
import queue
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

import grpc
import pytest

from conftest import REPO, pulse_binary, require_module, run_pulse, skip_or_fail
from grpc_peer_server import ProtocolMissing, compile_protocol
from serve_process import ServeProcess
import tick_log

psycopg = require_module("psycopg")
rpc_status = require_module("grpc_status.rpc_status")
error_details_pb2 = require_module("google.rpc.error_details_pb2")

SYMBOLS = ["FLTA", "FLTB"]
# The target for health after PostgreSQL returns; PULSE_FAULTS_RECOVERY_LIMIT_S may loosen it.
RECOVERY_LIMIT_S = float(os.environ.get("PULSE_FAULTS_RECOVERY_LIMIT_S", "2.0"))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(condition, timeout, what, interval=0.1):
    """Polls `condition` until it returns a true value (returned); fails naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(interval)


@pytest.fixture(scope="module")
def pb(tmp_path_factory):
    try:
        compile_protocol(tmp_path_factory.mktemp("stubs"))
    except ProtocolMissing as error:
        skip_or_fail(f"Protocol/ not ready: {error}")
    import importlib

    names = {n: f"pulse.v1.{n}" for n in ["market_data_pb2", "quotes_pb2", "quotes_pb2_grpc"]}
    names.update(health_pb2="grpc.health.v1.health_pb2", health_pb2_grpc="grpc.health.v1.health_pb2_grpc")
    return type("Stubs", (), {key: importlib.import_module(module) for key, module in names.items()})


class Stores:
    """The PostgreSQL and Redis of this module, each stopped and started by the tests."""

    def __init__(self, folder):
        self.folder = folder
        self.pg_port, self.redis_port = _free_port(), _free_port()
        self.database_url = f"postgresql://postgres@127.0.0.1:{self.pg_port}/pulse"
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}"

    def postgres(self, command):
        done = subprocess.run(["bash", str(REPO / "scripts/postgres.sh"), command, "--data", str(self.folder / "pg"),
                               "--port", str(self.pg_port)], capture_output=True, text=True)
        assert done.returncode == 0, f"postgres.sh {command}: {done.stderr}"

    def redis(self, command):
        done = subprocess.run(["bash", str(REPO / "scripts/redis.sh"), command, str(self.folder / "redis"),
                               str(self.redis_port), "--aof"], capture_output=True, text=True)
        assert done.returncode == 0, f"redis.sh {command}: {done.stderr}"

    def sql(self, query, *args):
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            return connection.execute(query, args).fetchall()

    def redis_cli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.redis_port), "--raw", *args], capture_output=True,
                              check=True).stdout


class Pulse(ServeProcess):
    """`pulse serve` on the module's stores with /metrics on."""

    def __init__(self, stores, name, *feed):
        self.metrics_port = _free_port()
        super().__init__([pulse_binary(), "serve", "--port", "0", "--loops", "2", "--database-url",
                          stores.database_url, "--redis-url", stores.redis_url, "--metrics-port", self.metrics_port,
                          "--spool-dir", stores.folder / f"spool-{name}", *feed],
                         env={"DATABASE_URL": "", "REDIS_URL": ""})

    def metrics(self):
        """{'name{labels}': value} of the text format, read line by line."""
        def scrape():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as response:
                    return response.read().decode()
            except OSError:
                return None

        text = _wait(scrape, 20, "/metrics")
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                values[key] = float(value)
        return values


def _feeding(stores, name):
    return Pulse(stores, name, "--feed", "simulated", "--symbols", ",".join(SYMBOLS), "--tick-rate", "100")


@pytest.fixture(scope="module")
def cluster(pb):
    # Outside pytest's private folder: as root PostgreSQL runs as user postgres, who must reach its data folder.
    folder = pathlib.Path(tempfile.mkdtemp(prefix="pulse-faults."))
    folder.chmod(0o755)
    stores = Stores(folder)
    started = []
    try:
        stores.postgres("start")
        stores.redis("start")
        migrated = run_pulse("migrate", "--database-url", stores.database_url)
        assert migrated.returncode == 0, migrated.stderr
        a = _feeding(stores, "a")
        started.append(a)
        # A owns every symbol before anyone else could compete for them.
        _wait(lambda: len(stores.sql("SELECT symbol FROM symbol_owners")) == len(SYMBOLS), 30, "A to own the symbols")
        r = Pulse(stores, "r", "--feed", "none")
        started.append(r)
        yield type("Cluster", (), dict(stores=stores, a=a, r=r, started=started))
    finally:
        for process in started:
            process.kill()
        stores.postgres("stop")
        stores.redis("stop")
        shutil.rmtree(folder, ignore_errors=True)


def _health(channel, pb, service="pulse.v1.Quotes"):
    stub = pb.health_pb2_grpc.HealthStub(channel)
    return stub.Check(pb.health_pb2.HealthCheckRequest(service=service), timeout=5).status


def _quotes(channel, pb):
    return pb.quotes_pb2_grpc.QuotesStub(channel)


def _minute_bars(pb, symbol):
    return pb.quotes_pb2.GetBarsRequest(
        symbol=symbol, timeframe=pb.market_data_pb2.Timeframe(unit=pb.market_data_pb2.Timeframe.UNIT_MINUTE,
                                                              multiple=1))


def _accepts(stores):
    try:
        with psycopg.connect(stores.database_url, connect_timeout=1):
            return True
    except psycopg.OperationalError:
        return False


def _bars_code(channel, pb):
    try:
        _quotes(channel, pb).GetBars(_minute_bars(pb, "FLTA"), timeout=10)
        return grpc.StatusCode.OK
    except grpc.RpcError as error:
        return error.code()


def _redis_quote(stores, pb, symbol):
    """The latest tick the ingester cached in Redis, decoded with protobuf's own classes."""
    raw = stores.redis_cli("GET", f"quote:{{{symbol}}}").rstrip(b"\n")
    tick = pb.market_data_pb2.Tick()
    tick.ParseFromString(raw)
    return tick


def _stored(stores):
    """{symbol: [(ts, close, xmin)]} of the stored 1-minute bars, oldest first."""
    rows = stores.sql(
        "SELECT s.symbol, b.ts, b.close, b.xmin::text::bigint FROM bars b JOIN symbols s ON s.id = b.symbol_id "
        "WHERE s.symbol = ANY(%s) AND b.timeframe = '1m' ORDER BY s.symbol, b.ts", SYMBOLS)
    stored = {symbol: [] for symbol in SYMBOLS}
    for symbol, ts, close, xmin in rows:
        stored[symbol].append((ts, close, xmin))
    return stored


def test_postgres_down_spools_serves_quotes_from_redis_and_recovers(pb, cluster):
    stores, a, r = cluster.stores, cluster.a, cluster.r
    with grpc.insecure_channel(r.address) as channel:
        assert _bars_code(channel, pb) in (grpc.StatusCode.OK, grpc.StatusCode.NOT_FOUND)  # PostgreSQL answers
        spooled_before = a.metrics().get("pulse_spool_spooled_total", 0)
        stores.postgres("stop")
        stopped = time.monotonic()
        _wait(lambda: _health(channel, pb) == pb.health_pb2.HealthCheckResponse.NOT_SERVING, 15,
              "health NOT_SERVING")

        unavailable = 'grpc_server_handled_total{grpc_type="unary",grpc_service="pulse.v1.Quotes",' \
            'grpc_method="GetBars",grpc_code="Unavailable"}'
        counted = r.metrics().get(unavailable, 0)
        with pytest.raises(grpc.RpcError) as failed:
            _quotes(channel, pb).GetBars(_minute_bars(pb, "FLTA"), timeout=10)
        assert failed.value.code() == grpc.StatusCode.UNAVAILABLE, failed.value
        assert r.metrics().get(unavailable, 0) == counted + 1, "the UNAVAILABLE is not in R's metrics by code"
        assert str(stores.pg_port) not in failed.value.details() and "127.0.0.1" not in failed.value.details()
        status = rpc_status.from_call(failed.value)
        assert status is not None, "no grpc-status-details-bin on GetBars' UNAVAILABLE"
        assert status.code == grpc.StatusCode.UNAVAILABLE.value[0]
        assert len(status.details) == 1 and status.details[0].Is(error_details_pb2.RetryInfo.DESCRIPTOR)
        info = error_details_pb2.RetryInfo()
        status.details[0].Unpack(info)
        assert 0 < info.retry_delay.ToMilliseconds() <= 5000

        # R follows no symbol and ingests none: with PostgreSQL away, a quote can only have come from Redis.
        for symbol in SYMBOLS:
            before = _redis_quote(stores, pb, symbol).sequence
            quote = _quotes(channel, pb).GetQuote(pb.quotes_pb2.GetQuoteRequest(symbol=symbol), timeout=10)
            after = _redis_quote(stores, pb, symbol).sequence
            assert before <= quote.sequence <= after, (before, quote.sequence, after)
            assert quote.price > 0

        # The outage spans a minute boundary: A's closed minutes go to its spool (the awaited event).
        _wait(lambda: a.metrics().get("pulse_spool_spooled_total", 0) >= spooled_before + len(SYMBOLS), 90,
              "A to spool the bars of a minute that closed while PostgreSQL was away")
        assert a.metrics().get("pulse_ingest_leases_lost_total", 0) == 0, "A gave its symbols up while PG was away"
        print(f"PostgreSQL was away {time.monotonic() - stopped:.1f} s")

        # The clock starts when PostgreSQL first accepts a session (postgres.sh returns a little later).
        starting = threading.Thread(target=stores.postgres, args=("start",))
        starting.start()
        back = _wait(lambda: _accepts(stores) and time.monotonic(), 60, "PostgreSQL to accept sessions", 0.02)
        _wait(lambda: _health(channel, pb) == pb.health_pb2.HealthCheckResponse.SERVING, 30, "health SERVING",
              interval=0.02)
        recovery = time.monotonic() - back
        starting.join(timeout=60)
        print(f"health SERVING {recovery:.2f} s after PostgreSQL accepted connections again")
        assert recovery <= RECOVERY_LIMIT_S, f"health SERVING {recovery:.2f} s after PostgreSQL returned"
        _wait(lambda: _bars_code(channel, pb) == grpc.StatusCode.OK, 10, "GetBars to answer again")

    def drained():
        m = a.metrics()
        return m.get("pulse_spool_bars", 1) == 0 and m.get("pulse_spool_drained_total", 0) == m.get(
            "pulse_spool_spooled_total", -1)

    _wait(drained, 30, "A's spool to drain")

    cluster.spooled = a.metrics()["pulse_spool_spooled_total"]
    assert cluster.spooled >= len(SYMBOLS)


def test_redis_down_serves_quotes_from_postgres(pb, cluster):
    stores, a, r = cluster.stores, cluster.a, cluster.r
    _wait(lambda: all(_stored(stores).values()), 90, "a stored minute bar per symbol")
    with grpc.insecure_channel(r.address) as channel:
        stores.redis("stop")
        try:
            _wait(lambda: r.metrics().get("pulse_redis_up") == 0, 15, "R to see Redis gone")

            def from_postgres(symbol):
                last = _stored(stores)[symbol][-1]
                quote = _quotes(channel, pb).GetQuote(pb.quotes_pb2.GetQuoteRequest(symbol=symbol), timeout=10)
                # A minute may close between the read and the call: the answer is the stored close of then.
                return quote if _stored(stores)[symbol][-1] == last and quote.price == last[1] else None

            for symbol in SYMBOLS:
                quote = _wait(lambda: from_postgres(symbol), 30, f"{symbol}'s quote from PostgreSQL")
                assert quote.sequence == 0, "a quote from PostgreSQL carries no tick sequence"
            gaps = a.metrics().get("pulse_ingest_gaps_total", 0)
        finally:
            stores.redis("start")
        back = time.monotonic()
        _wait(lambda: r.metrics().get("pulse_redis_up") == 1, 30, "R to reconnect to Redis", interval=0.05)
        print(f"R reconnected to Redis {time.monotonic() - back:.2f} s after it returned; A's gap ticks {gaps:.0f}")
        # Back on Redis: the quote carries the ingester's sequence again.
        _wait(lambda: _quotes(channel, pb).GetQuote(pb.quotes_pb2.GetQuoteRequest(symbol="FLTA"), timeout=10)
              .sequence > 0, 30, "a quote from Redis again")


def test_every_minute_is_stored_once_and_the_spool_before_newer_bars(pb, cluster):
    stores, a = cluster.stores, cluster.a
    spooled = getattr(cluster, "spooled", None)
    if spooled is None:
        pytest.fail("runs after the PostgreSQL outage test, which spools the bars it checks")
    # A minute closes after the drain and is written straight to PostgreSQL (the awaited event).
    _wait(lambda: a.metrics().get("pulse_ingest_bars_written_total", 0) >= spooled + len(SYMBOLS), 90,
          "a minute bar written after the spool drained")

    def fed_equals_stored():
        fed = a.metrics().get("pulse_ingest_bars_written_total", 0)
        stored = sum(len(bars) for bars in _stored(stores).values())
        return (fed, stored) if fed == stored and a.metrics().get("pulse_ingest_bars_written_total", 0) == fed else None

    # A minute may close between the scrape and the count: the two agree once nothing is in flight.
    fed, stored = _wait(fed_equals_stored, 30, "bars stored to equal bars fed")
    print(f"bars fed {fed:.0f}, stored {stored}, of which spooled and drained {spooled:.0f}")
    for symbol, bars in _stored(stores).items():
        minutes = [int(ts.timestamp()) // 60 for ts, _, _ in bars]
        assert len(minutes) >= 2, f"{symbol}: {minutes}"
        assert minutes == list(range(minutes[0], minutes[0] + len(minutes))), f"{symbol}: a minute missing: {minutes}"
        # In order: each minute's row was written (its transaction id) no earlier than the minute before it's.
        xmins = [xmin for _, _, xmin in bars]
        assert xmins == sorted(xmins), f"{symbol}: bars written out of order: {list(zip(minutes, xmins))}"


class Stream:
    """A Subscribe call read on a thread; `events` gets each QuoteEvent, then None when the call ends."""

    def __init__(self, pb, address, resume=None):
        self.channel = grpc.insecure_channel(address)
        request = pb.quotes_pb2.SubscribeQuotesRequest(symbols=SYMBOLS)
        for symbol, sequence in (resume or {}).items():
            request.resume_from.add(symbol=symbol, sequence=sequence)
        self.call = _quotes(self.channel, pb).Subscribe(request)
        self.events = queue.Queue()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        try:
            for event in self.call:
                self.events.put(event)
        except grpc.RpcError:
            pass
        self.events.put(None)

    def close(self):
        self.call.cancel()
        self.channel.close()


def _take(stream, last, until, timeout=60.0):
    """Reads ticks into `last` ({symbol: sequence}) until `until(last)`, failing on a duplicate, a hole or a gap.
    Returns False when the stream ended first."""
    deadline = time.monotonic() + timeout
    while not until(last):
        assert time.monotonic() < deadline, f"timed out reading the stream at {last}"
        try:
            event = stream.events.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            continue
        if event is None:
            return False
        kind = event.WhichOneof("event")
        assert kind != "gap", f"a gap was reported: {event.gap}"
        if kind == "tick":
            t = event.tick
            if t.symbol in last:
                assert t.sequence > last[t.symbol], f"{t.symbol}: duplicate {t.sequence} after {last[t.symbol]}"
                assert t.sequence - t.conflated == last[t.symbol] + 1, \
                    f"{t.symbol}: hole: {t.sequence} (conflated {t.conflated}) after {last[t.symbol]}"
            last[t.symbol] = t.sequence
    return True


def test_sigkill_of_the_ingesting_instance_hands_the_symbols_over_without_a_gap(pb, cluster):
    stores, a = cluster.stores, cluster.a
    b = _feeding(stores, "b")  # a standby: A holds every symbol's lock
    cluster.started.append(b)
    epochs = dict(stores.sql("SELECT symbol, epoch FROM symbol_owners"))
    stream = Stream(pb, a.address)
    last = {}
    try:
        assert _take(stream, last, lambda seen: len(seen) == len(SYMBOLS) and min(seen.values()) > 0)
        first = dict(last)
        assert _take(stream, last, lambda seen: all(seen[s] >= first[s] + 100 for s in SYMBOLS))
        a.process.send_signal(signal.SIGKILL)
        a.process.wait()
        killed = time.monotonic()
        _take(stream, last, lambda seen: False, timeout=30)  # what was in flight, up to the end of the call
    finally:
        stream.close()
    print(f"client stopped at {last} when A was SIGKILLed")

    def taken_over():
        rows = {symbol: (epoch, owner) for symbol, epoch, owner in stores.sql(
            "SELECT symbol, epoch, owner FROM symbol_owners")}
        return rows if all(rows[symbol][0] > epochs[symbol] for symbol in SYMBOLS) else None

    owners = _wait(taken_over, 30, "B to take the symbols over")
    print(f"B took the symbols over {time.monotonic() - killed:.2f} s after the kill: {owners}")

    resumed = Stream(pb, b.address, resume=last)
    stopped = dict(last)
    try:
        assert _take(resumed, last, lambda seen: all(seen[s] >= stopped[s] + 200 for s in SYMBOLS))
    finally:
        resumed.close()
    assert b.metrics().get("pulse_ingest_ticks_total", 0) > 0, "B does not ingest"
    # The numbering continued: the tick log holds 1…N of each symbol exactly once across both owners.
    # (From where the client started: the Redis outage of the test before left its reported holes earlier on.)
    for symbol in SYMBOLS:
        ids = [sequence for sequence, _ in tick_log.entries(stores.redis_port, symbol, str(first[symbol]))]
        assert ids[0] == first[symbol] and ids == list(range(ids[0], ids[0] + len(ids))), \
            f"{symbol}: the tick log has holes after {first[symbol]}"
        assert ids[-1] >= stopped[symbol] + 200


def test_a_database_that_comes_after_the_server_gets_its_schema_and_serves(pb):
    """`pulse serve` started before its PostgreSQL exists: Quotes NOT_SERVING while it is away; once a fresh cluster
    starts on that port the server applies the migrations itself (nobody runs `pulse migrate`) and serves."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix="pulse-late-db."))
    folder.chmod(0o755)
    stores = Stores(folder)
    server = ServeProcess([pulse_binary(), "serve", "--port", "0", "--feed", "none", "--database-url",
                           stores.database_url], env={"DATABASE_URL": "", "REDIS_URL": ""})
    try:
        serving = pb.health_pb2.HealthCheckResponse.SERVING
        with grpc.insecure_channel(server.address) as channel:
            assert _health(channel, pb) != serving
            stores.postgres("start")
            _wait(lambda: _health(channel, pb) == serving, 20, "Quotes SERVING once PostgreSQL is there")
            reply = _quotes(channel, pb).ListSymbols(pb.quotes_pb2.ListSymbolsRequest(), timeout=10)
            assert list(reply.symbols) == []
        assert stores.sql("SELECT max(version) FROM schema_migrations")[0][0] >= 8
    finally:
        server.terminate()
        stores.postgres("stop")
        shutil.rmtree(folder, ignore_errors=True)

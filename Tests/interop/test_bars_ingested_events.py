""""Bars ingested" events end to end, against the moto server (SQS), a real PostgreSQL and a real Redis: every
writer that commits bars (LoadSymbol, `pulse import`, the simulated feed's history) sends the event to
`PULSE_SQS_QUEUE_URL` with the range and count of what it wrote, and nothing when it rewrote nothing; `pulse worker`
consumes the queue and recomputes the `Indicators.Compute` requests clients asked under the new data version (the
cache entry appears before any client asks again, and equals TA-Lib over all the bars); a poison message ends in the
dead-letter queue while the worker goes on; a redelivered event does no harm; and without SQS the same recomputation
runs in-process."""
import importlib
import json
import os
import signal
import subprocess
import tempfile
import time

import grpc
import numpy as np
import pytest

from conftest import REPO, free_port, pulse_binary, require_module, run_pulse, skip_or_fail
from loading_support import fresh_database, serve, wait_for

boto3 = require_module("boto3")
moto_server = require_module("moto.server")
pd = require_module("pandas")
psycopg = require_module("psycopg")
talib = require_module("talib")

AWS = dict(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1",
           AWS_SESSION_TOKEN="")


@pytest.fixture(scope="module")
def pb(tmp_path_factory):
    from grpc_peer_server import ProtocolMissing, compile_protocol

    try:
        compile_protocol(tmp_path_factory.mktemp("stubs"))
    except ProtocolMissing as error:
        skip_or_fail(f"Protocol/ not ready: {error}")
    names = ["market_data_pb2", "quotes_pb2", "quotes_pb2_grpc", "indicators_pb2", "indicators_pb2_grpc"]
    return type("Stubs", (), {n: importlib.import_module(f"pulse.v1.{n}") for n in names})


@pytest.fixture(scope="module")
def endpoint():
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def sqs(endpoint):
    return boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


@pytest.fixture
def database():
    with fresh_database() as url:
        yield url


def queues(sqs, name, max_receives=2):
    """A queue with a dead-letter queue after `max_receives` receives: (queue URL, dead-letter queue URL)."""
    dead = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(QueueName=name, Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": str(max_receives)})})["QueueUrl"]
    return queue, dead


def daily_frame(n, seed=5, start="2022-01-03"):
    rng = np.random.default_rng(seed)
    index = pd.bdate_range(start, periods=n, tz="UTC")
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = np.concatenate([[close[0]], close[:-1]])
    return pd.DataFrame({"open": open_, "high": np.maximum(open_, close) * 1.004,
                         "low": np.minimum(open_, close) * 0.996, "close": close,
                         "volume": rng.integers(1000, 90000, n).astype(float)}, index=index)


def csv_of(frame):
    lines = ["Date,Open,High,Low,Close,Volume"]
    for t, row in zip(frame.index, frame.itertuples(index=False)):
        lines.append(f"{t.date()},{row.open!r},{row.high!r},{row.low!r},{row.close!r},{int(row.volume)}")
    return ("\n".join(lines) + "\n").encode()


def expected_event(symbol, timeframe, frame):
    """The event a write of `frame` must produce, worked out from the frame itself."""
    return {"type": "bars_ingested", "version": 1, "symbol": symbol, "timeframe": timeframe,
            "from": frame.index[0].strftime("%Y-%m-%dT%H:%M:%SZ"),
            "to": frame.index[-1].strftime("%Y-%m-%dT%H:%M:%SZ"), "count": len(frame)}


def take_events(sqs, queue, expected_count, timeout=20):
    """Receives and deletes until `expected_count` messages came (then waits 2 s more for any extra one)."""
    bodies = []
    deadline = time.monotonic() + timeout
    extra_until = None
    while time.monotonic() < (extra_until or deadline):
        for message in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1, MaxNumberOfMessages=10).get(
                "Messages", []):
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        if len(bodies) >= expected_count and extra_until is None:
            extra_until = time.monotonic() + 2
    return bodies


def queue_depth(sqs, queue):
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def redis_keys(port, pattern):
    out = subprocess.run(["redis-cli", "-p", str(port), "--raw", "KEYS", pattern], capture_output=True, text=True,
                         check=True).stdout
    return sorted(line for line in out.split("\n") if line)


def data_version(url, symbol):
    with psycopg.connect(url) as connection:
        return connection.execute("SELECT max(b.id) FROM ingestion_batches b JOIN symbols s ON s.id = b.symbol_id "
                                  "WHERE s.symbol = %s", (symbol,)).fetchone()[0]


def load_csv(pb, address, symbol, frame):
    day = pb.market_data_pb2.Timeframe(unit=pb.market_data_pb2.Timeframe.UNIT_DAY, multiple=1)
    with grpc.insecure_channel(address) as channel:
        return pb.quotes_pb2_grpc.QuotesStub(channel).LoadSymbol(pb.quotes_pb2.LoadSymbolRequest(
            symbol=symbol, source=pb.quotes_pb2.DATA_SOURCE_CSV, timeframe=day, csv=csv_of(frame)), timeout=60)


def compute_request(pb, symbol):
    day = pb.market_data_pb2.Timeframe(unit=pb.market_data_pb2.Timeframe.UNIT_DAY, multiple=1)
    return pb.indicators_pb2.ComputeIndicatorsRequest(symbol=symbol, timeframe=day, indicators=[
        pb.indicators_pb2.IndicatorSpec(function="rsi", parameters=[14]),
        pb.indicators_pb2.IndicatorSpec(function="ema", parameters=[20])])


def compute(pb, address, symbol):
    with grpc.insecure_channel(address) as channel:
        return pb.indicators_pb2_grpc.IndicatorsStub(channel).Compute(compute_request(pb, symbol), timeout=60)


def assert_equals_talib(reply, frame):
    close = frame.close.to_numpy()
    assert len(reply.time_ms) == len(frame)
    np.testing.assert_allclose(reply.indicators[0].outputs[0].values, talib.RSI(close, 14), rtol=0, atol=1e-9)
    np.testing.assert_allclose(reply.indicators[1].outputs[0].values, talib.EMA(close, 20), rtol=0, atol=1e-9)


class Worker:
    def __init__(self, endpoint, queue, database, redis_port, visibility=2):
        self.log_path = tempfile.mktemp(prefix="pulse-worker-", suffix=".log")
        self.stderr = open(self.log_path, "w")
        env = {**os.environ, **AWS, "AWS_ENDPOINT_URL_SQS": endpoint, "DATABASE_URL": database,
               "REDIS_URL": f"redis://127.0.0.1:{redis_port}"}
        self.process = subprocess.Popen(
            [str(pulse_binary()), "worker", "--queue-url", queue, "--wait", "1", "--visibility-timeout",
             str(visibility)], env=env, stdout=subprocess.DEVNULL, stderr=self.stderr)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self.stderr.close()
        return code

    def log(self):
        with open(self.log_path) as f:
            return f.read()


def test_load_symbol_events_reach_sqs_and_the_worker_recomputes_what_clients_asked(pb, endpoint, sqs, database,
                                                                                   redis):
    queue, dead = queues(sqs, "bars-ingested")
    frame = daily_frame(300)
    first, rest = frame.iloc[:250], frame.iloc[250:]
    env = {**AWS, "AWS_ENDPOINT_URL_SQS": endpoint, "PULSE_SQS_QUEUE_URL": queue,
           "REDIS_URL": f"redis://127.0.0.1:{redis}"}
    server = serve(database, env=env)
    worker = None
    try:
        assert load_csv(pb, server.address, "EVTS", first).bars_loaded == 250
        assert take_events(sqs, queue, 1) == [expected_event("EVTS", "1d", first)]
        # The same bars again rewrite nothing and tell nobody anything.
        assert load_csv(pb, server.address, "EVTS", first).bars_loaded == 0
        assert take_events(sqs, queue, 0, timeout=3) == []

        assert_equals_talib(compute(pb, server.address, "EVTS"), first)  # a client asks: noted, cached
        old_version = data_version(database, "EVTS")
        wait_for(lambda: redis_keys(redis, f"cache:{{EVTS}}:ind:v{old_version}:*"), 10, "the first result cached")

        assert load_csv(pb, server.address, "EVTS", rest).bars_loaded == 50
        wait_for(lambda: queue_depth(sqs, queue) == 1, 20, "the second event in the queue")
        new_version = data_version(database, "EVTS")
        assert new_version > old_version
        assert redis_keys(redis, f"cache:{{EVTS}}:ind:v{new_version}:*") == []  # nobody computed it yet

        worker = Worker(endpoint, queue, database, redis)
        wait_for(lambda: redis_keys(redis, f"cache:{{EVTS}}:ind:v{new_version}:*"), 30,
                 "the worker's recomputed result in Redis")
        wait_for(lambda: queue_depth(sqs, queue) == 0, 30, "the processed event deleted")
        assert redis_keys(redis, f"cache:{{EVTS}}:ind:v{old_version}:*") == []  # the stale one dropped
        assert_equals_talib(compute(pb, server.address, "EVTS"), frame)

        # A redelivered event (twice more) changes nothing.
        cached = redis_keys(redis, "cache:{EVTS}:ind:*")
        body = json.dumps(expected_event("EVTS", "1d", rest))
        for _ in range(2):
            sqs.send_message(QueueUrl=queue, MessageBody=body)
        wait_for(lambda: queue_depth(sqs, queue) == 0, 30, "the duplicates processed")
        assert redis_keys(redis, "cache:{EVTS}:ind:*") == cached

        # A poison message fails twice and goes to the dead-letter queue; the worker goes on.
        sqs.send_message(QueueUrl=queue, MessageBody="not an event")
        moved = wait_for(lambda: sqs.receive_message(QueueUrl=dead, WaitTimeSeconds=1).get("Messages"), 40,
                         "the poison message in the dead-letter queue")
        assert [m["Body"] for m in moved] == ["not an event"]
        assert worker.process.poll() is None
        started = time.monotonic()
        assert worker.stop() == 0
        assert time.monotonic() - started < 20
        log = worker.log()
        assert "not a bars_ingested v1 event" in log and "testing" not in log
        worker = None
    finally:
        if worker:
            worker.stop()
        server.terminate()


def store_version(url):
    with psycopg.connect(url) as connection:
        return connection.execute("SELECT max(id) FROM ingestion_batches").fetchone()[0]


def screen(pb, address):
    with grpc.insecure_channel(address) as channel:
        return pb.quotes_pb2_grpc.QuotesStub(channel).Screen(pb.quotes_pb2.ScreenRequest(
            metric=pb.quotes_pb2.SCREEN_METRIC_RETURN, window=5, symbols=["INPR", "INPQ"]), timeout=60)


def assert_screen_row(reply, symbol, frame):
    """The row of `symbol` against the CSV's own last bar and its 5-bar return, worked out here."""
    row = next(r for r in reply.rows if r.symbol == symbol)
    assert row.close == frame.close.iloc[-1] and row.time_ms == frame.index[-1].value // 1_000_000
    assert row.value == pytest.approx(frame.close.iloc[-1] / frame.close.iloc[-6] - 1, rel=1e-12)


def test_without_sqs_the_server_recomputes_in_process(pb, database, redis):
    frame = daily_frame(260, seed=9)
    first, rest = frame.iloc[:200], frame.iloc[200:]
    other = daily_frame(50, seed=10)
    server = serve(database, env={"REDIS_URL": f"redis://127.0.0.1:{redis}", "PULSE_SQS_QUEUE_URL": ""})
    try:
        assert load_csv(pb, server.address, "INPR", first).bars_loaded == 200
        assert load_csv(pb, server.address, "INPQ", other).bars_loaded == 50
        assert_equals_talib(compute(pb, server.address, "INPR"), first)
        assert_screen_row(screen(pb, server.address), "INPR", first)  # asked: noted and cached
        old = store_version(database)
        wait_for(lambda: redis_keys(redis, f"cache:{{*}}:screen:v{old}:*"), 10, "the screen cached")

        assert load_csv(pb, server.address, "INPR", rest).bars_loaded == 60
        version = data_version(database, "INPR")
        wait_for(lambda: redis_keys(redis, f"cache:{{INPR}}:ind:v{version}:*"), 30,
                 "the recomputed result cached without a client asking")
        new = store_version(database)
        wait_for(lambda: redis_keys(redis, f"cache:{{*}}:screen:v{new}:*"), 30,
                 "the recomputed screen cached without a client asking")
        assert redis_keys(redis, f"cache:{{*}}:screen:v{old}:*") == []
        assert_equals_talib(compute(pb, server.address, "INPR"), frame)
        reply = screen(pb, server.address)
        assert_screen_row(reply, "INPR", frame)
        assert_screen_row(reply, "INPQ", other)
    finally:
        server.terminate()


def test_pulse_import_and_the_simulated_history_send_their_events(endpoint, sqs, database, redis, tmp_path):
    queue, _ = queues(sqs, "import-events")
    more = daily_frame(45, seed=11)
    frame = more.iloc[:40]
    path = tmp_path / "IMPT.csv"
    path.write_bytes(csv_of(frame))
    env = {**os.environ, **AWS, "AWS_ENDPOINT_URL_SQS": endpoint, "PULSE_SQS_QUEUE_URL": queue}
    proc = subprocess.run([str(pulse_binary()), "import", str(path), "--symbol", "IMPT", "--database-url", database],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert take_events(sqs, queue, 1) == [expected_event("IMPT", "1d", frame)]
    again = subprocess.run([str(pulse_binary()), "import", str(path), "--symbol", "IMPT", "--database-url",
                            database], capture_output=True, text=True, env=env, timeout=120)
    assert again.returncode == 0 and "0 rows written" in again.stdout
    assert take_events(sqs, queue, 0, timeout=3) == []
    # A queue that does not exist: the bars are stored anyway, and the warning names no credential.
    path.write_bytes(csv_of(more))
    missing = subprocess.run([str(pulse_binary()), "import", str(path), "--symbol", "IMPT", "--database-url",
                              database], capture_output=True, text=True, timeout=120,
                             env={**env, "PULSE_SQS_QUEUE_URL": queue.replace("import-events", "nope")})
    assert missing.returncode == 0, missing.stderr
    assert "5 rows written" in missing.stdout and "event was not sent" in missing.stderr
    assert "testing" not in missing.stderr

    # The simulated feed's history at its first start: a 1d and a 1m event per symbol, each with the range stored.
    server = serve(database, env={**AWS, "AWS_ENDPOINT_URL_SQS": endpoint, "PULSE_SQS_QUEUE_URL": queue,
                                  "REDIS_URL": f"redis://127.0.0.1:{redis}"},
                   extra=["--feed", "simulated", "--symbols", "SIMA,SIMB", "--sim-history-days", "30",
                          "--tick-rate", "1"])
    try:
        events = take_events(sqs, queue, 4, timeout=60)
    finally:
        server.terminate()
    daily = sorted((e["symbol"], e["count"]) for e in events if e["timeframe"] == "1d")
    assert [symbol for symbol, _ in daily] == ["SIMA", "SIMB"]
    with psycopg.connect(database) as connection:
        def stored(symbol, timeframe):
            return connection.execute(
                "SELECT min(b.ts), max(b.ts), count(*) FROM bars b JOIN symbols s ON s.id = b.symbol_id "
                "WHERE s.symbol = %s AND b.timeframe = %s", (symbol, timeframe)).fetchone()

        def stamp(t):
            return t.strftime("%Y-%m-%dT%H:%M:%SZ")

        for symbol, count in daily:
            first, last, stored_count = stored(symbol, "1d")
            event = next(e for e in events if e["symbol"] == symbol and e["timeframe"] == "1d")
            assert (event["from"], event["to"], count) == (stamp(first), stamp(last), stored_count)
            # The first 1-minute event starts where the stored minutes start (live minutes may follow it).
            minutes = next(e for e in events if e["symbol"] == symbol and e["timeframe"] == "1m")
            assert minutes["from"] == stamp(stored(symbol, "1m")[0]) and minutes["count"] > 1000

"""`pulse lambda --handler ingest` behind the fake Runtime API, in front of `pulse serve` with a fresh PostgreSQL
database: AWS's sample EventBridge scheduled event (aws-sam-cli's, Tests/PulseLambdaTests/Events) loads each
listed symbol through LoadSymbol, and what the answer reports is what psycopg then finds in `bars`. Also: the
SQS sample is refused as a bad event, and an unreachable server fails the invocation."""
import json
import os
import signal
import subprocess

from conftest import REPO, pulse_binary
from lambda_support import Runtime
from loading_support import fresh_database, require_database, serve

require_database()
EVENTS = REPO / "Tests" / "PulseLambdaTests" / "Events"


def _count(url, symbol):
    import psycopg
    with psycopg.connect(url) as connection:
        return connection.execute(
            "SELECT b.timeframe, count(*) FROM bars b JOIN symbols s ON s.id = b.symbol_id WHERE s.symbol = %s "
            "GROUP BY b.timeframe", (symbol,)).fetchall()


def _lambda(runtime, upstream, tmp_path):
    return subprocess.Popen([str(pulse_binary()), "lambda", "--handler", "ingest", "--runtime-api", runtime.address,
                             "--upstream", upstream, "--ingest-symbols", "SIMLA,simlb"],
                            env=dict(os.environ, PULSE_LAMBDA_HANDLER=""), stderr=open(tmp_path / "lambda.log", "w"))


def _stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def test_scheduled_event_loads_each_symbol(tmp_path):
    scheduled = json.loads((EVENTS / "sam-cloudwatch-scheduled-event.json").read_text())
    with fresh_database() as url:
        server = serve(url)
        runtime = Runtime(tmp_path)
        lam = _lambda(runtime, server.address, tmp_path)
        try:
            answer = runtime.invoke(scheduled, timeout=120)
            assert answer["schedule"] == "arn:aws:events:us-east-1:123456789012:rule/ExampleRule"
            assert [s["symbol"] for s in answer["symbols"]] == ["SIMLA", "SIMLB"]
            for item in answer["symbols"]:
                loaded = item["loaded"]
                assert loaded["bars_loaded"] > 0, item
                stored = dict(_count(url, item["symbol"]))
                assert loaded["bars_loaded"] in stored.values(), (loaded, stored)

            refused = runtime.outcome(json.loads((EVENTS / "sam-sqs-receive-message.json").read_text()))
            assert refused["kind"] == "error" and refused["error_type"] == "Function.BadEvent", refused
        finally:
            _stop(lam)
            runtime.stop()
            server.process.send_signal(signal.SIGTERM)
            server.process.wait(timeout=20)


def test_an_unreachable_server_fails_the_invocation(tmp_path):
    runtime = Runtime(tmp_path)
    lam = _lambda(runtime, "127.0.0.1:9", tmp_path)
    try:
        failed = runtime.outcome(json.loads((EVENTS / "sam-cloudwatch-scheduled-event.json").read_text()), timeout=120)
        assert failed["kind"] == "error" and failed["error_type"] == "Function.UpstreamFailed", failed
        body = json.loads(failed["body"])
        assert "127.0.0.1" not in body["errorMessage"]
    finally:
        _stop(lam)
        runtime.stop()

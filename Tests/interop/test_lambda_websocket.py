"""`pulse lambda --handler bridge` as Lambda runs it: invocations from a fake Runtime API
(fake_lambda_runtime.py), a real `pulse serve` (simulated feed into a real Redis) upstream, frames back to the
browser through a local @connections endpoint that verifies each SigV4 with botocore (fake_connections.py).

The WebSocket events start from API Gateway's recorded shapes (Tests/PulseBridgeTests/Events); the connection
id `L0SM9cOFvHcCIhw=` needs percent-encoding in the @connections path, the case libcurl's own signer gets wrong.
Checked: `$connect ?symbols=` subscribes (an unknown symbol refuses the upgrade), subscribe/unsubscribe answer
with acknowledgements, bad JSON and an unknown symbol with error frames (the socket stays), `resume` replays
the tick log's entries after the given sequence (compared with the log read straight from Redis), `$disconnect`
empties the registry (read with redis-cli), then `pulse pusher` delivers live ticks to a connection the Lambda
registered.
"""
import copy
import json
import os
import pathlib
import signal
import socket
import subprocess
import time

import pytest

from conftest import REPO, pulse_binary, require_module
from lambda_support import Runtime
from serve_process import ServeProcess

require_module("botocore")
from fake_connections import FakeConnections  # noqa: E402
import tick_log

EVENTS = REPO / "Tests" / "PulseBridgeTests" / "Events"
KEY_ID, SECRET, TOKEN = "AKIDLAMBDAEXAMPLE", "lambda/secret+EXAMPLE", "IQoJlambdaTOKEN/="
CONNECTION = "L0SM9cOFvHcCIhw="


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), "--raw", *args], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture()
def redis(tmp_path):
    port = _free_port()
    folder = tmp_path / "redis"
    subprocess.run(["bash", str(REPO / "scripts/redis.sh"), "start", str(folder), str(port)], check=True)
    yield port
    subprocess.run(["bash", str(REPO / "scripts/redis.sh"), "stop", str(folder), str(port)], check=False)


def _message(body):
    event = json.loads((EVENTS / "websocket-default-message.json").read_text())
    event["body"] = body
    return event


def _frames(fake, start):
    with fake.lock:
        return [json.loads(body) for connection, body in fake.posts[start:] if connection == CONNECTION]


def test_websocket_routes_through_the_lambda_and_the_pusher(redis, tmp_path):
    server = ServeProcess([pulse_binary(), "serve", "--port", "0", "--redis-url", f"redis://127.0.0.1:{redis}",
                           "--symbols", "AAPL,MSFT,SPY", "--tick-rate", "20"], env={"DATABASE_URL": ""})
    runtime = Runtime(tmp_path)
    env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_SESSION_TOKEN=TOKEN,
               AWS_REGION="us-east-1")
    with FakeConnections(KEY_ID, SECRET, TOKEN) as fake:
        endpoint = f"http://127.0.0.1:{fake.port}/prod"
        lam = subprocess.Popen([str(pulse_binary()), "lambda", "--handler", "bridge", "--runtime-api",
                                runtime.address, "--upstream", server.address, "--redis-url",
                                f"redis://127.0.0.1:{redis}", "--ws-endpoint", endpoint],
                               env=env, stderr=open(tmp_path / "lambda.log", "w"))
        pusher = None
        try:
            time.sleep(2)  # a few ticks in the log for the resume below
            connect = json.loads((EVENTS / "websocket-connect.json").read_text())
            assert runtime.invoke(connect) == {"statusCode": 200}
            assert sorted(_cli(redis, "SMEMBERS", f"ws:conn:{CONNECTION}").split()) == ["AAPL", "MSFT"]

            refused = copy.deepcopy(connect)
            refused["requestContext"]["connectionId"] = "refused1"
            refused["queryStringParameters"] = {"symbols": "NOPE"}
            refused["multiValueQueryStringParameters"] = {"symbols": ["NOPE"]}
            answer = runtime.invoke(refused)
            assert answer["statusCode"] == 404
            assert json.loads(answer["body"])["error"]["code"] == "NOT_FOUND"
            assert _cli(redis, "EXISTS", "ws:conn:refused1").strip() == "0"

            # X-Ray's trace header of the invocation goes on with the frames it sends.
            trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
            start = len(fake.posts)
            assert runtime.invoke(_message('{"action":"subscribe","symbol":"AAPL"}'), trace=trace) == \
                {"statusCode": 200}
            assert fake.trace_ids[start:] == [trace]
            start = len(fake.posts)
            for body in ['{"action":"subscribe","symbol":"SPY"}', "{not json", '{"action":"subscribe","symbol":"NOPE"}',
                         '{"action":"unsubscribe","symbols":["MSFT"]}']:
                assert runtime.invoke(_message(body)) == {"statusCode": 200}
            frames = _frames(fake, start)
            assert frames[0] == {"type": "subscribed", "symbols": ["AAPL", "MSFT", "SPY"]}
            assert set(fake.trace_ids[start:]) == {None}  # not the previous invocation's
            assert frames[1]["type"] == "error" and frames[1]["error"]["code"] == "INVALID_ARGUMENT"
            assert frames[2]["type"] == "error" and frames[2]["error"]["code"] == "NOT_FOUND"
            assert frames[3] == {"type": "subscribed", "symbols": ["AAPL", "SPY"]}

            log = tick_log.prices(redis, "AAPL")
            assert len(log) >= 4, "the feed wrote too few ticks"
            after = max(log) - 3
            start = len(fake.posts)
            assert runtime.invoke(_message(json.dumps({"action": "resume", "sequences": {"AAPL": after}}))) == \
                {"statusCode": 200}
            frames = _frames(fake, start)
            replayed = [f for f in frames if "price" in f]
            assert [f["sequence"] for f in replayed][:3] == [after + 1, after + 2, after + 3]
            for tick in replayed:
                assert tick["symbol"] == "AAPL" and tick["price"] == tick_log.prices(redis, "AAPL")[tick["sequence"]]
            assert frames[-1] == {"type": "subscribed", "symbols": ["AAPL", "SPY"]}

            # Live ticks to the connection the Lambda registered.
            pusher = subprocess.Popen([str(pulse_binary()), "pusher", "--endpoint", endpoint, "--redis-url",
                                       f"redis://127.0.0.1:{redis}", "--refresh", "0.2"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=open(tmp_path / "pusher.log", "w"))
            start = len(fake.posts)
            assert fake.wait_for(lambda f: {json.loads(b).get("symbol") for c, b in f.posts[start:]} >= {"AAPL", "SPY"},
                                 timeout=60), (tmp_path / "pusher.log").read_text()[-2000:]

            disconnect = json.loads((EVENTS / "websocket-disconnect.json").read_text())
            assert runtime.invoke(disconnect) == {"statusCode": 200}
            assert _cli(redis, "EXISTS", f"ws:conn:{CONNECTION}").strip() == "0"
            assert _cli(redis, "SMEMBERS", "ws:symbols").split() == []
            assert fake.bad_signatures == 0
        finally:
            for process in (pusher, lam):
                if process is not None:
                    process.send_signal(signal.SIGTERM)
                    try:
                        process.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        process.kill()
            runtime.stop()
            server.process.send_signal(signal.SIGTERM)
            server.process.wait(timeout=20)

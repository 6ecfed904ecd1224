"""`pulse pusher` against a local @connections endpoint that verifies each request's SigV4 with botocore.

Real ticks come from `pulse serve`'s simulated feed into a real Redis (scripts/redis.sh); the registry is
written with redis-cli in its documented layout (README "Lambdas and the pusher"). Checked: every post is
signed as botocore signs it (with a session token), each tick has the seed's shape and matches the tick log
entry of its sequence (read with redis-cli), sequence numbers advance by 1 + `conflated`, the connection that
answers 410 Gone is dropped from the registry, and a tampered request fails the verification.
"""
import json
import os
import re
import signal
import socket
import subprocess
import time

import pytest

from conftest import REPO, pulse_binary, require_module
from serve_process import ServeProcess

require_module("botocore")
from fake_connections import FakeConnections, expected_authorization  # noqa: E402
import tick_log

KEY_ID = "AKIDPUSHEREXAMPLE"
SECRET = "pusher/secret+EXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEtoken/with=chars"


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


def _cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), "--raw", *args], capture_output=True, text=True,
                          check=True).stdout


def _subscribe(port, connection, *symbols):
    for symbol in symbols:
        _cli(port, "SADD", f"ws:conn:{connection}", symbol)
        _cli(port, "SADD", f"ws:sym:{symbol}", connection)
        _cli(port, "SADD", "ws:symbols", symbol)


def test_pusher_posts_signed_ticks_and_drops_gone_connections(redis):
    server = ServeProcess([pulse_binary(), "serve", "--port", "0", "--redis-url", f"redis://127.0.0.1:{redis}",
                           "--symbols", "AAPL,MSFT", "--tick-rate", "50"], env={"DATABASE_URL": ""})
    _subscribe(redis, "c1", "AAPL")
    _subscribe(redis, "c2", "AAPL", "MSFT")
    _subscribe(redis, "gone1", "MSFT")
    with FakeConnections(KEY_ID, SECRET, TOKEN, gone={"gone1"}) as fake:
        env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_SESSION_TOKEN=TOKEN,
                   AWS_REGION="us-east-1")
        pusher = subprocess.Popen(
            [str(pulse_binary()), "pusher", "--endpoint", f"http://127.0.0.1:{fake.port}/prod",
             "--redis-url", f"redis://127.0.0.1:{redis}", "--refresh", "0.2"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert pusher.stdout.readline().startswith("pusher running:")

            def enough(f):
                by = {}
                for connection, body in f.posts:
                    symbol = json.loads(body).get("symbol")  # heartbeats have none
                    by[(connection, symbol)] = by.get((connection, symbol), 0) + 1
                return (f.gone_posts and all(by.get(k, 0) >= 5 for k in
                                             [("c1", "AAPL"), ("c2", "AAPL"), ("c2", "MSFT")]))
            assert fake.wait_for(enough, timeout=60), (fake.posts[-3:], fake.gone_posts, fake.bad_signatures)
            # The gone connection leaves the registry (the pusher removes it after its 410).
            deadline = time.monotonic() + 30
            while _cli(redis, "EXISTS", "ws:conn:gone1").strip() != "0" and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _cli(redis, "EXISTS", "ws:conn:gone1").strip() == "0"
            assert "gone1" not in _cli(redis, "SMEMBERS", "ws:sym:MSFT").split()
            assert sorted(_cli(redis, "SMEMBERS", "ws:sym:AAPL").split()) == ["c1", "c2"]
        finally:
            pusher.send_signal(signal.SIGTERM)
            try:
                assert pusher.wait(timeout=20) == 0, pusher.stderr.read()[-2000:]
            finally:
                if pusher.poll() is None:
                    pusher.kill()
                server.process.send_signal(signal.SIGTERM)
                server.process.wait(timeout=20)

        assert fake.bad_signatures == 0
        assert len(fake.gone_posts) >= 1
        posts = list(fake.posts)

    prices = {symbol: tick_log.prices(redis, symbol) for symbol in ("AAPL", "MSFT")}
    last = {}
    for connection, body in posts:
        tick = json.loads(body)
        if tick.get("type") == "heartbeat":
            continue
        assert set(tick) == {"symbol", "price", "timestamp", "sequence", "volume", "conflated"}, tick
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z", tick["timestamp"]), tick
        assert tick["price"] == prices[tick["symbol"]][tick["sequence"]], tick
        key = (connection, tick["symbol"])
        if key in last:
            # Every sequence is either delivered or counted as conflated into the next one.
            assert tick["sequence"] == last[key] + 1 + tick["conflated"], (key, last[key], tick)
        last[key] = tick["sequence"]
    assert {c for c, _ in posts} == {"c1", "c2"}


def test_pusher_sends_heartbeats_when_quiet_and_reports_gaps(redis):
    """A symbol nobody writes gets heartbeats; ticks written straight into the log (XADD, the documented layout)
    with a hole in their numbering arrive as tick, gap, tick — every sequence delivered, conflated or reported."""
    _subscribe(redis, "q1", "GAPPY")
    with FakeConnections(KEY_ID, SECRET, TOKEN) as fake:
        env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_SESSION_TOKEN=TOKEN,
                   AWS_REGION="us-east-1")
        pusher = subprocess.Popen(
            [str(pulse_binary()), "pusher", "--endpoint", f"http://127.0.0.1:{fake.port}/prod",
             "--redis-url", f"redis://127.0.0.1:{redis}", "--refresh", "0.2", "--heartbeat", "0.5"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert pusher.stdout.readline().startswith("pusher running:")
            assert fake.wait_for(lambda f: any(json.loads(b).get("type") == "heartbeat" for _, b in f.posts),
                                 timeout=30)
            now = int(time.time() * 1000)
            for sequence in (1, 2, 10, 11):
                _cli(redis, "XADD", "tick:{GAPPY}", f"{sequence}-0", "t", str(now + sequence), "p",
                     str(100 + sequence), "s", "5", "b", "0", "a", "0", "i", str(now * 1000))
            assert fake.wait_for(
                lambda f: any(json.loads(b).get("sequence") == 11 for _, b in f.posts), timeout=30), fake.posts
        finally:
            pusher.send_signal(signal.SIGTERM)
            try:
                assert pusher.wait(timeout=20) == 0
            finally:
                if pusher.poll() is None:
                    pusher.kill()
        frames = [json.loads(b) for c, b in fake.posts if c == "q1"]
        assert fake.bad_signatures == 0
    heartbeat = next(f for f in frames if f.get("type") == "heartbeat")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z", heartbeat["timestamp"])
    # Between two ticks, every skipped number is either folded into the later one (conflated) or in a gap frame.
    last, reported, gaps = 0, 0, []
    for frame in frames:
        if frame.get("type") == "gap":
            assert frame["symbol"] == "GAPPY"
            gaps.append((frame["first"], frame["last"]))
            reported += frame["last"] - frame["first"] + 1
        elif "sequence" in frame:
            assert frame["sequence"] == last + 1 + frame["conflated"] + reported, (frame, last, frames)
            assert frame["price"] == 100 + frame["sequence"]
            last, reported = frame["sequence"], 0
    assert gaps == [(3, 9)]
    assert last == 11


def test_the_fake_rejects_a_tampered_signature():
    """The verifier can fail: the same request with a changed body or a wrong secret no longer matches."""
    headers = {"Host": "127.0.0.1:1", "X-Amz-Date": "20240315T123456Z", "X-Amz-Security-Token": TOKEN}
    good = expected_authorization("POST", "http://127.0.0.1:1/prod/@connections/abc%3D", dict(
        headers, Authorization="x SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=0"), b"{}",
        KEY_ID, SECRET, TOKEN, "us-east-1")
    signed = dict(headers, Authorization=good)
    assert expected_authorization("POST", "http://127.0.0.1:1/prod/@connections/abc%3D", signed, b"{}",
                                  KEY_ID, SECRET, TOKEN, "us-east-1") == good
    assert expected_authorization("POST", "http://127.0.0.1:1/prod/@connections/abc%3D", signed, b"{ }",
                                  KEY_ID, SECRET, TOKEN, "us-east-1") != good
    assert expected_authorization("POST", "http://127.0.0.1:1/prod/@connections/abc%3D", signed, b"{}",
                                  KEY_ID, "other", TOKEN, "us-east-1") != good

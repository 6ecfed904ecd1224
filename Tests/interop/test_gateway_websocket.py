"""The WebSocket `/ws` of `pulse gateway`, driven by the `websockets` package (not ours) in front of `pulse serve`
with the simulated feed and a real Redis tick log: the seed's subscribe message, ticks in the seed's shape whose
prices and sequences equal the feed's own ticks read back from the tick log with redis-cli, unsubscribe, JSON error
messages that leave the socket open, heartbeats, the 128 KB message cap, and a resume after a reconnect that loses
and repeats nothing.
"""
import asyncio
import json
import re
import socket
import subprocess
import urllib.error
import urllib.request

import pytest

from conftest import REPO, free_port, pulse_binary, require_module
from serve_process import ServeProcess
from gateway_support import Gateway
from tick_log import entries as tick_log_entries

websockets = require_module("websockets")
ws_errors = require_module("websockets.exceptions")

SYMBOLS = ["AAPL", "MSFT", "GOOG"]
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
TICK_KEYS = {"symbol", "price", "timestamp", "sequence", "volume", "conflated"}
WAIT = 60  # seconds: a safety net only; every wait ends on the awaited message


@pytest.fixture(scope="module")
def stack(redis):
    server = ServeProcess([pulse_binary(), "serve", "--port", "0", "--loops", "2", "--feed", "simulated",
                           "--redis-url", f"redis://127.0.0.1:{redis}", "--symbols", ",".join(SYMBOLS),
                           "--tick-rate", "60"], env={"DATABASE_URL": "", "ALPHA_VANTAGE_API_KEY": ""})
    gateway = None
    try:
        gateway = Gateway(server.address, "--heartbeat", "0.5")
        yield gateway, redis
    finally:
        if gateway:
            gateway.stop()
        server.terminate()


def tick_log(port, symbol):
    """{sequence: (price, size)} of the symbol's tick log, read straight from Redis (tick_log.py decodes it)."""
    return {sequence: (tick["p"], tick["s"]) for sequence, tick in tick_log_entries(port, symbol)}


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, WAIT * 2))


async def receive(ws, predicate, what):
    """The next message for which `predicate` holds (others are skipped); fails after WAIT seconds."""
    async def loop():
        while True:
            message = json.loads(await ws.recv())
            if predicate(message):
                return message
    try:
        return await asyncio.wait_for(loop(), WAIT)
    except asyncio.TimeoutError:
        pytest.fail(f"no {what} within {WAIT} s")


def is_tick(message, symbol=None):
    return "type" not in message and (symbol is None or message.get("symbol") == symbol)


class Ledger:
    """A browser's view of one symbol: no duplicate, no unreported hole (a tick covers `conflated` sequences before
    it; a gap message covers its range)."""

    def __init__(self, last=None):
        self.last = last
        self.ticks = []

    def add(self, message):
        if message.get("type") == "gap":
            if self.last is not None:
                assert message["first_missing"] == self.last + 1, message
            self.last = message["last_missing"]
            return
        sequence = message["sequence"]
        if self.last is not None:
            assert sequence > self.last, f"duplicate or out of order {sequence} after {self.last}"
            assert sequence - message["conflated"] == self.last + 1, f"hole: {message} after {self.last}"
        self.last = sequence
        self.ticks.append(message)


def ws_url(gateway, query=""):
    return f"ws://{gateway.address}/ws{query}"


def test_seed_subscribe_message_gets_ticks_in_the_seed_shape(stack):
    gateway, redis_port = stack

    async def scenario():
        async with websockets.connect(ws_url(gateway)) as ws:
            await ws.send(json.dumps({"action": "subscribe", "symbol": "AAPL"}))
            ack = await receive(ws, lambda m: m.get("type") == "subscribed", "acknowledgement")
            assert ack == {"type": "subscribed", "symbols": ["AAPL"]}
            ledger = Ledger()
            while len(ledger.ticks) < 20:
                ledger.add(await receive(ws, lambda m: is_tick(m) or m.get("type") == "gap", "tick"))
            return ledger.ticks

    ticks = run(scenario())
    for tick in ticks:
        assert set(tick) == TICK_KEYS, tick
        assert tick["symbol"] == "AAPL"
        assert isinstance(tick["price"], float) and tick["price"] > 0
        assert RFC3339.match(tick["timestamp"]), tick["timestamp"]
        assert tick["volume"] > 0
    # The same ticks as the feed wrote to its log, read without pulse.
    log = tick_log(redis_port, "AAPL")
    assert [t["price"] for t in ticks] == [log[t["sequence"]][0] for t in ticks]
    unconflated = [t for t in ticks if t["conflated"] == 0]
    assert unconflated and [t["volume"] for t in unconflated] == [log[t["sequence"]][1] for t in unconflated]


def test_symbols_list_unsubscribe_and_errors_keep_the_socket_open(stack):
    gateway, _ = stack

    async def scenario():
        async with websockets.connect(ws_url(gateway)) as ws:
            async def ask(message, what):
                await ws.send(message if isinstance(message, str) else json.dumps(message))
                return await receive(ws, lambda m: m.get("type") in ("subscribed", "error"), what)

            ack = await ask({"action": "subscribe", "symbols": ["msft", "GOOG"]}, "acknowledgement")
            assert ack == {"type": "subscribed", "symbols": ["MSFT", "GOOG"]}
            await receive(ws, lambda m: is_tick(m, "MSFT"), "MSFT tick")
            await receive(ws, lambda m: is_tick(m, "GOOG"), "GOOG tick")

            errors = {}
            for name, message in [
                ("bad json", "{not json"),
                ("not an object", "[1,2]"),
                ("unknown action", {"action": "dance", "symbol": "AAPL"}),
                ("unknown symbol", {"action": "subscribe", "symbol": "NOPE"}),
                ("bad symbol", {"action": "subscribe", "symbol": "no spaces!"}),
                ("too many", {"action": "subscribe", "symbols": [f"S{i}" for i in range(60)]}),
            ]:
                reply = await ask(message, name)
                assert reply["type"] == "error", (name, reply)
                assert set(reply["error"]) == {"code", "message"} and reply["error"]["message"], reply
                assert "127.0.0.1" not in reply["error"]["message"]
                errors[name] = reply["error"]["code"]
            assert errors == {"bad json": "INVALID_ARGUMENT", "not an object": "INVALID_ARGUMENT",
                              "unknown action": "INVALID_ARGUMENT", "unknown symbol": "NOT_FOUND",
                              "bad symbol": "INVALID_ARGUMENT", "too many": "RESOURCE_EXHAUSTED"}

            # Still open, still subscribed; then unsubscribe: the acknowledgement lists what remains and no MSFT
            # tick follows it (GOOG ticks do).
            ack = await ask({"action": "unsubscribe", "symbol": "MSFT"}, "acknowledgement")
            assert ack == {"type": "subscribed", "symbols": ["GOOG"]}
            after = []
            while sum(1 for m in after if is_tick(m, "GOOG")) < 10:
                after.append(await receive(ws, is_tick, "tick after unsubscribe"))
            assert not [m for m in after if m["symbol"] == "MSFT"]

    run(scenario())


def test_heartbeats_when_quiet(stack):
    gateway, _ = stack

    async def scenario():
        async with websockets.connect(ws_url(gateway)) as ws:
            beats = [await receive(ws, lambda m: m.get("type") == "heartbeat", "heartbeat") for _ in range(2)]
            for beat in beats:
                assert RFC3339.match(beat["timestamp"]), beat

    run(scenario())


def test_connect_query_subscribes(stack):
    gateway, _ = stack

    async def scenario():
        async with websockets.connect(ws_url(gateway, "?symbols=AAPL,MSFT")) as ws:
            ack = await receive(ws, lambda m: m.get("type") == "subscribed", "acknowledgement")
            assert ack["symbols"] == ["AAPL", "MSFT"]
            await receive(ws, lambda m: is_tick(m, "MSFT"), "MSFT tick")

    run(scenario())


def test_timing_adds_the_ingest_time_and_only_when_asked(stack):
    """`?timing=1` (what pulse-load's WebSocket mode connects with) adds the feed's ingest time to each tick: the
    very microseconds the tick log holds for that sequence; a socket that did not ask gets the seed's keys only."""
    gateway, redis_port = stack

    async def scenario():
        async with websockets.connect(ws_url(gateway, "?timing=1&symbols=MSFT")) as timed, \
                websockets.connect(ws_url(gateway, "?symbols=MSFT")) as plain:
            timed_ticks = [await receive(timed, lambda m: is_tick(m, "MSFT"), "timed tick") for _ in range(5)]
            plain_ticks = [await receive(plain, lambda m: is_tick(m, "MSFT"), "tick") for _ in range(5)]
            return timed_ticks, plain_ticks

    timed_ticks, plain_ticks = run(scenario())
    log = {sequence: tick["i"] for sequence, tick in tick_log_entries(redis_port, "MSFT")}
    for tick in timed_ticks:
        assert set(tick) == TICK_KEYS | {"ingest_time_us"}, tick
        assert isinstance(tick["ingest_time_us"], int) and tick["ingest_time_us"] == log[tick["sequence"]], tick
    assert all(set(tick) == TICK_KEYS for tick in plain_ticks), plain_ticks


def test_resume_after_reconnect_loses_and_repeats_nothing(stack):
    gateway, redis_port = stack

    async def scenario():
        ledger = Ledger()
        async with websockets.connect(ws_url(gateway)) as ws:
            await ws.send(json.dumps({"action": "subscribe", "symbol": "GOOG"}))
            await receive(ws, lambda m: m.get("type") == "subscribed", "acknowledgement")
            while len(ledger.ticks) < 5:
                ledger.add(await receive(ws, lambda m: is_tick(m) or m.get("type") == "gap", "tick"))
        left_at = ledger.last
        # Away long enough for the feed to move on (ticks keep landing in the log meanwhile).
        log = tick_log(redis_port, "GOOG")
        while max(log) < left_at + 10:
            await asyncio.sleep(0.2)
            log = tick_log(redis_port, "GOOG")
        async with websockets.connect(ws_url(gateway)) as ws:
            await ws.send(json.dumps({"action": "resume", "sequences": {"GOOG": left_at}}))
            ack = await receive(ws, lambda m: m.get("type") in ("subscribed", "error"), "acknowledgement")
            assert ack == {"type": "subscribed", "symbols": ["GOOG"]}
            resumed = Ledger(last=left_at)
            while not resumed.ticks or resumed.last < left_at + 25:
                resumed.add(await receive(ws, lambda m: is_tick(m) or m.get("type") == "gap", "resumed tick"))
        return left_at, resumed

    left_at, resumed = run(scenario())
    # The first resumed tick continues right after what the browser saw (Ledger checked every later one).
    first = resumed.ticks[0]
    assert first["sequence"] - first["conflated"] == left_at + 1
    log = tick_log(redis_port, "GOOG")
    assert [t["price"] for t in resumed.ticks] == [log[t["sequence"]][0] for t in resumed.ticks]


def test_message_over_128_kb_closes_the_socket(stack):
    gateway, _ = stack

    async def scenario():
        async with websockets.connect(ws_url(gateway), max_size=None) as ws:
            await ws.send(json.dumps({"action": "subscribe", "symbols": ["A" * 10] * 14_000}))
            with pytest.raises(ws_errors.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), WAIT)
            return closed.value

    closed = run(scenario())
    assert closed.rcvd is not None and closed.rcvd.code == 1009  # "message too big"


def test_connections_endpoint_answers_gone_for_unknown_ids(stack):
    gateway, _ = stack
    request = urllib.request.Request(f"http://{gateway.address}/@connections/NoSuchConnection0=", data=b"{}",
                                     method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 410


def scrape(gateway):
    """The gateway's /metrics parsed by prometheus_client (not ours): {(name, labels): value}."""
    parser = require_module("prometheus_client.parser")
    with urllib.request.urlopen(f"http://{gateway.address}/metrics", timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in parser.text_string_to_metric_families(text) for s in family.samples}


def test_gateway_metrics(stack):
    gateway, _ = stack
    health = ("pulse_gateway_requests_total", (("route", "/health"), ("status", "200")))
    before = scrape(gateway)
    for _ in range(3):
        with urllib.request.urlopen(f"http://{gateway.address}/health", timeout=30) as response:
            assert response.status == 200

    async def scenario():
        async with websockets.connect(ws_url(gateway)) as ws:
            await ws.send(json.dumps({"action": "subscribe", "symbol": "MSFT"}))
            await receive(ws, lambda m: m.get("type") == "subscribed", "acknowledgement")
            for _ in range(5):
                await receive(ws, is_tick, "tick")
            return scrape(gateway)

    during = run(scenario())
    assert during[health] - before.get(health, 0) == 3
    assert during[("pulse_gateway_websocket_connections", ())] >= 1
    assert during[("pulse_gateway_upstream_subscriptions", ())] >= 1
    assert during[("pulse_gateway_websocket_messages_total", ())] - \
        before.get(("pulse_gateway_websocket_messages_total", ()), 0) >= 1
    # The acknowledgement and at least five ticks were pushed to this socket.
    assert during[("pulse_gateway_pushes_total", ())] - before.get(("pulse_gateway_pushes_total", ()), 0) >= 6
    assert ("pulse_gateway_request_duration_seconds_count", (("route", "/health"),)) in during

"""Browser credentials through `pulse gateway` to a `pulse serve --auth on` with keys made by `pulse keys create`
on the test PostgreSQL: REST `Authorization: Bearer` and `x-api-key`, the WebSocket key as a `$connect` query
parameter. The server decides (the gateway checks nothing itself): no/bad key 401, wrong scope 403, a rate-limited
key 429 with `Retry-After` from the RetryInfo the server put in `grpc-status-details-bin` (read here with
grpcio-status for the same key, independently of the gateway), health always open; every refusal a JSON error.
"""
import asyncio
import json
import os
import time
import uuid

import grpc
import pytest

from conftest import pulse_binary, require_module, run_pulse, skip_or_fail
from gateway_support import Gateway
from serve_process import ServeProcess

websockets = require_module("websockets")
ws_errors = require_module("websockets.exceptions")
rpc_status = require_module("grpc_status.rpc_status")
error_details_pb2 = require_module("google.rpc.error_details_pb2")

SYMBOLS = ["AAPL", "MSFT"]


@pytest.fixture(scope="module")
def database():
    url = os.environ.get("PULSE_TEST_DATABASE_URL")
    if not url:
        skip_or_fail("PULSE_TEST_DATABASE_URL is not set (scripts/test.sh starts a PostgreSQL and sets it)")
    return url


@pytest.fixture(scope="module")
def stack(database):
    server = ServeProcess([pulse_binary(), "serve", "--port", "0", "--auth", "on", "--database-url", database,
                           "--feed", "simulated", "--symbols", ",".join(SYMBOLS), "--tick-rate", "40"],
                          env={"DATABASE_URL": "", "REDIS_URL": "", "ALPHA_VANTAGE_API_KEY": ""})
    gateway = None
    try:
        gateway = Gateway(server.address)
        yield gateway, server
    finally:
        if gateway:
            gateway.stop()
        server.terminate()


def create_key(database, *flags):
    done = run_pulse("keys", "create", "--database-url", database, "--name", f"gw{uuid.uuid4().hex[:12]}", *flags)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def error_of(raw):
    body = json.loads(raw)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return body["error"]


def test_health_is_open_and_a_missing_or_bad_key_is_401(stack):
    gateway, _ = stack
    status, _, raw = gateway.request("GET", "/health")
    assert (status, json.loads(raw)) == (200, {"status": "SERVING"})
    for headers in ({}, {"Authorization": "Bearer pt_" + "0" * 64}, {"x-api-key": "nonsense"}):
        status, response_headers, raw = gateway.request("GET", "/stocks", headers=headers)
        assert status == 401, headers
        assert error_of(raw)["code"] == "UNAUTHENTICATED"
        assert response_headers.get("Access-Control-Allow-Origin") == "*"
        for value in headers.values():
            assert value.split()[-1] not in raw.decode()  # never echo a presented credential


def test_a_key_passes_as_bearer_or_x_api_key_and_a_missing_scope_is_403(stack, database):
    gateway, _ = stack
    reader = create_key(database, "--scopes", "read")
    for headers in ({"Authorization": f"Bearer {reader}"}, {"x-api-key": reader}):
        status, _, raw = gateway.request("GET", "/quotes/AAPL", headers=headers)
        assert status == 200, raw
        assert json.loads(raw)["symbol"] == "AAPL"
    status, _, raw = gateway.request("POST", "/load-stock", json.dumps({"symbol": "AAPL"}).encode(),
                                     {"Authorization": f"Bearer {reader}"})
    assert status == 403
    assert error_of(raw)["code"] == "PERMISSION_DENIED"


def test_a_rate_limited_key_is_429_with_retry_after(stack, database):
    gateway, server = stack
    key = create_key(database, "--scopes", "read", "--rate", "1", "--burst", "2")
    answers = []
    for _ in range(8):
        status, headers, raw = gateway.request("GET", "/stocks", headers={"x-api-key": key})
        answers.append((status, headers, raw))
        if status == 429:
            break
    statuses = [a[0] for a in answers]
    assert statuses[:2] == [200, 200] and statuses[-1] == 429, statuses
    _, headers, raw = answers[-1]
    assert error_of(raw)["code"] == "RESOURCE_EXHAUSTED"
    retry_after = int(headers["Retry-After"])
    # What the server says over gRPC for the same key, read with googleapis' own classes (a slow machine may have
    # refilled a token meanwhile, so call until refused): its RetryInfo delay bounds the gateway's Retry-After.
    with grpc.insecure_channel(server.address) as channel:
        call = channel.unary_unary("/pulse.v1.Quotes/ListSymbols", request_serializer=lambda b: b,
                                   response_deserializer=lambda b: b)
        refused = None
        for _ in range(10):
            try:
                call(b"", metadata=[("authorization", f"Bearer {key}")], timeout=10)
            except grpc.RpcError as error:
                refused = error
                break
    assert refused is not None and refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    status = rpc_status.from_call(refused)
    info = error_details_pb2.RetryInfo()
    status.details[0].Unpack(info)
    delay = info.retry_delay.seconds + info.retry_delay.nanos / 1e9
    assert 0 < delay <= 2.0 and 1 <= retry_after <= 2, (retry_after, delay)
    time.sleep(max(retry_after, delay) + 0.2)
    assert gateway.request("GET", "/stocks", headers={"x-api-key": key})[0] == 200


def test_websocket_key_on_connect(stack, database):
    gateway, _ = stack
    reader = create_key(database, "--scopes", "read")
    loader = create_key(database, "--scopes", "load")

    async def refused(query):
        with pytest.raises(ws_errors.InvalidStatus) as failed:
            async with websockets.connect(f"ws://{gateway.address}/ws{query}"):
                pass
        # Hummingbird answers a refused handshake with its fixed 400; the same request without the upgrade headers
        # gets the status and reason the server gave.
        assert failed.value.response.status_code == 400
        status, _, raw = gateway.request("GET", f"/ws{query}")
        return status, error_of(raw)["code"]

    async def subscribed(query):
        async with websockets.connect(f"ws://{gateway.address}/ws{query}") as ws:
            await ws.send(json.dumps({"action": "subscribe", "symbol": "AAPL"}))
            messages = []
            while not any("type" not in m for m in messages):  # until a tick
                messages.append(json.loads(await asyncio.wait_for(ws.recv(), 60)))
            return [m for m in messages if m.get("type") != "heartbeat"]

    # The handshake itself is refused (no socket is opened), as API Gateway refuses it when `$connect` answers an
    # error.
    assert asyncio.run(refused("")) == (401, "UNAUTHENTICATED")
    assert asyncio.run(refused("?key=pt_" + "1" * 64)) == (401, "UNAUTHENTICATED")
    assert asyncio.run(refused(f"?key={loader}")) == (403, "PERMISSION_DENIED")
    messages = asyncio.run(subscribed(f"?key={reader}"))
    assert messages[0] == {"type": "subscribed", "symbols": ["AAPL"]}
    assert messages[1]["symbol"] == "AAPL" and messages[1]["price"] > 0

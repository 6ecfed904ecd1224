"""API keys, scopes and per-key limits, seen by a stock grpcio client calling `pulse serve --auth on`.

Keys are made with `pulse keys create` against the test PostgreSQL (PULSE_TEST_DATABASE_URL); revocations travel
through a real Redis (scripts/redis.sh). RetryInfo is decoded by grpcio-status (googleapis' own classes), not by
anything of ours.
"""
import os
import subprocess
import time
import uuid

import grpc
import pytest

from conftest import REPO, free_port, require_module, run_pulse, skip_or_fail
from serve_process import ServeProcess

rpc_status = require_module("grpc_status.rpc_status")
error_details_pb2 = require_module("google.rpc.error_details_pb2")

IDENTITY = dict(request_serializer=lambda b: b, response_deserializer=lambda b: b)
ECHO = "/pulse.v1.Diagnostics/Echo"
STREAM = "/pulse.v1.Diagnostics/Stream"
COMPUTE = "/pulse.v1.Indicators/Compute"
RUN = "/pulse.v1.Backtests/Run"
HEALTH = "/grpc.health.v1.Health/Check"


@pytest.fixture(scope="module")
def database():
    url = os.environ.get("PULSE_TEST_DATABASE_URL")
    if not url:
        skip_or_fail("PULSE_TEST_DATABASE_URL is not set (scripts/test.sh starts a PostgreSQL and sets it)")
    return url


def _serve(database, *extra, redis=None):
    argv = ["serve", "--port", "0", "--auth", "on", "--feed", "none", "--database-url", database]
    if redis:
        argv += ["--redis-url", f"redis://127.0.0.1:{redis}"]
    from conftest import pulse_binary

    return ServeProcess([pulse_binary(), *argv, *extra], env={"DATABASE_URL": "", "REDIS_URL": ""})


def _create(database, *flags):
    name = f"k{uuid.uuid4().hex[:12]}"
    done = run_pulse("keys", "create", "--database-url", database, "--name", name, *flags)
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip()
    assert key.startswith("pt_") and len(key) == 67, done.stdout
    return name, key


def _call(address, path, key=None, body=b"", timeout=10, header="authorization"):
    metadata = None
    if key is not None:
        metadata = [(header, f"Bearer {key}" if header == "authorization" else key)]
    with grpc.insecure_channel(address) as channel:
        return channel.unary_unary(path, **IDENTITY)(body, metadata=metadata, timeout=timeout)


def _code(address, path, key=None, **kwargs):
    try:
        _call(address, path, key, **kwargs)
        return grpc.StatusCode.OK, ""
    except grpc.RpcError as error:
        return error.code(), error.details()


@pytest.fixture(scope="module")
def server(database):
    process = _serve(database)
    yield process
    process.terminate()


def test_health_is_open_and_everything_else_needs_a_key(server):
    assert _code(server.address, HEALTH)[0] == grpc.StatusCode.OK
    for path in (ECHO, COMPUTE, RUN):
        code, details = _code(server.address, path)
        assert code == grpc.StatusCode.UNAUTHENTICATED, (path, code)
        assert "authorization: Bearer" in details


def test_bad_keys_are_unauthenticated(server):
    for bad in ("nonsense", "pt_" + "0" * 64, "pt_" + "g" * 64):
        code, details = _code(server.address, ECHO, bad)
        assert code == grpc.StatusCode.UNAUTHENTICATED, bad
        assert bad not in details  # never echo a presented credential


def test_a_key_with_the_scope_passes_and_without_it_is_denied(server, database):
    name, key = _create(database, "--scopes", "read")
    # Compute with an empty request gets past auth to the handler, which rejects it on its own terms.
    assert _code(server.address, COMPUTE, key)[0] == grpc.StatusCode.INVALID_ARGUMENT
    assert _code(server.address, COMPUTE, key, header="x-api-key")[0] == grpc.StatusCode.INVALID_ARGUMENT
    for path, scope in ((RUN, "backtest"), (ECHO, "admin")):
        code, details = _code(server.address, path, key)
        assert code == grpc.StatusCode.PERMISSION_DENIED, path
        assert f"lacks scope '{scope}'" in details and name in details
    _, admin = _create(database, "--scopes", "admin")
    assert _call(server.address, ECHO, admin) == b""  # admin holds every scope
    assert _code(server.address, RUN, admin)[0] == grpc.StatusCode.INVALID_ARGUMENT


def test_an_expired_key_is_refused(server, database):
    _, key = _create(database, "--scopes", "admin", "--expires", "1s")
    time.sleep(1.5)
    code, details = _code(server.address, ECHO, key)
    assert code == grpc.StatusCode.UNAUTHENTICATED and "expired" in details


def test_a_revoked_key_is_refused_by_a_second_instance_within_two_seconds(database, redis):
    first, second = _serve(database, redis=redis), _serve(database, redis=redis)
    try:
        name, key = _create(database, "--scopes", "admin")
        for server in (first, second):  # both verify and cache the key
            assert _call(server.address, ECHO, key) == b""
        # Revoked through the CLI against the same database and Redis the servers use.
        done = run_pulse("keys", "revoke", "--database-url", database, "--redis-url", f"redis://127.0.0.1:{redis}", name)
        assert done.returncode == 0 and "revoked" in done.stdout, done.stderr
        revoked_at = time.monotonic()
        # Every call dials a new connection, so calls spread over the server's loops (each has its own cache): an
        # instance counts as refusing once 8 calls in a row are refused, from the first of them.
        refused, streak = {}, {"first": None, "second": None}
        counts = {"first": 0, "second": 0}
        while len(refused) < 2 and time.monotonic() - revoked_at < 10:
            for label, server in (("first", first), ("second", second)):
                if label in refused:
                    continue
                if _code(server.address, ECHO, key)[0] == grpc.StatusCode.UNAUTHENTICATED:
                    streak[label] = streak[label] or time.monotonic() - revoked_at
                    counts[label] += 1
                    if counts[label] >= 8:
                        refused[label] = streak[label]
                else:
                    streak[label], counts[label] = None, 0
            time.sleep(0.02)
        assert set(refused) == {"first", "second"}, refused
        assert max(refused.values()) < 2.0, refused
        code, details = _code(second.address, ECHO, key)
        assert code == grpc.StatusCode.UNAUTHENTICATED and "revoked" in details
        listed = run_pulse("keys", "list", "--database-url", database).stdout
        row = next(line for line in listed.splitlines() if f"\t{name}\t" in line)
        assert row.split("\t")[8] != "-"  # revoked column set
    finally:
        first.terminate()
        second.terminate()


def test_a_limited_key_hits_resource_exhausted_with_retry_info(server, database):
    _, key = _create(database, "--scopes", "admin", "--rate", "1", "--burst", "3")
    outcomes = []
    with grpc.insecure_channel(server.address) as channel:
        echo = channel.unary_unary(ECHO, **IDENTITY)
        for _ in range(6):
            try:
                echo(b"", metadata=[("authorization", f"Bearer {key}")], timeout=10)
                outcomes.append("ok")
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error
                status = rpc_status.from_call(error)
                assert status is not None, "no grpc-status-details-bin trailer"
                assert status.code == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
                assert len(status.details) == 1 and status.details[0].Is(error_details_pb2.RetryInfo.DESCRIPTOR)
                info = error_details_pb2.RetryInfo()
                status.details[0].Unpack(info)
                delay = info.retry_delay.seconds + info.retry_delay.nanos / 1e9
                assert 0 < delay <= 2.0, delay
                outcomes.append(delay)
    # The first three ride the burst; six calls in well under three seconds cannot all pass at 1 per second.
    assert outcomes[:3] == ["ok"] * 3, outcomes
    assert any(o != "ok" for o in outcomes[3:]), outcomes


def test_a_key_limited_to_one_stream_cannot_open_a_second(server, database):
    _, key = _create(database, "--scopes", "admin", "--max-streams", "1")
    metadata = [("authorization", f"Bearer {key}")]
    long_stream = bytes([0x08, 100, 0x18, 0xE8, 0x07])  # StreamRequest{count: 100, interval_ms: 1000}
    with grpc.insecure_channel(server.address) as channel:
        stream = channel.unary_stream(STREAM, **IDENTITY)
        first = stream(long_stream, metadata=metadata, timeout=60)
        next(first)  # open and sending
        second = stream(long_stream, metadata=metadata, timeout=60)
        with pytest.raises(grpc.RpcError) as refused:
            next(second)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert rpc_status.from_call(refused.value) is not None
        first.cancel()
        # The slot comes back once the first stream is gone.
        deadline = time.monotonic() + 10
        while True:
            third = stream(bytes([0x08, 1]), metadata=metadata, timeout=10)
            try:
                assert len(list(third)) == 1
                break
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and time.monotonic() < deadline
                time.sleep(0.1)


def test_open_streams_are_limited_across_instances_and_a_killed_instance_frees_its_own(database, redis):
    """`--max-streams 2` holds for the service, not per instance: one stream open on each of two instances uses
    the key's two slots, so a third is refused on both. The SIGKILLed instance's stream stops counting once its
    lease (15 s) ends without renewal; the live instance's stream keeps counting past it."""
    _, key = _create(database, "--scopes", "admin", "--max-streams", "2")
    metadata = [("authorization", f"Bearer {key}")]
    long_stream = bytes([0x08, 100, 0x18, 0xE8, 0x07])  # StreamRequest{count: 100, interval_ms: 1000}
    first, second = _serve(database, redis=redis), _serve(database, redis=redis)
    channels = [grpc.insecure_channel(first.address), grpc.insecure_channel(second.address)]
    try:
        streams = [channel.unary_stream(STREAM, **IDENTITY) for channel in channels]
        held = [streams[0](long_stream, metadata=metadata, timeout=120),
                streams[1](long_stream, metadata=metadata, timeout=120)]
        for call in held:
            next(call)

        def attempt(stream):
            """The open call if admitted (kept, so it keeps its slot), else None after RESOURCE_EXHAUSTED."""
            call = stream(long_stream, metadata=metadata, timeout=120)
            try:
                next(call)
                return call
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error
                return None

        assert attempt(streams[0]) is None and attempt(streams[1]) is None
        first.kill()
        killed = time.monotonic()
        assert attempt(streams[1]) is None  # the dead instance's lease still counts
        while (admitted := attempt(streams[1])) is None:
            assert time.monotonic() - killed < 30, "the killed instance's stream still counts after 30 s"
            time.sleep(0.5)
        waited = time.monotonic() - killed
        assert 5 < waited < 30, waited
        # Two open on the live instance now (the held one renewed past its first lease, and the new one).
        assert attempt(streams[1]) is None
        next(held[1])
        next(admitted)
    finally:
        for channel in channels:
            channel.close()
        second.terminate()
        if first.alive():
            first.terminate()


def test_auth_on_with_postgres_down_refuses_every_call_but_health(database):
    # A port nothing listens on: the key store cannot be reached.
    down = f"postgresql://postgres@127.0.0.1:{free_port()}/pulse"
    process = _serve(down)
    try:
        assert _code(process.address, HEALTH)[0] == grpc.StatusCode.OK
        for key in ("pt_" + "1" * 64, None):
            code, details = _code(process.address, ECHO, key)
            assert code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNAUTHENTICATED), code
        code, details = _code(process.address, ECHO, "pt_" + "1" * 64)
        assert code == grpc.StatusCode.UNAVAILABLE and "key store" in details
        assert "127.0.0.1" not in details and "postgres" not in details.lower().replace("postgresql", "")
    finally:
        process.terminate()


def test_auth_is_on_for_a_non_loopback_address_and_cannot_be_switched_off(database):
    from conftest import pulse_binary

    process = ServeProcess([pulse_binary(), "serve", "--host", "0.0.0.0", "--port", "0", "--feed", "none",
                            "--database-url", database], env={"PULSE_AUTH": ""})
    try:
        address = f"127.0.0.1:{process.port}"
        assert _code(address, ECHO)[0] == grpc.StatusCode.UNAUTHENTICATED
    finally:
        process.terminate()
    refused = run_pulse("serve", "--host", "0.0.0.0", "--port", "0", "--auth", "off")
    assert refused.returncode == 2 and "non-loopback" in refused.stderr


def test_loopback_is_open_unless_pulse_auth_is_on(database):
    from conftest import pulse_binary

    open_server = ServeProcess([pulse_binary(), "serve", "--port", "0", "--feed", "none"], env={"PULSE_AUTH": ""})
    try:
        assert _call(open_server.address, ECHO) == b""
    finally:
        open_server.terminate()
    closed = ServeProcess([pulse_binary(), "serve", "--port", "0", "--feed", "none", "--database-url", database],
                          env={"PULSE_AUTH": "on"})
    try:
        assert _code(closed.address, ECHO)[0] == grpc.StatusCode.UNAUTHENTICATED
    finally:
        closed.terminate()

"""Health of what needs Redis, over grpcio against `pulse serve` and a real Redis that the test stops and starts:
`pulse.v1.Quotes/Subscribe` and `pulse.v1.Indicators/Subscribe` (the live streams' replay and cross-instance side)
turn NOT_SERVING while Redis is away and SERVING again when it returns, seen by a Health.Watch stream; the server
keeps running, and `pulse.v1.Quotes` (answered from PostgreSQL) does not follow Redis. Without Redis configured the
stream names are SERVING (in-process streams only)."""
import os
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

STREAMS = ("pulse.v1.Quotes/Subscribe", "pulse.v1.Indicators/Subscribe")


@pytest.fixture(scope="module")
def pb(tmp_path_factory):
    try:
        compile_protocol(tmp_path_factory.mktemp("stubs"))
    except ProtocolMissing as error:
        skip_or_fail(f"Protocol/ not ready: {error}")
    import importlib

    return type("Stubs", (), {"health_pb2": importlib.import_module("grpc.health.v1.health_pb2"),
                              "health_pb2_grpc": importlib.import_module("grpc.health.v1.health_pb2_grpc")})


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis(command, folder, port):
    subprocess.run(["bash", str(REPO / "scripts/redis.sh"), command, str(folder), str(port), "--aof"], check=True)


def _check(pb, address, service):
    with grpc.insecure_channel(address) as channel:
        stub = pb.health_pb2_grpc.HealthStub(channel)
        return stub.Check(pb.health_pb2.HealthCheckRequest(service=service), timeout=5).status


def _watch(pb, address, service):
    """Health.Watch of `service` on a thread: its statuses arrive in the returned queue (None when it ends)."""
    channel = grpc.insecure_channel(address)
    call = pb.health_pb2_grpc.HealthStub(channel).Watch(pb.health_pb2.HealthCheckRequest(service=service))
    statuses = queue.Queue()

    def read():
        try:
            for response in call:
                statuses.put(response.status)
        except grpc.RpcError:
            pass
        statuses.put(None)

    threading.Thread(target=read, daemon=True).start()
    return statuses, lambda: (call.cancel(), channel.close())


def _until(statuses, wanted, limit):
    """Reads statuses until `wanted` comes (only it ends the wait; `limit` seconds is the safety net)."""
    deadline = time.monotonic() + limit
    while True:
        status = statuses.get(timeout=max(0.01, deadline - time.monotonic()))
        assert status is not None, "the watch ended"
        if status == wanted:
            return


def test_stream_health_follows_redis(pb, tmp_path):
    serving, not_serving = pb.health_pb2.HealthCheckResponse.SERVING, pb.health_pb2.HealthCheckResponse.NOT_SERVING
    port = _free_port()
    folder = tmp_path / "redis"
    _redis("start", folder, port)
    database = os.environ.get("PULSE_TEST_DATABASE_URL", "")
    server = ServeProcess([pulse_binary(), "serve", "--port", "0", "--redis-url", f"redis://127.0.0.1:{port}",
                           "--symbols", "HLTH", "--tick-rate", "50"], env={"DATABASE_URL": database})
    watches = []
    try:
        for name in STREAMS:
            watches.append(_watch(pb, server.address, name))
            _until(watches[-1][0], serving, 20)
        quotes_before = _check(pb, server.address, "pulse.v1.Quotes")
        _redis("stop", folder, port)
        for statuses, _ in watches:
            _until(statuses, not_serving, 20)
        # The server runs on; Quotes (PostgreSQL) does not follow Redis.
        assert server.alive()
        assert _check(pb, server.address, "") == serving
        assert _check(pb, server.address, "pulse.v1.Quotes") == quotes_before
        if database:
            assert quotes_before == serving
        time.sleep(3)
        _redis("start", folder, port)  # returns once Redis answers PING
        back = time.monotonic()
        for statuses, _ in watches:
            _until(statuses, serving, 20)
        print(f"stream health SERVING {time.monotonic() - back:.2f} s after Redis answered again")
    finally:
        for _, stop in watches:
            stop()
        server.terminate()
        _redis("stop", folder, port)


def test_stream_health_without_redis_configured(pb):
    server = ServeProcess([pulse_binary(), "serve", "--port", "0", "--feed", "none"],
                          env={"DATABASE_URL": "", "REDIS_URL": ""})
    try:
        for name in STREAMS:
            assert _check(pb, server.address, name) == pb.health_pb2.HealthCheckResponse.SERVING
    finally:
        server.terminate()

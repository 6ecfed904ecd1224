"""A stock gRPC client (grpcio, stubs generated from Protocol/ at test time) calls `pulse serve`.

Covers health Check and Watch, unary Echo, a 10,000-message server stream read by a deliberately slow
reader (server memory must stay bounded), deadlines, cancellation, oversized messages, unknown
methods and graceful shutdown. The reverse direction (the Swift client calling grpc_peer_server.py)
is the Swift suite ClientGRPCIOPeerTests, run by `swift test` in the same test command.
"""
import threading
import time

import grpc
import pytest

from conftest import skip_or_fail
from grpc_peer_server import ProtocolMissing, compile_protocol
from serve_process import ServeProcess

MiB = 1 << 20


@pytest.fixture(scope="module")
def stubs(tmp_path_factory):
    try:
        return compile_protocol(tmp_path_factory.mktemp("stubs"))
    except ProtocolMissing as error:
        skip_or_fail(f"Protocol/ not ready: {error}")


@pytest.fixture(scope="module")
def server(pulse_bin):
    # No database (DATABASE_URL="" hides the test script's): the suites using this server check the inline and
    # no-database answers; test_rpc_quotes.py starts servers with one. No feed: suites here measure the server's
    # CPU (a cancelled Optimize must stop computing), which a simulated feed ticking in the background would skew.
    process = ServeProcess([pulse_bin, "serve", "--port", "0", "--feed", "none"], env={"DATABASE_URL": ""})
    yield process
    process.terminate()


@pytest.fixture
def channel(server):
    # Let the client send more than 4 MiB so the *server's* limit is what the oversized test meets.
    options = [("grpc.max_send_message_length", 64 * MiB), ("grpc.max_receive_message_length", 64 * MiB)]
    with grpc.insecure_channel(server.address, options=options) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield channel


def diagnostics(stubs, channel):
    return stubs.diagnostics_pb2_grpc.DiagnosticsStub(channel)


def health(stubs, channel):
    return stubs.health_pb2_grpc.HealthStub(channel)


def echo(stubs, channel, payload=b"ping", timeout=10, **fields):
    request = stubs.diagnostics_pb2.EchoRequest(payload=payload, **fields)
    return diagnostics(stubs, channel).Echo(request, timeout=timeout)


def test_health_check_reports_serving_for_server_and_diagnostics(stubs, channel):
    pb = stubs.health_pb2
    for service in ["", "pulse.v1.Diagnostics"]:
        reply = health(stubs, channel).Check(pb.HealthCheckRequest(service=service), timeout=5)
        assert reply.status == pb.HealthCheckResponse.SERVING, service


def test_health_check_unknown_service_is_not_found(stubs, channel):
    with pytest.raises(grpc.RpcError) as failure:
        health(stubs, channel).Check(stubs.health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=5)
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND


def test_health_watch_streams_current_status(stubs, channel):
    pb = stubs.health_pb2
    call = health(stubs, channel).Watch(pb.HealthCheckRequest(service=""), timeout=10)
    first = next(call)
    assert first.status == pb.HealthCheckResponse.SERVING
    call.cancel()


def test_unary_echo_round_trips_payloads(stubs, channel):
    for payload in [b"", b"ping", bytes(range(256)) * 64, b"\x00" * MiB]:
        reply = echo(stubs, channel, payload=payload)
        assert reply.payload == payload


def test_failing_handler_status_and_message_reach_the_client(stubs, channel):
    message = "precondition failed: 100% sure, caf\u00e9 \u2713"
    with pytest.raises(grpc.RpcError) as failure:
        echo(stubs, channel, fail_code=grpc.StatusCode.FAILED_PRECONDITION.value[0], fail_message=message)
    assert failure.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert failure.value.details() == message


def test_ten_thousand_messages_to_a_slow_reader_with_bounded_server_memory(stubs, channel, server):
    count, size = 10_000, 16 * 1024  # 160 MiB in total: buffering it all would be plain in the RSS
    baseline = server.rss()
    stream = diagnostics(stubs, channel).Stream(
        stubs.diagnostics_pb2.StreamRequest(count=count, payload_size=size), timeout=120
    )
    peak, expected = baseline, 0
    for item in stream:
        assert item.index == expected
        assert len(item.payload) == size
        expected += 1
        if expected in (1, 2_000, 6_000):
            time.sleep(1.0)  # stall: the server must stop at the flow-control window, not queue on
            peak = max(peak, server.rss())
        elif expected % 50 == 0:
            time.sleep(0.002)
            peak = max(peak, server.rss())
    assert expected == count
    growth = peak - baseline
    assert growth < 48 * MiB, f"server RSS grew by {growth / MiB:.1f} MiB while streaming to a slow reader"


def test_deadline_exceeded_ends_a_slow_call_on_time(stubs, channel):
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as failure:
        diagnostics(stubs, channel).Echo(stubs.diagnostics_pb2.EchoRequest(payload=b"x", delay_ms=5_000), timeout=0.3)
    assert failure.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 3
    assert echo(stubs, channel, payload=b"after").payload == b"after"


def test_cancelled_calls_release_server_resources(stubs, channel, server):
    client = diagnostics(stubs, channel)
    pb = stubs.diagnostics_pb2
    echo(stubs, channel)  # warm up before taking the baseline
    fds, rss = server.open_fds(), server.rss()
    for _ in range(50):
        stream = client.Stream(pb.StreamRequest(count=1_000_000, payload_size=1024), timeout=30)
        for index, item in enumerate(stream):
            if index == 20:
                break
        stream.cancel()
        future = client.Echo.future(pb.EchoRequest(payload=b"slow", delay_ms=10_000), timeout=30)
        time.sleep(0.01)
        future.cancel()
    started = time.monotonic()
    assert echo(stubs, channel, payload=b"still serving").payload == b"still serving"
    assert time.monotonic() - started < 2
    time.sleep(0.5)  # let the server finish tearing down the cancelled handlers
    assert server.open_fds() <= fds + 2
    assert server.rss() - rss < 32 * MiB


def test_oversized_message_is_resource_exhausted(stubs, channel):
    with pytest.raises(grpc.RpcError) as failure:
        echo(stubs, channel, payload=b"\x01" * (5 * MiB))
    assert failure.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert echo(stubs, channel, payload=b"after").payload == b"after"


@pytest.mark.parametrize("path", ["/pulse.v1.Diagnostics/NoSuchMethod", "/no.such.Service/Echo"])
def test_unknown_method_is_unimplemented(channel, path):
    call = channel.unary_unary(path, request_serializer=lambda b: b, response_deserializer=lambda b: b)
    with pytest.raises(grpc.RpcError) as failure:
        call(b"", timeout=5)
    assert failure.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_many_concurrent_calls_share_one_connection(stubs, channel):
    client = diagnostics(stubs, channel)
    pb = stubs.diagnostics_pb2
    futures = [client.Echo.future(pb.EchoRequest(payload=str(i).encode(), delay_ms=50), timeout=10) for i in range(200)]
    assert [f.result().payload for f in futures] == [str(i).encode() for i in range(200)]


def test_sigterm_lets_in_flight_call_finish_and_exits_zero(stubs, pulse_bin):
    # No database (DATABASE_URL="" hides the test script's): the suites using this server check the inline and
    # no-database answers; test_rpc_quotes.py starts servers with one. No feed: this checks the shutdown of calls.
    process = ServeProcess([pulse_bin, "serve", "--port", "0", "--feed", "none"], env={"DATABASE_URL": ""})
    try:
        with grpc.insecure_channel(process.address) as channel:
            grpc.channel_ready_future(channel).result(timeout=10)
            stream = diagnostics(stubs, channel).Stream(
                stubs.diagnostics_pb2.StreamRequest(count=4, interval_ms=150), timeout=10
            )
            assert next(stream).index == 0  # the call is now surely in flight on the server
            stopper = threading.Thread(target=process.terminate)
            stopper.start()
            assert [item.index for item in stream] == [1, 2, 3]
            stopper.join()
        assert process.process.returncode == 0, process.stderr_tail()
    finally:
        process.kill()

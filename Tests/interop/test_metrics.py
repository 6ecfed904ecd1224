"""`pulse serve --metrics-port` scraped with prometheus_client's own parser after calls the test makes with grpcio.

Counts by method and code, messages sent, histogram buckets moving for a call that waits 300 ms, unknown methods
under one `unknown` label set, the access log's request id (the client's `x-request-id` echoed back and logged).
"""
import socket
import time
import urllib.request

import grpc
import pytest

from conftest import require_module, skip_or_fail
from grpc_peer_server import ProtocolMissing, compile_protocol
from serve_process import ServeProcess

parser = require_module("prometheus_client.parser")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def stubs(tmp_path_factory):
    try:
        return compile_protocol(tmp_path_factory.mktemp("stubs"))
    except ProtocolMissing as error:
        skip_or_fail(f"Protocol/ not ready: {error}")


@pytest.fixture(scope="module")
def server(pulse_bin):
    port = free_port()
    process = ServeProcess(
        [pulse_bin, "serve", "--port", "0", "--feed", "none", "--metrics-port", port, "--access-log", "on"])
    process.metrics_url = f"http://127.0.0.1:{port}/metrics"
    yield process
    # The metrics parts (HTTP server, probes) must end with the graceful shutdown, not hold the exit up.
    assert process.terminate(timeout=10) == 0


def scrape(url):
    """{(name, frozenset(labels)): value} over every sample, parsed by prometheus_client."""
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                assert response.status == 200
                assert response.headers["Content-Type"].startswith("text/plain")
                text = response.read().decode()
                break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    samples = {}
    for family in parser.text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


ECHO = dict(grpc_type="unary", grpc_service="pulse.v1.Diagnostics", grpc_method="Echo")
STREAM = dict(grpc_type="server_stream", grpc_service="pulse.v1.Diagnostics", grpc_method="Stream")


def test_counts_by_method_and_code_and_histogram_buckets(stubs, server):
    before = scrape(server.metrics_url)
    with grpc.insecure_channel(server.address) as channel:
        stub = stubs.diagnostics_pb2_grpc.DiagnosticsStub(channel)
        pb = stubs.diagnostics_pb2
        for _ in range(5):
            stub.Echo(pb.EchoRequest(payload=b"x"), timeout=10)
        for _ in range(3):
            with pytest.raises(grpc.RpcError) as failed:
                stub.Echo(pb.EchoRequest(fail_code=3, fail_message="bad"), timeout=10)
            assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        stub.Echo(pb.EchoRequest(delay_ms=300), timeout=10)
        items = list(stub.Stream(pb.StreamRequest(count=7, payload_size=4), timeout=10))
        assert len(items) == 7
        unknown = channel.unary_unary("/pulse.v1.Nowhere/Nothing")
        with pytest.raises(grpc.RpcError) as missing:
            unknown(b"", timeout=10)
        assert missing.value.code() == grpc.StatusCode.UNIMPLEMENTED
    after = scrape(server.metrics_url)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("grpc_server_started_total", **ECHO) == 9
    assert delta("grpc_server_msg_received_total", **ECHO) == 9
    assert delta("grpc_server_handled_total", **ECHO, grpc_code="OK") == 6
    assert delta("grpc_server_handled_total", **ECHO, grpc_code="InvalidArgument") == 3
    assert delta("grpc_server_msg_sent_total", **ECHO) == 6
    assert delta("grpc_server_handled_total", **STREAM, grpc_code="OK") == 1
    assert delta("grpc_server_msg_sent_total", **STREAM) == 7
    assert (
        delta("grpc_server_handled_total", grpc_type="unary", grpc_service="unknown", grpc_method="unknown",
              grpc_code="Unimplemented") == 1)
    # The histogram: 9 Echo calls in all; exactly one took ≥ 300 ms, so the 0.25 s bucket grew by 8 and +Inf by 9.
    assert delta("grpc_server_handling_seconds_count", **ECHO) == 9
    assert delta("grpc_server_handling_seconds_bucket", **ECHO, le="+Inf") == 9
    assert delta("grpc_server_handling_seconds_bucket", **ECHO, le="0.25") == 8
    assert delta("grpc_server_handling_seconds_bucket", **ECHO, le="10.0") == 9
    assert delta("grpc_server_handling_seconds_sum", **ECHO) >= 0.3


def test_process_gauges_are_exported(server):
    samples = scrape(server.metrics_url)
    names = {name for name, _ in samples}
    for name in ["pulse_event_loop_lag_seconds", "pulse_compute_pool_queue_length", "pulse_tickhub_subscribers",
                 "pulse_tickhub_queue_depth", "pulse_health_serving", "pulse_metrics_scrapes_total"]:
        assert name in names, name
    assert value(samples, "pulse_health_serving", service="overall") == 1


def test_access_log_carries_the_request_id(stubs, server):
    with grpc.insecure_channel(server.address) as channel:
        stub = stubs.diagnostics_pb2_grpc.DiagnosticsStub(channel)
        _, call = stub.Echo.with_call(
            stubs.diagnostics_pb2.EchoRequest(payload=b"id"), timeout=10, metadata=[("x-request-id", "test-req-42")])
        assert dict(call.trailing_metadata())["x-request-id"] == "test-req-42"
        _, call = stub.Echo.with_call(stubs.diagnostics_pb2.EchoRequest(payload=b"id"), timeout=10)
        generated = dict(call.trailing_metadata())["x-request-id"]
        assert len(generated) == 16 and int(generated, 16) >= 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        log = server.stderr_tail(200_000)
        if "request_id=test-req-42" in log and f"request_id={generated}" in log:
            break
        time.sleep(0.1)
    line = next(line for line in log.splitlines() if "request_id=test-req-42" in line)
    assert "method=/pulse.v1.Diagnostics/Echo" in line and "code=" in line


def test_tick_lag_and_stream_gauges_follow_a_subscription(pulse_bin, tmp_path_factory):
    """A feed in process (no Redis, no PostgreSQL) and one grpcio subscriber: every tick handed to it is in
    `pulse_tick_lag_seconds`, whose mean is no more than the lag the client itself measured from the ticks'
    `ingest_time_us`; the hub counts the subscriber while it is open; Subscribe's messages are counted, and the
    call the client cancelled is handled with code Canceled."""
    from grpc_peer_server import compile_protocol
    import importlib

    compile_protocol(tmp_path_factory.mktemp("stream-stubs"))
    quotes_pb2 = importlib.import_module("pulse.v1.quotes_pb2")
    quotes_pb2_grpc = importlib.import_module("pulse.v1.quotes_pb2_grpc")
    port = free_port()
    process = ServeProcess(
        [pulse_bin, "serve", "--port", "0", "--feed", "simulated", "--symbols", "MLAG", "--tick-rate", "100",
         "--metrics-port", port], env={"DATABASE_URL": "", "REDIS_URL": ""})
    url = f"http://127.0.0.1:{port}/metrics"
    subscribe = dict(grpc_type="server_stream", grpc_service="pulse.v1.Quotes", grpc_method="Subscribe")
    try:
        before = scrape(url)
        client_lags = []
        with grpc.insecure_channel(process.address) as channel:
            call = quotes_pb2_grpc.QuotesStub(channel).Subscribe(quotes_pb2.SubscribeQuotesRequest(symbols=["MLAG"]))
            for event in call:
                if event.WhichOneof("event") == "tick":
                    client_lags.append(time.time() - event.tick.ingest_time_us / 1e6)
                    if len(client_lags) == 60:
                        break
            during = scrape(url)
            assert value(during, "pulse_tickhub_subscribers") == 1
            call.cancel()
        deadline = time.monotonic() + 10
        while value(scrape(url), "pulse_tickhub_subscribers") != 0:
            assert time.monotonic() < deadline, "the subscription was not closed"
            time.sleep(0.1)
        after = scrape(url)
        lag_count = value(after, "pulse_tick_lag_seconds_count") - value(before, "pulse_tick_lag_seconds_count")
        lag_sum = value(after, "pulse_tick_lag_seconds_sum") - value(before, "pulse_tick_lag_seconds_sum")
        assert lag_count >= len(client_lags)
        assert value(after, "pulse_tick_lag_seconds_bucket", le="+Inf") == value(after, "pulse_tick_lag_seconds_count")
        # The server measures up to its hand-off, the client up to its receipt: the server's mean is the smaller
        # (the ticks after the 60th were handed off at most as late as the 60th arrived).
        assert 0 < lag_sum / lag_count <= max(client_lags) + 0.05, (lag_sum / lag_count, max(client_lags))
        sent = value(after, "grpc_server_msg_sent_total", **subscribe) - value(before, "grpc_server_msg_sent_total",
                                                                               **subscribe)
        assert sent >= len(client_lags)
        assert value(after, "grpc_server_started_total", **subscribe) - value(
            before, "grpc_server_started_total", **subscribe) == 1
        # The client cancelled the stream: the call is counted as handled with gRPC's Canceled.
        assert value(after, "grpc_server_handled_total", **subscribe, grpc_code="Canceled") - value(
            before, "grpc_server_handled_total", **subscribe, grpc_code="Canceled") == 1
        assert value(after, "grpc_server_handling_seconds_count", **subscribe) - value(
            before, "grpc_server_handling_seconds_count", **subscribe) == 1
    finally:
        process.terminate()

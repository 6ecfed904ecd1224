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

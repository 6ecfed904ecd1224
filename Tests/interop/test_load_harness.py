"""`pulse-load` against real processes and an independent protobuf implementation.

- JSON → protobuf: the harness encodes request JSON with a schema it parses from Protocol/ at run time;
  here the same JSON goes through protoc-generated classes (google.protobuf.json_format) and the bytes
  must be identical.
- Runs against `pulse serve`: the p50 of Echo with delay_ms is the delay; a server killed with SIGKILL
  mid-run gives a partial JSON report and exit status 1, never a hang; an unreachable server and bad
  flags exit non-zero with a message.
"""

import json
import os
import pathlib
import signal
import subprocess
import time

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from grpc_tools import protoc

from conftest import REPO, pulse_binary
from serve_process import ServeProcess

PROTOCOL = REPO / "Protocol"
PROTO_FILES = sorted(str(p.relative_to(PROTOCOL)) for p in PROTOCOL.rglob("*.proto"))


def load_binary() -> pathlib.Path:
    """pulse-load beside the pulse binary under test (or $PULSE_LOAD_BIN)."""
    path = pathlib.Path(os.environ.get("PULSE_LOAD_BIN", pulse_binary().parent / "pulse-load"))
    if not path.exists():
        pytest.fail(f"pulse-load not found at {path}: run `swift build` first or set PULSE_LOAD_BIN")
    return path


def run_load(*args, timeout=60):
    return subprocess.run(
        [str(load_binary()), *map(str, args)], capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    out = tmp_path_factory.mktemp("load_descriptors") / "protocol.pb"
    grpc_include = pathlib.Path(protoc.__file__).parent / "_proto"
    args = ["protoc", f"-I{PROTOCOL}", f"-I{grpc_include}", f"--descriptor_set_out={out}", "--include_imports"]
    assert protoc.main(args + PROTO_FILES) == 0
    pool = descriptor_pool.DescriptorPool()
    for file in descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file:
        pool.Add(file)
    return pool


CASES = [
    ("pulse.v1.EchoRequest", {"payload": "cGluZw==", "delay_ms": 5}),
    ("pulse.v1.EchoRequest", {"payload": "AAECA/7/", "delayMs": 250, "failCode": -3, "failMessage": "ÅPL ✓"}),
    ("pulse.v1.EchoRequest", {"useComputePool": True, "failCode": 0}),
    ("pulse.v1.GetBarsRequest", {"symbol": "AAPL", "timeframe": {"unit": "UNIT_MINUTE", "multiple": 5},
                                 "startTimeMs": "1700000000000", "endTimeMs": -1, "limit": 10}),
    ("pulse.v1.GetBarsRequest", {"timeframe": {"unit": 4}}),
    ("pulse.v1.GetBarsRequest", {"timeframe": {}}),
    ("pulse.v1.SubscribeQuotesRequest", {"symbols": ["AAPL", "MSFT", ""],
                                         "resumeFrom": [{"symbol": "AAPL", "sequence": "18446744073709551615"}]}),
    ("pulse.v1.BarSeries", {"symbol": "X", "timeMs": ["1", 2, "-3"], "open": [1.5, "NaN", "-Infinity", -0.0],
                            "close": [], "volume": [1e300]}),
    ("pulse.v1.Tick", {"symbol": "AAPL", "sequence": 42, "time_ms": "1700000000123", "price": 187.25,
                       "conflated": 3}),
    ("pulse.v1.LoadSymbolRequest", {"symbol": "AAPL", "source": "DATA_SOURCE_CSV", "csv": "YSxiLGMKMSwyLDM"}),
]


def vector_cases():
    """Every golden vector's JSON (oneofs, proto3 `optional`, every message type)."""
    vectors = json.loads((PROTOCOL / "vectors" / "vectors.json").read_text())["vectors"]
    return [(v["type"], v["value"]) for v in vectors]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_json_encoding_matches_protobuf(pool, case):
    type_name, value = CASES[case]
    check_encoding(pool, type_name, value)


def test_every_vector_json_matches_protobuf(pool):
    for type_name, value in vector_cases():
        check_encoding(pool, type_name, value)


def check_encoding(pool, type_name, value):
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(type_name))
    text = json.dumps(value)
    expected = json_format.Parse(text, cls()).SerializeToString(deterministic=True).hex()
    result = run_load("encode", "--type", type_name, "--data", text, "--proto-path", PROTOCOL)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected, f"{type_name} {text}"


@pytest.fixture
def server():
    process = ServeProcess([pulse_binary(), "serve", "--port", "0", "--log-level", "error"])
    yield process
    process.kill()


def test_p50_is_the_servers_delay(server, tmp_path):
    report_path = tmp_path / "report.json"
    result = run_load(
        "unary", "--target", server.address, "--method", "/pulse.v1.Diagnostics/Echo",
        "--data", '{"payload":"cGluZw==","delayMs":20}', "--connections", "2", "--concurrency", "8",
        "--duration", "1s", "--warmup", "200ms", "--json", report_path, "--proto-path", PROTOCOL,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(report_path.read_text())
    assert 20 <= report["latency_ms"]["p50"] < 30, report
    assert report["errors"] == {}
    assert 250 < report["rps"] <= 400, report
    assert "throughput" in result.stdout and "p99.9" in result.stdout
    assert "calls/s" in result.stderr, "the progress line"


def test_server_killed_mid_run_gives_partial_report(server, tmp_path):
    report_path = tmp_path / "partial.json"
    started = time.monotonic()
    load = subprocess.Popen(
        [str(load_binary()), "unary", "--target", server.address, "--method", "/pulse.v1.Diagnostics/Echo",
         "--data", '{"delayMs":1}', "--concurrency", "16", "--duration", "20s", "--json", str(report_path),
         "--proto-path", str(PROTOCOL), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    time.sleep(1.5)
    server.process.send_signal(signal.SIGKILL)
    stdout, stderr = load.communicate(timeout=15)
    assert time.monotonic() - started < 10, "pulse-load must give up on a dead server, not run out its duration"
    assert load.returncode == 1, stderr
    assert "ended early" in stderr and "UNAVAILABLE" in stderr, stderr
    assert "PARTIAL" in stdout
    report = json.loads(report_path.read_text())
    assert report["partial"] is True
    assert report["ok"] > 100
    assert "abort_reason" in report


def test_unreachable_server_and_bad_flags():
    started = time.monotonic()
    result = run_load("unary", "--target", "127.0.0.1:1", "--method", "/pulse.v1.Diagnostics/Echo",
                      "--proto-path", PROTOCOL, timeout=20)
    assert result.returncode == 1
    assert "cannot reach 127.0.0.1:1" in result.stderr
    assert time.monotonic() - started < 10
    bad = run_load("unary", "--target", "127.0.0.1:1", "--method", "/pulse.v1.Diagnostics/Echo",
                   "--connections", "0", "--proto-path", PROTOCOL)
    assert bad.returncode == 2
    assert "--connections" in bad.stderr


def test_interrupt_gives_partial_report(server, tmp_path):
    """Ctrl-C (SIGINT) stops the run and still prints and writes what was measured."""
    report_path = tmp_path / "interrupted.json"
    load = subprocess.Popen(
        [str(load_binary()), "unary", "--target", server.address, "--method", "/pulse.v1.Diagnostics/Echo",
         "--concurrency", "4", "--duration", "30s", "--json", str(report_path), "--proto-path", str(PROTOCOL),
         "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    time.sleep(1.5)
    load.send_signal(signal.SIGINT)
    stdout, stderr = load.communicate(timeout=10)
    assert load.returncode == 1, stderr
    assert "interrupted" in stdout
    report = json.loads(report_path.read_text())
    assert report["partial"] is True and report["ok"] > 0
    assert 0.3 < report["duration_s"] < 3


class ScriptedPushes:
    """A WebSocket server (the `websockets` package) that answers each socket's subscribe with a known script of
    pushes in the gateway's shapes, each tick stamped 40 ms before it is sent, then holds the socket until the
    client closes it."""

    AGE_US = 40_000

    def __init__(self):
        import asyncio
        import threading

        self.requests, self.subscribes = [], []
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(target=self.run, args=(ready,), daemon=True)
        self.thread.start()
        assert ready.wait(10)

    def run(self, ready):
        import asyncio

        from websockets.asyncio.server import serve

        async def main():
            async with serve(self.handle, "127.0.0.1", 0) as server:
                self.port = server.sockets[0].getsockname()[1]
                self.stopped = asyncio.Event()
                ready.set()
                await self.stopped.wait()

        self.loop.run_until_complete(main())

    async def handle(self, socket):
        self.requests.append(socket.request.path)
        self.subscribes.append(json.loads(await socket.recv()))
        await socket.send(json.dumps({"type": "subscribed", "symbols": ["AAA"]}))

        def tick(sequence, conflated=0):
            return json.dumps({"symbol": "AAA", "price": 10.5, "timestamp": "2025-08-12T14:35:00Z",
                               "sequence": sequence, "volume": 100, "conflated": conflated,
                               "ingest_time_us": time.time_ns() // 1000 - self.AGE_US})

        # 1-3 in order; 5 stands for 4 too; 6-8 never come (a hole nobody announced); 10-12 announced as a gap;
        # 13 once, then again (out of order); an error frame; a heartbeat, which is not a tick.
        for frame in [tick(1), tick(2), tick(3), tick(5, conflated=1), tick(9),
                      json.dumps({"type": "gap", "symbol": "AAA", "first_missing": 10, "last_missing": 12}),
                      tick(13), tick(13),
                      json.dumps({"type": "error", "error": {"code": "NOT_FOUND", "message": "unknown symbol: ZZZ"}}),
                      json.dumps({"type": "heartbeat", "timestamp": "2025-08-12T14:35:10Z"})]:
            await socket.send(frame)
        await socket.wait_closed()

    def close(self):
        self.loop.call_soon_threadsafe(self.stopped.set)
        self.thread.join(timeout=10)


def test_websocket_mode_counts_what_the_pushes_say(tmp_path):
    pushes = ScriptedPushes()
    try:
        report_path = tmp_path / "ws.json"
        result = run_load("websocket", "--target", f"127.0.0.1:{pushes.port}", "--symbols", "AAA,BBB",
                          "--sockets", "3", "--duration", "2s", "--api-key", "k e/y", "--json", report_path,
                          "--quiet")
        assert result.returncode == 0, result.stderr
    finally:
        pushes.close()
    assert pushes.requests == ["/ws?timing=1&key=k%20e%2Fy"] * 3
    assert pushes.subscribes == [{"action": "subscribe", "symbols": ["AAA", "BBB"]}] * 3
    report = json.loads(report_path.read_text())
    stream = report["stream"]
    assert report["scenario"] == "websocket" and stream["streams"] == 3
    # Per socket: 7 ticks (13 twice), 3 unannounced (6-8), 1 folded in, 1 out of order, 3 announced (10-12).
    assert (stream["messages"], stream["missing"], stream["conflated"], stream["out_of_order"],
            stream["announced_missing"]) == (21, 9, 3, 3, 9)
    assert report["errors"] == {"NOT_FOUND": 3}
    assert stream["time_field"] == "ingest_time_us"
    # Each tick left the server 40 ms after its stamp; loopback and parsing add little.
    latency = report["latency_ms"]
    assert 40 <= latency["p50"] < 60 and latency["max"] < 200, latency


def test_websocket_mode_unreachable_gateway():
    result = run_load("websocket", "--target", "127.0.0.1:9", "--symbols", "AAA", "--sockets", "2",
                      "--duration", "1s", timeout=30)
    assert result.returncode == 1
    assert "cannot stream from ws://127.0.0.1:9/ws" in result.stderr, result.stderr

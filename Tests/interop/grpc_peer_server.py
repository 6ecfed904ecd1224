"""A grpcio server implementing grpc.health.v1.Health and pulse.v1.Diagnostics, as `pulse serve` does.

It is the peer the Swift client is tested against (Tests/interop/test_grpc_interop.py) and the grpcio
peer of the transport benchmark (Benchmarks/transport/run.sh). Stubs are generated at run time from
Protocol/ with grpc_tools.protoc (generated code is never committed); `compile_protocol` is shared with
the interop tests.

Usage: python grpc_peer_server.py [--port N] [--workers N]
Prints one line `listening on HOST:PORT` once serving, then serves until SIGTERM/SIGINT.
"""
import argparse
import importlib
import os
import pathlib
import re
import signal
import sys
import tempfile
import threading
import time
import types
from concurrent import futures

REPO = pathlib.Path(__file__).resolve().parents[2]
PROTOCOL = REPO / "Protocol"


class ProtocolMissing(RuntimeError):
    """Protocol/ does not (yet) hold a .proto file this peer needs."""


def _find_proto(pattern: str) -> pathlib.Path | None:
    for path in sorted(PROTOCOL.rglob("*.proto")):
        if re.search(pattern, path.read_text(encoding="utf-8")):
            return path
    return None


def compile_protocol(out_dir: pathlib.Path | None = None, require_diagnostics=True) -> types.SimpleNamespace:
    """Generates Python classes and grpc stubs from Protocol/ into `out_dir` (a new temp dir by default).

    Returns a namespace with `diagnostics_pb2`, `diagnostics_pb2_grpc` (generated modules),
    `health_pb2` (HealthCheckRequest, HealthCheckResponse) and `health_pb2_grpc` (HealthStub). With
    `require_diagnostics` (the default) raises ProtocolMissing when Protocol/ has no
    `service Diagnostics`; otherwise the two diagnostics entries are None.
    """
    from grpc_tools import protoc  # imported here: only needed when generating

    out = pathlib.Path(out_dir or tempfile.mkdtemp(prefix="pulse-stubs-"))
    out.mkdir(parents=True, exist_ok=True)
    include = str(pathlib.Path(protoc.__file__).parent / "_proto")

    diagnostics = _find_proto(r"service\s+Diagnostics\b") if PROTOCOL.exists() else None
    if diagnostics is None and require_diagnostics:
        raise ProtocolMissing(f"no .proto under {PROTOCOL} declares `service Diagnostics`")
    if diagnostics is not None:
        pulse_protos = [str(p.relative_to(PROTOCOL)) for p in sorted(PROTOCOL.rglob("*.proto")) if "grpc" not in p.parts]
        args = ["protoc", f"-I{PROTOCOL}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}"]
        if protoc.main(args + pulse_protos) != 0:
            raise RuntimeError(f"grpc_tools.protoc failed on {pulse_protos}")

    if str(out) not in sys.path:
        sys.path.insert(0, str(out))
    stubs = types.SimpleNamespace(diagnostics_pb2=None, diagnostics_pb2_grpc=None)
    if diagnostics is not None:
        module = str(diagnostics.relative_to(PROTOCOL).with_suffix("")).replace("/", ".")
        stubs.diagnostics_pb2 = importlib.import_module(module + "_pb2")
        stubs.diagnostics_pb2_grpc = importlib.import_module(module + "_pb2_grpc")
    stubs.health_pb2 = _health_messages(out, include)
    stubs.health_pb2_grpc = types.SimpleNamespace(HealthStub=lambda channel: HealthStub(channel, stubs.health_pb2))
    return stubs


def _health_messages(out: pathlib.Path, include: str) -> types.SimpleNamespace:
    """HealthCheckRequest/HealthCheckResponse classes built from Protocol/grpc/health/v1/health.proto.

    They live in a private descriptor pool: protobuf's default pool holds each message name once per
    process, and other suites (or grpcio-health-checking) register the same standard messages there.
    """
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    from grpc_tools import protoc

    descriptor_set = out / "health.protoset"
    args = ["protoc", f"-I{PROTOCOL}", f"-I{include}", f"--descriptor_set_out={descriptor_set}"]
    if protoc.main(args + ["grpc/health/v1/health.proto"]) != 0:
        raise RuntimeError("grpc_tools.protoc failed on grpc/health/v1/health.proto")
    files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)
    return types.SimpleNamespace(
        **{
            name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"grpc.health.v1.{name}"))
            for name in ("HealthCheckRequest", "HealthCheckResponse")
        }
    )


class HealthStub:
    """grpc.health.v1.Health client calls (Check, Watch) over the classes `_health_messages` found."""

    def __init__(self, channel, messages):
        self.Check = channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=messages.HealthCheckRequest.SerializeToString,
            response_deserializer=messages.HealthCheckResponse.FromString,
        )
        self.Watch = channel.unary_stream(
            "/grpc.health.v1.Health/Watch",
            request_serializer=messages.HealthCheckRequest.SerializeToString,
            response_deserializer=messages.HealthCheckResponse.FromString,
        )


def build_server(stubs: types.SimpleNamespace, port: int = 0, workers: int = 32):
    """A grpcio server with Health (everything SERVING) and Diagnostics; returns (server, bound port)."""
    import grpc

    health_pb = stubs.health_pb2
    codec = GeneratedCodec(stubs.diagnostics_pb2) if stubs.diagnostics_pb2 else HandCodec()

    def echo(request, context):
        if request.delay_ms:
            time.sleep(request.delay_ms / 1000)
        if request.fail_code:
            context.abort(_status_by_number(request.fail_code), request.fail_message)
        return request.payload

    def stream(request, context):
        payload = b"x" * request.payload_size
        for index in range(request.count):
            if not context.is_active():
                return
            if request.interval_ms and index:
                time.sleep(request.interval_ms / 1000)
            yield (index, payload)

    diagnostics = grpc.method_handlers_generic_handler(
        "pulse.v1.Diagnostics",
        {
            "Echo": grpc.unary_unary_rpc_method_handler(
                echo, request_deserializer=codec.echo_request, response_serializer=codec.echo_response
            ),
            "Stream": grpc.unary_stream_rpc_method_handler(
                stream, request_deserializer=codec.stream_request, response_serializer=codec.stream_item
            ),
        },
    )

    known = {"", "grpc.health.v1.Health", "pulse.v1.Diagnostics"}
    serving = health_pb.HealthCheckResponse.SERVING

    def check(request, context):
        if request.service not in known:
            context.abort(grpc.StatusCode.NOT_FOUND, f"unknown service {request.service!r}")
        return health_pb.HealthCheckResponse(status=serving)

    def watch(request, context):
        status = serving if request.service in known else health_pb.HealthCheckResponse.SERVICE_UNKNOWN
        yield health_pb.HealthCheckResponse(status=status)
        while context.is_active():
            time.sleep(0.05)

    health = grpc.method_handlers_generic_handler(
        "grpc.health.v1.Health",
        {
            "Check": grpc.unary_unary_rpc_method_handler(
                check,
                request_deserializer=health_pb.HealthCheckRequest.FromString,
                response_serializer=health_pb.HealthCheckResponse.SerializeToString,
            ),
            "Watch": grpc.unary_stream_rpc_method_handler(
                watch,
                request_deserializer=health_pb.HealthCheckRequest.FromString,
                response_serializer=health_pb.HealthCheckResponse.SerializeToString,
            ),
        },
    )

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers))
    server.add_generic_rpc_handlers((diagnostics, health))
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    return server, bound


class GeneratedCodec:
    """Diagnostics messages through the classes protoc generated from Protocol/."""

    def __init__(self, pb):
        self.pb = pb
        self.echo_request = pb.EchoRequest.FromString
        self.stream_request = pb.StreamRequest.FromString

    def echo_response(self, payload):
        return self.pb.EchoResponse(payload=payload).SerializeToString()

    def stream_item(self, item):
        return self.pb.StreamItem(index=item[0], payload=item[1]).SerializeToString()


class HandCodec:
    """Diagnostics messages by hand, for a checkout whose Protocol/ has no diagnostics .proto yet.

    Field numbers as PulseProtocol's DiagnosticsMessages.swift: EchoRequest {1 payload, 2 delay_ms,
    3 fail_code, 4 fail_message, 5 use_compute_pool}, EchoResponse {1 payload}, StreamRequest
    {1 count, 2 payload_size, 3 interval_ms}, StreamItem {1 index, 2 payload}.
    """

    @staticmethod
    def _fields(data):
        index, fields = 0, {}

        def varint():
            nonlocal index
            value = shift = 0
            while True:
                byte = data[index]
                index += 1
                value |= (byte & 0x7F) << shift
                if not byte & 0x80:
                    return value
                shift += 7

        while index < len(data):
            tag = varint()
            if tag & 7 == 0:
                fields[tag >> 3] = varint()
            elif tag & 7 == 2:
                length = varint()
                fields[tag >> 3] = bytes(data[index : index + length])
                index += length
            else:
                raise ValueError(f"unexpected wire type {tag & 7}")
        return fields

    @staticmethod
    def _varint(value):
        value &= (1 << 64) - 1
        out = bytearray()
        while value >= 0x80:
            out.append(value & 0x7F | 0x80)
            value >>= 7
        out.append(value)
        return bytes(out)

    def echo_request(self, data):
        f = self._fields(data)
        code = f.get(3, 0)
        return types.SimpleNamespace(
            payload=f.get(1, b""),
            delay_ms=f.get(2, 0),
            fail_code=code - (1 << 64) if code >= 1 << 63 else code,
            fail_message=f.get(4, b"").decode(),
        )

    def echo_response(self, payload):
        return b"\x0a" + self._varint(len(payload)) + payload if payload else b""

    def stream_request(self, data):
        f = self._fields(data)
        return types.SimpleNamespace(count=f.get(1, 0), payload_size=f.get(2, 0), interval_ms=f.get(3, 0))

    def stream_item(self, item):
        index, payload = item
        out = (b"\x08" + self._varint(index)) if index else b""
        return out + (b"\x12" + self._varint(len(payload)) + payload if payload else b"")


def _status_by_number(number: int):
    import grpc

    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code
    return grpc.StatusCode.UNKNOWN


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--workers", type=int, default=32)
    options = parser.parse_args()
    stubs = compile_protocol(require_diagnostics=False)
    server, port = build_server(stubs, options.port, options.workers)
    stop = threading.Event()
    # Handlers before `listening on`: a parent may send SIGTERM as soon as it reads the line.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # A parent that spawned us from a thread with signals blocked (libdispatch workers do) passes that
    # mask on: unblock what we handle, or SIGTERM would never arrive.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    server.start()
    print(f"listening on 127.0.0.1:{port}", flush=True)
    parent = os.getppid()
    while not stop.wait(timeout=0.5):
        if os.getppid() != parent:  # the test or benchmark that started us is gone: do not linger
            break
    server.stop(grace=0.5).wait(timeout=2)
    os._exit(0)  # grpcio's worker threads (an open Watch, a sleeping Echo) must not keep us alive


if __name__ == "__main__":
    sys.exit(main())

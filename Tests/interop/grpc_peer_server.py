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
import pathlib
import re
import shutil
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


def compile_protocol(out_dir: pathlib.Path | None = None) -> types.SimpleNamespace:
    """Generates Python classes and grpc stubs from Protocol/ into `out_dir` (a new temp dir by default).

    Returns a namespace with `diagnostics_pb2`, `diagnostics_pb2_grpc`, `health_pb2`, `health_pb2_grpc`.
    The standard health.proto is compiled from its own folder, so its modules are top-level
    (`health_pb2`) and never shadow grpcio's own `grpc` package. Raises ProtocolMissing when
    Protocol/ has no `service Diagnostics` yet.
    """
    from grpc_tools import protoc  # imported here: only needed when generating

    out = pathlib.Path(out_dir or tempfile.mkdtemp(prefix="pulse-stubs-"))
    out.mkdir(parents=True, exist_ok=True)
    include = str(pathlib.Path(protoc.__file__).parent / "_proto")

    diagnostics = _find_proto(r"service\s+Diagnostics\b")
    if diagnostics is None:
        raise ProtocolMissing(f"no .proto under {PROTOCOL} declares `service Diagnostics`")
    pulse_protos = [str(p.relative_to(PROTOCOL)) for p in sorted(PROTOCOL.rglob("*.proto")) if "grpc" not in p.parts]
    args = ["protoc", f"-I{PROTOCOL}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}"]
    if protoc.main(args + pulse_protos) != 0:
        raise RuntimeError(f"grpc_tools.protoc failed on {pulse_protos}")

    health = PROTOCOL / "grpc" / "health" / "v1" / "health.proto"
    health_dir = out / "_health"
    health_dir.mkdir(exist_ok=True)
    if health.exists():
        shutil.copy(health, health_dir / "health.proto")
        args = ["protoc", f"-I{health_dir}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}"]
        if protoc.main(args + ["health.proto"]) != 0:
            raise RuntimeError("grpc_tools.protoc failed on health.proto")

    if str(out) not in sys.path:
        sys.path.insert(0, str(out))
    module = str(diagnostics.relative_to(PROTOCOL).with_suffix("")).replace("/", ".")
    stubs = types.SimpleNamespace(
        diagnostics_pb2=importlib.import_module(module + "_pb2"),
        diagnostics_pb2_grpc=importlib.import_module(module + "_pb2_grpc"),
    )
    if health.exists():
        stubs.health_pb2 = importlib.import_module("health_pb2")
        stubs.health_pb2_grpc = importlib.import_module("health_pb2_grpc")
    else:  # the same standard proto, as grpcio-health-checking ships it
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        stubs.health_pb2, stubs.health_pb2_grpc = health_pb2, health_pb2_grpc
    return stubs


def build_server(stubs: types.SimpleNamespace, port: int = 0, workers: int = 32):
    """A grpcio server with Health (everything SERVING) and Diagnostics; returns (server, bound port)."""
    import grpc

    pb, health_pb = stubs.diagnostics_pb2, stubs.health_pb2

    class Diagnostics(stubs.diagnostics_pb2_grpc.DiagnosticsServicer):
        def Echo(self, request, context):
            if request.delay_ms:
                time.sleep(request.delay_ms / 1000)
            if request.fail_code:
                context.abort(_status_by_number(request.fail_code), request.fail_message)
            return pb.EchoResponse(payload=request.payload)

        def Stream(self, request, context):
            payload = b"x" * request.payload_size
            for index in range(request.count):
                if not context.is_active():
                    return
                if request.interval_ms and index:
                    time.sleep(request.interval_ms / 1000)
                yield pb.StreamItem(index=index, payload=payload)

    class Health(stubs.health_pb2_grpc.HealthServicer):
        known = {"", "grpc.health.v1.Health", "pulse.v1.Diagnostics"}

        def Check(self, request, context):
            if request.service not in self.known:
                context.abort(grpc.StatusCode.NOT_FOUND, f"unknown service {request.service!r}")
            return health_pb.HealthCheckResponse(status=health_pb.HealthCheckResponse.SERVING)

        def Watch(self, request, context):
            status = (
                health_pb.HealthCheckResponse.SERVING
                if request.service in self.known
                else health_pb.HealthCheckResponse.SERVICE_UNKNOWN
            )
            yield health_pb.HealthCheckResponse(status=status)
            while context.is_active():
                time.sleep(0.05)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers))
    stubs.diagnostics_pb2_grpc.add_DiagnosticsServicer_to_server(Diagnostics(), server)
    stubs.health_pb2_grpc.add_HealthServicer_to_server(Health(), server)
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    return server, bound


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
    try:
        stubs = compile_protocol()
    except ProtocolMissing as error:
        print(f"grpc_peer_server: {error}", file=sys.stderr)
        return 3
    server, port = build_server(stubs, options.port, options.workers)
    server.start()
    print(f"listening on 127.0.0.1:{port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop(grace=1).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())

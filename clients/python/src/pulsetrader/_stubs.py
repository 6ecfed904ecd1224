"""The protobuf and gRPC modules of Protocol/, generated rather than committed.

A built wheel carries them in `pulsetrader/_generated`. Otherwise (an editable install, a source checkout) they are
generated on first import with grpcio-tools' protoc from the first Protocol/ found — `$PULSE_PROTOCOL_DIR`, the
copy bundled in the package, or the repository's own — into a cache folder named by a hash of the .proto files,
so a changed contract gets fresh stubs.
"""
import hashlib
import importlib
import os
import pathlib
import sys
import tempfile

PACKAGE = pathlib.Path(__file__).resolve().parent


def protocol_dir() -> pathlib.Path:
    candidates = [os.environ.get("PULSE_PROTOCOL_DIR"), PACKAGE / "protocol", PACKAGE.parents[3] / "Protocol"]
    for candidate in candidates:
        if candidate and (pathlib.Path(candidate) / "pulse" / "v1" / "quotes.proto").exists():
            return pathlib.Path(candidate)
    raise ImportError("pulsetrader: no Protocol/ found to generate stubs from (set PULSE_PROTOCOL_DIR)")


def generate(protocol: pathlib.Path, out: pathlib.Path) -> None:
    """protoc --python_out --grpc_python_out for every pulse/**/*.proto of `protocol` into `out`."""
    from grpc_tools import protoc

    out.mkdir(parents=True, exist_ok=True)
    include = pathlib.Path(protoc.__file__).parent / "_proto"
    protos = [str(p.relative_to(protocol)) for p in sorted(protocol.rglob("*.proto"))
              if p.relative_to(protocol).parts[0] == "pulse"]
    args = ["protoc", f"-I{protocol}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}", *protos]
    if protoc.main(args) != 0:
        raise ImportError(f"pulsetrader: protoc failed on {protocol}")
    for folder in (out / "pulse", out / "pulse" / "v1"):
        (folder / "__init__.py").touch()


def _cached() -> pathlib.Path:
    protocol = protocol_dir()
    digest = hashlib.sha256()
    for proto in sorted(protocol.rglob("*.proto")):
        digest.update(str(proto.relative_to(protocol)).encode() + b"\0" + proto.read_bytes())
    cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache")) / "pulsetrader"
    out = cache / f"stubs-{digest.hexdigest()[:16]}"
    if not (out / "pulse" / "v1" / "quotes_pb2_grpc.py").exists():
        cache.mkdir(parents=True, exist_ok=True)
        staging = pathlib.Path(tempfile.mkdtemp(prefix="stubs-", dir=cache))
        generate(protocol, staging)
        try:
            os.replace(staging, out)  # atomic: two processes generating at once both end with a whole folder
        except OSError:
            pass
    return out


def load():
    """The generated modules, as a namespace: market_data_pb2, quotes_pb2, quotes_pb2_grpc, indicators_pb2, …"""
    generated = PACKAGE / "_generated"
    root = generated if (generated / "pulse" / "v1" / "quotes_pb2.py").exists() else _cached()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    names = ["market_data_pb2", "quotes_pb2", "quotes_pb2_grpc", "indicators_pb2", "indicators_pb2_grpc",
             "backtests_pb2", "backtests_pb2_grpc"]
    return type("Stubs", (), {name: importlib.import_module(f"pulse.v1.{name}") for name in names})

"""Regenerates Protocol/vectors/<name>.hex from vectors.json with protobuf's python implementation.

The .hex files are the golden encodings: produced here by an independent implementation (the classes
grpcio-tools generates from Protocol/**/*.proto), and checked against PulseProtocol's hand-written codec by
the Swift tests and by Tests/interop/test_protocol_vectors.py.

Usage: .venv/bin/python Protocol/vectors/generate.py
"""
import importlib
import json
import pathlib
import sys
import tempfile

from google.protobuf import json_format
from grpc_tools import protoc

HERE = pathlib.Path(__file__).resolve().parent
PROTOCOL = HERE.parent
PROTO_FILES = sorted(str(p.relative_to(PROTOCOL)) for p in PROTOCOL.rglob("*.proto"))


def compile_protos(out_dir: pathlib.Path) -> None:
    """Runs protoc over every .proto in Protocol/ into out_dir and makes the modules importable."""
    grpc_include = pathlib.Path(protoc.__file__).parent / "_proto"
    args = ["protoc", f"-I{PROTOCOL}", f"-I{grpc_include}", f"--python_out={out_dir}", *PROTO_FILES]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    sys.path.insert(0, str(out_dir))


def message_class(full_name: str):
    """The generated class for a fully qualified message name such as pulse.v1.EchoRequest."""
    package, _, name = full_name.rpartition(".")
    for proto in PROTO_FILES:
        module_name = proto[: -len(".proto")].replace("/", ".") + "_pb2"
        module = importlib.import_module(module_name)
        if module.DESCRIPTOR.package == package and name in module.DESCRIPTOR.message_types_by_name:
            return getattr(module, name)
    raise KeyError(full_name)


def main() -> None:
    vectors = json.loads((HERE / "vectors.json").read_text())["vectors"]
    with tempfile.TemporaryDirectory() as tmp:
        compile_protos(pathlib.Path(tmp))
        for vector in vectors:
            message = json_format.ParseDict(vector["value"], message_class(vector["type"])())
            (HERE / f"{vector['name']}.hex").write_text(message.SerializeToString(deterministic=True).hex() + "\n")
    print(f"wrote {len(vectors)} vectors to {HERE}")


if __name__ == "__main__":
    main()

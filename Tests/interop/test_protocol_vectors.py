"""Checks Protocol/vectors against protobuf's reference implementation.

Runs grpcio-tools' protoc over Protocol/**/*.proto into a temporary directory (generated code is never
committed), then for every vector in vectors.json: the golden bytes decode with the generated class to the
field values vectors.json gives, and re-encode byte for byte. Together with the Swift tests (which check
PulseProtocol's hand-written codec against the same bytes) this shows that any protobuf/gRPC stack reads
and writes exactly what PulseTrader does.
"""

import json
import math
import pathlib
import subprocess
import sys

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from grpc_tools import protoc

REPO = pathlib.Path(__file__).resolve().parents[2]
PROTOCOL = REPO / "Protocol"
VECTORS = PROTOCOL / "vectors"
PROTO_FILES = sorted(str(p.relative_to(PROTOCOL)) for p in PROTOCOL.rglob("*.proto"))
ALL_VECTORS = json.loads((VECTORS / "vectors.json").read_text())["vectors"]


def run_protoc(*args):
    grpc_include = pathlib.Path(protoc.__file__).parent / "_proto"
    assert protoc.main(["protoc", f"-I{PROTOCOL}", f"-I{grpc_include}", *args, *PROTO_FILES]) == 0, "protoc failed"


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    """A private descriptor pool built from what protoc compiles of Protocol/**/*.proto.

    A private pool (rather than importing generated modules into the default one) keeps our
    grpc/health/v1/health.proto apart from grpcio-health-checking's copy that other suites import.
    """
    out = tmp_path_factory.mktemp("protocol_descriptors") / "protocol.pb"
    run_protoc(f"--descriptor_set_out={out}", "--include_imports")
    files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)
    return pool, files


def message_class(pool, full_name):
    return message_factory.GetMessageClass(pool[0].FindMessageTypeByName(full_name))


def all_message_names(pool):
    """Every message type the .proto files define, nested ones included."""
    names = set()

    def walk(prefix, message):
        names.add(f"{prefix}.{message.name}")
        for nested in message.nested_type:
            walk(f"{prefix}.{message.name}", nested)

    for file in pool[1].file:
        for message in file.message_type:
            walk(file.package, message)
    return names


def same_values(a, b):
    """Compares proto3-JSON dicts, treating NaN as equal to NaN."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_values(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_values(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


@pytest.mark.parametrize("vector", ALL_VECTORS, ids=[v["name"] for v in ALL_VECTORS])
def test_golden_vector_decodes_to_its_values_and_reencodes(pool, vector):
    cls = message_class(pool, vector["type"])
    golden = bytes.fromhex((VECTORS / f"{vector['name']}.hex").read_text().strip())
    decoded = cls.FromString(golden)
    expected = json_format.ParseDict(vector["value"], cls())
    as_dict = lambda m: json_format.MessageToDict(m, preserving_proto_field_name=True)
    assert same_values(as_dict(decoded), as_dict(expected)), f"{vector['name']}: decoded {decoded} expected {expected}"
    assert decoded.SerializeToString() == golden, f"{vector['name']}: re-encoding differs"
    # Field-number order, as our encoder writes: the deterministic serializer must agree too.
    assert decoded.SerializeToString(deterministic=True) == golden


def test_every_message_type_has_a_vector(pool):
    covered = {v["type"] for v in ALL_VECTORS}
    missing = sorted(all_message_names(pool) - covered)
    assert not missing, f"messages without a golden vector: {missing}"


def test_every_vector_file_is_described():
    files = {p.name[: -len(".hex")] for p in VECTORS.glob("*.hex")}
    assert files == {v["name"] for v in ALL_VECTORS}


def test_services_and_methods(pool):
    """The services and their streaming shapes are those Protocol/README.md documents."""
    methods = {}
    for file in pool[1].file:
        for service in file.service:
            for method in service.method:
                kind = "server-streaming" if method.server_streaming else "unary"
                assert not method.client_streaming, f"{service.name}/{method.name} is client streaming"
                methods[f"/{file.package}.{service.name}/{method.name}"] = kind
    readme = (PROTOCOL / "README.md").read_text()
    for path, kind in methods.items():
        assert f"`{path}`" in readme, f"{path} is not documented in Protocol/README.md"
    assert len(methods) == 18
    assert methods["/pulse.v1.Quotes/Subscribe"] == "server-streaming"
    assert methods["/pulse.v1.Backtests/Run"] == "unary"


def test_generated_python_code_and_stubs_import(tmp_path):
    """protoc's Python messages and gRPC stubs generate from Protocol/ and import (in a fresh interpreter,
    so their registrations do not meet other suites' in the default descriptor pool)."""
    run_protoc(f"--python_out={tmp_path}", f"--grpc_python_out={tmp_path}")
    code = (
        "import pulse.v1.quotes_pb2_grpc, pulse.v1.indicators_pb2_grpc, pulse.v1.backtests_pb2_grpc, "
        "pulse.v1.diagnostics_pb2_grpc, grpc.health.v1.health_pb2 as h; "
        "assert h.HealthCheckResponse.SERVING == 1"
    )
    # grpc.health must resolve to the generated package, not grpcio's `grpc`: extend grpc's path first.
    code = "import grpc, sys; grpc.__path__.insert(0, sys.argv[1] + '/grpc'); " + code
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


HEALTH_VECTORS = [v for v in ALL_VECTORS if v["type"].startswith("grpc.health.v1.")]


@pytest.mark.parametrize("vector", HEALTH_VECTORS, ids=[v["name"] for v in HEALTH_VECTORS])
def test_health_vectors_match_the_upstream_health_proto(vector):
    """grpcio-health-checking's own generated classes read and write the health vectors identically."""
    from grpc_health.v1 import health_pb2

    cls = getattr(health_pb2, vector["type"].rpartition(".")[2])
    golden = bytes.fromhex((VECTORS / f"{vector['name']}.hex").read_text().strip())
    decoded = cls.FromString(golden)
    assert decoded == json_format.ParseDict(vector["value"], cls())
    assert decoded.SerializeToString() == golden

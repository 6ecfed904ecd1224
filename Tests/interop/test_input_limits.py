"""Input limits reach a stock grpcio client as INVALID_ARGUMENT naming the field and the bound (Protocol/README.md,
"Limits"). Requests are built with classes protoc generates from Protocol/ at test time."""
import grpc
import pytest

from conftest import pulse_binary, skip_or_fail
from serve_process import ServeProcess


@pytest.fixture(scope="module")
def messages(tmp_path_factory):
    import importlib
    import sys

    from grpc_tools import protoc

    from grpc_peer_server import PROTOCOL

    out = tmp_path_factory.mktemp("limits-stubs")
    include = str(__import__("pathlib").Path(protoc.__file__).parent / "_proto")
    protos = [str(p.relative_to(PROTOCOL)) for p in sorted(PROTOCOL.rglob("*.proto")) if "grpc" not in p.parts]
    if protoc.main(["protoc", f"-I{PROTOCOL}", f"-I{include}", f"--python_out={out}", *protos]) != 0:
        skip_or_fail("protoc failed on Protocol/")
    sys.path.insert(0, str(out))
    return importlib.import_module("pulse.v1.indicators_pb2"), importlib.import_module("pulse.v1.backtests_pb2")


@pytest.fixture(scope="module")
def server():
    process = ServeProcess([pulse_binary(), "serve", "--port", "0", "--feed", "none"], env={"PULSE_AUTH": ""})
    yield process
    process.terminate()


def _status(address, path, message):
    with grpc.insecure_channel(address) as channel:
        call = channel.unary_unary(path, request_serializer=lambda m: m.SerializeToString(),
                                   response_deserializer=lambda b: b)
        try:
            call(message, timeout=30)
            return grpc.StatusCode.OK, ""
        except grpc.RpcError as error:
            return error.code(), error.details()


def test_bad_inputs_are_invalid_argument_with_the_bound(server, messages):
    indicators, backtests = messages
    spec = indicators.IndicatorSpec(function="rsi", parameters=[14])
    cases = [
        (indicators.ComputeIndicatorsRequest(symbol="AA PL", indicators=[spec]), "symbol 'AA PL'"),
        (indicators.ComputeIndicatorsRequest(symbol="AAPL", indicators=[spec], start_time_ms=2, end_time_ms=1),
         "end_time_ms 1 is not after"),
        (indicators.ComputeIndicatorsRequest(symbol="AAPL", indicators=[spec], limit=2_000_000),
         "over the maximum of 1000000"),
        (indicators.ComputeIndicatorsRequest(symbol="AAPL", indicators=[spec] * 65), "over the maximum of 64"),
    ]
    for request, expected in cases:
        code, details = _status(server.address, "/pulse.v1.Indicators/Compute", request)
        assert code == grpc.StatusCode.INVALID_ARGUMENT, (request, code, details)
        assert expected in details, details
    long_rule = backtests.BacktestRequest(symbols=["AAPL"], strategy=backtests.Strategy(entry="x" * 5000, exit="x"))
    code, details = _status(server.address, "/pulse.v1.Backtests/Run", long_rule)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "strategy.entry is 5000 bytes long" in details

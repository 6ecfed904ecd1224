"""Every route of deploy/openapi.yaml exercised by schemathesis (inputs generated from the file, not by us) against
`pulse gateway` in front of `pulse serve` with a real PostgreSQL holding a few stored symbols and a real Redis for
backtest jobs: no answer may be a server error, and every answer must match the file (status, content type,
headers, body schema), a schema-invalid request must be refused with a 4xx, and an undeclared method must be 405.
Left out: schemathesis' "positive data acceptance" check, since a schema-valid request may rightly be refused for
what the data holds (5m bars where only daily bars are stored: FAILED_PRECONDITION 400; a TA-Lib name that does
not exist; a connection id that is gone: 410). Examples per operation are few, to keep CI time small.
"""
import subprocess

import grpc
import pytest

from conftest import REPO, free_port, require_module
from gateway_support import Gateway
from loading_support import fresh_database, require_database, serve, stubs  # noqa: F401
from test_gateway import daily_frame

schemathesis = require_module("schemathesis")
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402
hypothesis = require_module("hypothesis")
require_database()

schema = schemathesis.openapi.from_path(str(REPO / "deploy" / "openapi.yaml"))


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory, stubs):
    port = free_port()
    folder = tmp_path_factory.mktemp("redis") / "data"
    subprocess.run(["bash", str(REPO / "scripts/redis.sh"), "start", str(folder), str(port)], check=True)
    try:
        with fresh_database() as database:
            server = serve(database)
            gateway = None
            try:
                with grpc.insecure_channel(server.address) as channel:
                    quotes = stubs.quotes_pb2_grpc.QuotesStub(channel)
                    for i, symbol in enumerate(["AAPL", "MSFT"]):
                        text = daily_frame(80, 3 + i).to_csv(index_label="Date", date_format="%Y-%m-%d",
                                                             float_format="%.17g")
                        quotes.LoadSymbol(stubs.quotes_pb2.LoadSymbolRequest(
                            symbol=symbol, source=stubs.quotes_pb2.DATA_SOURCE_CSV, csv=text.encode()), timeout=60)
                gateway = Gateway(server.address, "--redis-url", f"redis://127.0.0.1:{port}")
                yield f"http://{gateway.address}"
            finally:
                if gateway:
                    gateway.stop()
                server.terminate()
    finally:
        subprocess.run(["bash", str(REPO / "scripts/redis.sh"), "stop", str(folder), str(port)], check=False)


@schema.parametrize()
@hypothesis.settings(max_examples=12, deadline=None, derandomize=True,
                     suppress_health_check=list(hypothesis.HealthCheck))
def test_every_route_matches_the_openapi_file(case, gateway_url):
    case.call_and_validate(base_url=gateway_url, timeout=60, excluded_checks=[positive_data_acceptance])

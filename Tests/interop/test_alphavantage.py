"""`pulse fetch` (the production Alpha Vantage client, libcurl on the loop) against the fake Alpha Vantage,
with expected values from pandas reading the same JSON/CSV the fake serves (tz conversion by pandas' tz
database, not ours)."""
import io
import json
import os
import pathlib
import socket
import subprocess
import threading
import time
import urllib.request
import uuid

import pytest

from conftest import REPO, pulse_binary, require_module
import fake_alphavantage

pd = require_module("pandas")


@pytest.fixture(scope="module")
def fake():
    server = fake_alphavantage.make_server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def fetch(fake, *args, key="demo", extra_env=None):
    env = dict(os.environ, ALPHA_VANTAGE_API_KEY=key, ALPHA_VANTAGE_BASE_URL=f"{fake}/query")
    env.pop("REDIS_URL", None)
    env.update(extra_env or {})
    return subprocess.run([str(pulse_binary()), "fetch", *args], capture_output=True, text=True, env=env, timeout=120)


def raw(fake, query):
    with urllib.request.urlopen(f"{fake}/query?{query}&apikey=demo") as response:
        return response.read().decode()


def expected_from_json(text):
    doc = json.loads(text)
    key = next(k for k in doc if k.startswith("Time Series"))
    frame = pd.DataFrame.from_dict(doc[key], orient="index").astype(float)
    frame.columns = [c.split(". ")[1] for c in frame.columns]
    return frame


def to_utc(index, daily):
    times = pd.to_datetime(pd.Index(index))
    if daily:
        return times.tz_localize("UTC")
    return times.tz_localize("America/New_York").tz_convert("UTC")


def parsed(stdout):
    frame = pd.read_csv(io.StringIO(stdout))
    frame.index = pd.to_datetime(frame["timestamp"], utc=True)
    return frame


@pytest.mark.parametrize(
    "query,args,daily",
    [
        ("function=TIME_SERIES_INTRADAY&symbol=IBM&interval=1min&month=2024-03&outputsize=full",
         ["--function", "TIME_SERIES_INTRADAY", "--interval", "1min", "--month", "2024-03", "--outputsize", "full"], False),
        ("function=TIME_SERIES_INTRADAY&symbol=IBM&interval=15min&month=2024-11&outputsize=full&extended_hours=false",
         ["--function", "TIME_SERIES_INTRADAY", "--interval", "15min", "--month", "2024-11", "--outputsize", "full",
          "--extended-hours", "false"], False),
        ("function=TIME_SERIES_INTRADAY&symbol=IBM&interval=5min",
         ["--function", "TIME_SERIES_INTRADAY", "--interval", "5min"], False),
        ("function=TIME_SERIES_DAILY&symbol=SPLT&outputsize=full",
         ["--function", "TIME_SERIES_DAILY", "--outputsize", "full"], True),
    ],
)
@pytest.mark.parametrize("datatype", ["json", "csv"])
def test_bars_match_pandas(fake, query, args, daily, datatype):
    symbol = "SPLT" if daily else "IBM"
    body = raw(fake, query + ("&datatype=csv" if datatype == "csv" else ""))
    if datatype == "csv":
        assert "\r\n" in body
        expected = pd.read_csv(io.StringIO(body), index_col="timestamp")
    else:
        expected = expected_from_json(body)
    expected.index = to_utc(expected.index, daily)
    expected = expected.sort_index()
    result = fetch(fake, *args, "--symbol", symbol, "--datatype", datatype)
    assert result.returncode == 0, result.stderr
    got = parsed(result.stdout)
    assert len(got) == len(expected) > 0
    assert list(got.index) == list(expected.index)
    for column in ("open", "high", "low", "close", "volume"):
        assert list(got[column]) == list(expected[column].astype(float)), column


def test_quote_and_search(fake):
    for datatype in ("json", "csv"):
        result = fetch(fake, "--function", "GLOBAL_QUOTE", "--symbol", "IBM", "--datatype", datatype)
        assert result.returncode == 0, result.stderr
        row = pd.read_csv(io.StringIO(result.stdout)).iloc[0]
        assert (row["symbol"], row["price"], row["volume"], row["change_percent"]) == ("IBM", 166.85, 4905002, 0.7183)
    result = fetch(fake, "--function", "SYMBOL_SEARCH", "--symbol", "IBM")
    assert list(pd.read_csv(io.StringIO(result.stdout))["symbol"]) == ["IBM", "IBML"]


@pytest.mark.parametrize(
    "symbol,kind",
    [("BADCALL", "invalid call"), ("QUOTA", "daily quota exhausted"), ("PREMIUM", "premium endpoint")],
)
def test_error_kinds_without_the_key(fake, symbol, kind):
    result = fetch(fake, "--function", "TIME_SERIES_DAILY", "--symbol", symbol, key="SECRET-KEY-123")
    assert result.returncode == 1
    assert kind in result.stderr
    assert "SECRET-KEY-123" not in result.stderr + result.stdout


def test_pacer_shared_by_processes(fake, tmp_path):
    """Eight processes share one key's budget of three through Redis: exactly three requests reach Alpha Vantage."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    redis_dir = tmp_path / "redis"
    subprocess.run(["bash", str(REPO / "scripts" / "redis.sh"), "start", str(redis_dir), str(port)], check=True)
    try:
        urllib.request.urlopen(f"{fake}/__reset").read()
        key = f"pacer-{uuid.uuid4()}"
        env = dict(os.environ, ALPHA_VANTAGE_API_KEY=key, ALPHA_VANTAGE_BASE_URL=f"{fake}/query",
                   ALPHA_VANTAGE_DAILY_LIMIT="3", REDIS_URL=f"redis://127.0.0.1:{port}")
        processes = [
            subprocess.Popen([str(pulse_binary()), "fetch", "--function", "GLOBAL_QUOTE", "--symbol", "IBM"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(8)
        ]
        outcomes = [(p.wait(timeout=60), p.stderr.read()) for p in processes]
        assert sum(1 for code, _ in outcomes if code == 0) == 3, outcomes
        assert all("daily quota exhausted" in err for code, err in outcomes if code != 0), outcomes
        stats = json.loads(urllib.request.urlopen(f"{fake}/__stats").read())
        assert stats["requests"] == 3
    finally:
        subprocess.run(["bash", str(REPO / "scripts" / "redis.sh"), "stop", str(redis_dir), str(port)])


NO_CA = {"SSL_CERT_FILE": "", "CURL_CA_BUNDLE": ""}


@pytest.fixture(scope="module")
def https_fakes(tmp_path_factory):
    """The fake over HTTPS twice: with a certificate for 127.0.0.1 from a test CA, and with one for another name
    from a second CA. Yields (trusted URL, its CA, other-name URL, its CA)."""
    from pki_support import make_pki

    folder = tmp_path_factory.mktemp("pki")
    ca, cert, key = make_pki(folder, "av")
    other_ca, other_cert, other_key = make_pki(folder, "elsewhere", names="DNS:elsewhere.example")
    servers = [fake_alphavantage.make_server(tls=(cert, key)), fake_alphavantage.make_server(tls=(other_cert,
                                                                                               other_key))]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield (f"https://127.0.0.1:{servers[0].server_address[1]}", ca,
           f"https://127.0.0.1:{servers[1].server_address[1]}", other_ca)
    for server in servers:
        server.shutdown()


def test_https_with_a_trusted_ca_gives_what_http_gives(fake, https_fakes):
    url, ca, _, _ = https_fakes
    # A month of 1-minute bars (the generated fixture, ~2 MB of JSON): many TLS records, not one.
    args = ("--function", "TIME_SERIES_INTRADAY", "--interval", "1min", "--month", "2024-03", "--outputsize", "full",
            "--symbol", "IBM")
    plain = fetch(fake, *args)
    assert plain.returncode == 0, plain.stderr
    for variable in ("SSL_CERT_FILE", "CURL_CA_BUNDLE"):
        # Empty counts as unset: the other variable (CURL_CA_BUNDLE wins, as in curl) must not name another file.
        secure = fetch(url, *args, extra_env={**NO_CA, variable: str(ca)})
        assert secure.returncode == 0, secure.stderr
        assert secure.stdout == plain.stdout and len(secure.stdout.splitlines()) > 10_000


def test_https_refuses_an_untrusted_certificate_or_another_name_without_retrying(https_fakes):
    url, ca, other_url, other_ca = https_fakes
    args = ("--function", "GLOBAL_QUOTE", "--symbol", "IBM")
    cases = [
        (url, {"SSL_CERT_FILE": str(other_ca)}, "unable to get local issuer certificate"),  # not our CA
        (other_url, {"SSL_CERT_FILE": str(other_ca)}, "no alternative certificate subject name matches"),  # another name
        (url, {"SSL_CERT_FILE": str(ca) + ".missing"}, "certificate"),  # a CA file that is not there
    ]
    for target, env, detail in cases:
        started = time.monotonic()
        result = fetch(target, *args, key="SECRET-KEY-123", extra_env={**NO_CA, **env})
        assert result.returncode == 1, result.stdout
        assert "certificate refused" in result.stderr and detail in result.stderr, result.stderr
        assert "SECRET-KEY-123" not in result.stderr + result.stdout
        assert time.monotonic() - started < 10  # refused at once: no retries with backoff

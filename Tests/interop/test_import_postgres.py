"""`pulse import` and `pulse migrate` against the real PostgreSQL the test script started.

What is stored (read back with psycopg) must equal the CSV as pandas parses it (round-trip float parsing, times
as UTC), a second import must rewrite zero rows, a changed row and a new one must be the only rows written, a bad
file must write nothing, two `pulse migrate` processes at once must apply each migration once, and no error may
name the database host, user or password.
"""
import datetime as dt
import os
import random
import subprocess
import urllib.parse

import numpy as np
import pytest

from conftest import REPO, pulse_binary, require_module, run_pulse, skip_or_fail

pd = require_module("pandas")
psycopg = require_module("psycopg")

SERVER_URL = os.environ.get("PULSE_TEST_DATABASE_URL")
if not SERVER_URL:
    skip_or_fail("PULSE_TEST_DATABASE_URL is not set (scripts/test.sh starts a PostgreSQL and sets it)")


def _with_database(url, name):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


@pytest.fixture()
def database_url():
    """A new empty database on the test server, dropped afterwards."""
    name = f"pulse_py_{random.randrange(1 << 32)}"
    with psycopg.connect(SERVER_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield _with_database(SERVER_URL, name)
    finally:
        with psycopg.connect(SERVER_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _csv(path, n=600, seed=11, start="2000-12-01"):
    """Daily bars from `start` (crossing year boundaries, so several partitions), prices with full precision."""
    rng = np.random.default_rng(seed)
    close = [float(c) for c in 50 + np.cumsum(rng.normal(0, 0.7, n))]
    days = pd.date_range(start, periods=n, freq="D")
    rows = ["Date,Open,High,Low,Close,Volume"]
    for i, day in enumerate(days):
        o = close[i - 1] if i else close[0]
        hi, lo = max(o, close[i]) + float(rng.uniform(0, 1)), min(o, close[i]) - float(rng.uniform(0, 1))
        rows.append(f"{day:%Y-%m-%d},{o!r},{hi!r},{lo!r},{close[i]!r},{int(rng.integers(1_000, 1_000_000))}")
    path.write_text("\n".join(rows) + "\n")
    return path


def _stored(url, symbol):
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            """
            SELECT b.ts, b.open, b.high, b.low, b.close, b.volume FROM bars b JOIN symbols s ON s.id = b.symbol_id
            WHERE s.symbol = %s AND b.timeframe = '1d' ORDER BY b.ts
            """,
            (symbol,),
        ).fetchall()
    return pd.DataFrame(rows, columns=["ts", "open", "high", "low", "close", "volume"])


def _expected(path):
    # pandas 3 parses floats round-trip by default and deprecates the option; older versions need it.
    options = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
    frame = pd.read_csv(path, **options)
    frame["ts"] = pd.to_datetime(frame["Date"], utc=True)
    return frame


def test_import_stores_exactly_the_csv_and_is_idempotent(tmp_path, database_url):
    path = _csv(tmp_path / "bars.csv")
    first = run_pulse("import", path, "--symbol", "PYT", "--database-url", database_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "imported 600 bars for PYT (2000-12-01 … 2002-07-23), 600 rows written"

    stored, expected = _stored(database_url, "PYT"), _expected(path)
    assert len(stored) == len(expected) == 600
    assert [t.astimezone(dt.timezone.utc) for t in stored["ts"]] == list(expected["ts"])
    for column in ["open", "high", "low", "close"]:
        assert list(stored[column]) == list(expected[column.capitalize()]), column  # bit for bit
    assert list(stored["volume"]) == [float(v) for v in expected["Volume"]]

    with psycopg.connect(database_url) as conn:
        partitions = [r[0] for r in conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'bars'::regclass ORDER BY 1").fetchall()]
    assert partitions == ["bars_2000", "bars_2001", "bars_2002"]

    again = run_pulse("import", path, "--symbol", "PYT", "--database-url", database_url)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().endswith(", 0 rows written")

    # One changed close and one new day: exactly two rows written.
    lines = path.read_text().splitlines()
    fields = lines[10].split(",")
    fields[4] = repr(float(fields[4]) + 0.125)
    lines[10] = ",".join(fields)
    lines.append("2002-07-24,60.0,61.5,59.0,60.5,1234")
    path.write_text("\n".join(lines) + "\n")
    changed = run_pulse("import", path, "--symbol", "PYT", "--database-url", database_url)
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.strip() == "imported 601 bars for PYT (2000-12-01 … 2002-07-24), 2 rows written"
    stored = _stored(database_url, "PYT")
    assert list(stored["close"]) == list(_expected(path)["Close"])


def test_a_bad_row_writes_nothing(tmp_path, database_url):
    path = _csv(tmp_path / "bad.csv", n=30)
    lines = path.read_text().splitlines()
    fields = lines[7].split(",")
    fields[2] = "1.0"  # high below low
    lines[7] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    proc = run_pulse("import", path, "--symbol", "BAD", "--database-url", database_url)
    assert proc.returncode == 2
    assert "line 8" in proc.stderr
    # The file is checked before the database is touched: not even the schema was created.
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT to_regclass('bars') IS NULL").fetchone()[0]


def test_two_migrate_processes_at_once_apply_each_migration_once(database_url):
    procs = [
        subprocess.Popen([str(pulse_binary()), "migrate", "--database-url", database_url],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    applied = [out for out, _ in outputs if out.startswith("applied migrations")]
    assert len(applied) == 1, outputs
    assert sum(out.startswith("schema up to date") for out, _ in outputs) == 2
    with psycopg.connect(database_url) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]
    assert versions == list(range(1, len(versions) + 1)) and versions


def test_errors_name_no_host_user_or_password(tmp_path):
    path = _csv(tmp_path / "bars.csv", n=5)
    proc = run_pulse("import", path, "--symbol", "X", "--database-url",
                     "postgresql://leakyuser:leakypass@127.0.0.1:1/leakydb")
    assert proc.returncode != 0
    for secret in ["leakyuser", "leakypass", "127.0.0.1", "leakydb"]:
        assert secret not in proc.stderr + proc.stdout, proc.stderr
    assert "refused" in proc.stderr


def test_no_database_is_a_usage_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    proc = subprocess.run([str(pulse_binary()), "migrate"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 2
    assert "DATABASE_URL" in proc.stderr


def test_a_crash_between_copy_and_commit_stores_nothing_and_a_rerun_stores_once(tmp_path, database_url):
    path = _csv(tmp_path / "crash.csv", n=100)
    env = dict(os.environ, PULSE_FAILPOINT="import-before-commit")
    crashed = subprocess.run(
        [str(pulse_binary()), "import", str(path), "--symbol", "CRSH", "--database-url", database_url],
        env=env, capture_output=True, text=True, timeout=60)
    assert crashed.returncode == -9, crashed.stderr  # SIGKILL after COPY, before COMMIT
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM bars").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM ingestion_batches").fetchone()[0] == 0

    rerun = run_pulse("import", path, "--symbol", "CRSH", "--database-url", database_url)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.strip().endswith("100 rows written")
    replay = run_pulse("import", path, "--symbol", "CRSH", "--database-url", database_url)
    assert replay.stdout.strip().endswith(", 0 rows written")
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM bars").fetchone()[0] == 100
        batches = conn.execute(
            "SELECT source, bar_count, rows_written, path FROM ingestion_batches ORDER BY id").fetchall()
    assert batches == [("csv:crash.csv", 100, 100, "copy"), ("csv:crash.csv", 100, 0, "stagedUpsert")]
    assert len(_stored(database_url, "CRSH")) == 100


def test_migrate_keeps_partitions_ahead_and_applies_retention(database_url):
    first = run_pulse("migrate", "--database-url", database_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("applied migrations 1, 2, 3")
    this_year = dt.datetime.now(dt.timezone.utc).year
    with psycopg.connect(database_url, autocommit=True) as conn:
        names = {r[0] for r in conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'bars'::regclass").fetchall()}
        assert {f"bars_{this_year}", f"bars_{this_year + 1}"} <= names
        conn.execute("SELECT pulse_ensure_bar_partitions('2001-03-01', '2001-03-02')")
    kept = run_pulse("migrate", "--database-url", database_url, "--retention-days", "1000")
    assert kept.returncode == 0, kept.stderr
    assert "dropped partitions past retention: bars_2001" in kept.stdout
    latest = len(list((REPO / "Sources/PulseStore/Migrations/SQL").glob("*.sql")))
    assert f"schema up to date (version {latest})" in kept.stdout


def test_serve_refuses_a_malformed_database_url_without_echoing_it():
    proc = subprocess.run(
        [str(pulse_binary()), "serve", "--port", "0", "--database-url", "postgresql://u:topsecret@h/db?bogus_option=1"],
        capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert "--database-url" in proc.stderr and "topsecret" not in proc.stderr


def test_migrations_can_come_from_a_folder_named_by_the_environment(tmp_path, database_url):
    (tmp_path / "0001_only.sql").write_text("CREATE TABLE only_one (id int);\n")
    env = dict(os.environ, PULSE_MIGRATIONS_DIR=str(tmp_path))
    proc = subprocess.run([str(pulse_binary()), "migrate", "--database-url", database_url, "--partitions-ahead", "0"],
                          capture_output=True, text=True, env=env, timeout=60)
    # Without the bars schema the partition upkeep fails: the migration itself was applied and recorded.
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT name FROM schema_migrations").fetchall() == [("only",)]
        assert conn.execute("SELECT to_regclass('only_one') IS NOT NULL").fetchone()[0]
    assert proc.returncode == 1 and "pulse_ensure_bar_partitions" in proc.stderr

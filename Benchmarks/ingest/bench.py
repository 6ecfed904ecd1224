"""Ingest benchmark: `pulse import` of a year of 1-minute bars beside psql doing the same work on the same rows, each
phase timed on its own.

- New range: `pulse import` into an empty database (its write phase: partitions, binary COPY straight into `bars`,
  the ledger row, COMMIT) against `psql \\copy bars … (FORMAT binary)` of the same rows into an empty database with
  the same schema (target: psql's time / pulse's ≥ 0.9).
- Overlapping range, nothing changed: the same import again (binary COPY into a staging table, one upsert that
  rewrites only changed rows) against psql running the same staging table and COPY with the plain upsert
  (`ON CONFLICT … DO UPDATE … WHERE … IS DISTINCT FROM EXCLUDED`; target ≥ 1.0; zero rows rewritten by both).
  Pulse's upsert first leaves out the staged rows equal to the stored ones (that plain form still locks, and so
  writes, every conflicting row); psql running pulse's own statement is shown too, so the SQL and the client can be
  told apart.

The statement triggers that note changed hours for the rollups fire for both sides (they are on `bars`); pulse's
rollup refresh after a new range runs after its COMMIT and is shown as a phase of its own, which psql has no
counterpart of.

Usage: .venv/bin/python Benchmarks/ingest/bench.py [--pulse .build/release/pulse] [--rounds 3]
Starts its own PostgreSQL (scripts/postgres.sh) on a free port in a temporary folder and stops it at the end.
"""
import argparse
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "Benchmarks" / "quotes"))
# The quotes benchmark's year of regular-hours minutes and free port; it puts Tests/interop on the path.
from bench import free_port, year_of_minutes  # noqa: E402
from loading_support import with_database  # noqa: E402

SYMBOL = "INGEST"
COLUMNS = "symbol_id, timeframe, ts, open, high, low, close, volume"
# BarStore.createStaging and COPY as psql runs them, with the plain upsert or with BarStore.upsertFromStaging.
STAGED = f"""BEGIN;
CREATE TEMP TABLE pulse_bars_staging (symbol_id integer, timeframe text, ts timestamptz, open float8, high float8,
    low float8, close float8, volume float8) ON COMMIT DROP;
\\copy pulse_bars_staging ({COLUMNS}) FROM '{{file}}' (FORMAT binary)
INSERT INTO bars AS b ({COLUMNS}) SELECT {COLUMNS} FROM pulse_bars_staging s {{skip_unchanged}}
ON CONFLICT (symbol_id, timeframe, ts) DO UPDATE SET open = EXCLUDED.open, high = EXCLUDED.high,
    low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume
WHERE (b.open, b.high, b.low, b.close, b.volume)
    IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume);
COMMIT;
"""
PULSE_SKIP_UNCHANGED = """WHERE NOT EXISTS (SELECT 1 FROM bars o
    WHERE o.symbol_id = s.symbol_id AND o.timeframe = s.timeframe AND o.ts = s.ts
    AND (o.open, o.high, o.low, o.close, o.volume) IS NOT DISTINCT FROM (s.open, s.high, s.low, s.close, s.volume))"""


def psql(url, *args, script=None):
    return subprocess.run(["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1", *args], input=script,
                          capture_output=True, text=True, check=True).stdout


def fresh(url, name, pulse):
    """An empty database with the schema applied and the symbol registered (id 1), as an import would leave it."""
    psql(url, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", "-c", f"CREATE DATABASE {name}")
    target = with_database(url, name)
    subprocess.run([str(pulse), "migrate", "--database-url", target], check=True, capture_output=True)
    psql(target, "-c", f"INSERT INTO symbols (symbol) VALUES ('{SYMBOL}')",
         "-c", "SELECT pulse_ensure_bar_partitions('2023-01-01', '2023-12-31')")
    return target


def pulse_import(pulse, csv, url):
    """The phases `pulse import --timings` reports, in seconds, and the rows it wrote."""
    proc = subprocess.run([str(pulse), "import", str(csv), "--symbol", SYMBOL, "--timeframe", "1m", "--timings",
                           "--database-url", url], capture_output=True, text=True, check=True)
    phases = {name: float(value) for name, value in re.findall(
        r"(read and check|connect and migrate|write \(\w+\)|rollups) ([0-9.e-]+) seconds", proc.stderr)}
    written = int(re.search(r", (\d+) rows written", proc.stdout).group(1))
    return phases, written


def psql_timed(url, script):
    """psql's own `\\timing` of each statement of `script`, summed (seconds), and its last output."""
    out = psql(url, script="\\timing on\n" + script)
    times = [float(ms) for ms in re.findall(r"Time: ([0-9.]+) ms", out)]
    return sum(times) / 1000, out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pulse", default=str(REPO / ".build" / "release" / "pulse"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    pulse = pathlib.Path(args.pulse)
    work = pathlib.Path(tempfile.mkdtemp(prefix="pulse-ingest-bench."))
    os.chmod(work, 0o755)
    port = free_port()
    url = subprocess.run(["bash", str(REPO / "scripts/postgres.sh"), "start", "--data", str(work / "pg"), "--port",
                          str(port)], capture_output=True, text=True, check=True).stdout.strip()
    admin = with_database(url, "postgres")
    try:
        csv = work / "year.csv"
        n = year_of_minutes(csv)
        binary = work / "year.bin"
        rows = {"new": [], "overlap": []}
        for round_ in range(1, args.rounds + 1):
            # New range: pulse into one empty database, psql into another.
            ours = fresh(admin, "ingest_pulse", pulse)
            phases, written = pulse_import(pulse, csv, ours)
            assert written == n, (written, n)
            if not binary.exists():
                psql(ours, "-c", f"\\copy (SELECT {COLUMNS} FROM bars ORDER BY ts) TO '{binary}' (FORMAT binary)")
            theirs = fresh(admin, "ingest_psql", pulse)
            copy_s, _ = psql_timed(theirs, f"\\copy bars ({COLUMNS}) FROM '{binary}' (FORMAT binary)\n")
            count = int(psql(theirs, "-At", "-c", "SELECT count(*) FROM bars").strip())
            assert count == n, (count, n)
            rows["new"].append((phases, copy_s))
            # Overlapping range, nothing changed: the same rows again into the databases that hold them.
            again, rewritten = pulse_import(pulse, csv, ours)
            assert rewritten == 0, rewritten
            psql(theirs, "-c", "DELETE FROM bar_rollup_invalidations")  # what the new range noted
            upsert_s, _ = psql_timed(theirs, STAGED.format(file=binary, skip_unchanged=""))
            changed = int(psql(theirs, "-At", "-c", "SELECT count(*) FROM bar_rollup_invalidations").strip())
            same_sql_s, _ = psql_timed(theirs, STAGED.format(file=binary, skip_unchanged=PULSE_SKIP_UNCHANGED))
            changed += int(psql(theirs, "-At", "-c", "SELECT count(*) FROM bar_rollup_invalidations").strip())
            rows["overlap"].append((again, upsert_s, changed, same_sql_s))
            print(f"round {round_}: new {phases} vs psql {copy_s:.3f} s; overlap {again} vs psql {upsert_s:.3f} s "
                  f"(pulse's upsert {same_sql_s:.3f} s)", file=sys.stderr)

        print(f"\nIngest benchmark ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load "
              f"{os.getloadavg()[0]:.1f}, {os.cpu_count()} cores): {n:,} 1-minute bars of one symbol (a year of regular "
              f"hours), {args.rounds} rounds, medians")
        print("| range | pulse read and check s | pulse write s | pulse rollups s | psql s | psql / pulse write | goal |")
        print("|---|---:|---:|---:|---:|---:|---|")
        new_write = statistics.median(p["write (copy)"] for p, _ in rows["new"])
        new_psql = statistics.median(c for _, c in rows["new"])
        print(f"| new (COPY into bars) | {statistics.median(p['read and check'] for p, _ in rows['new']):.3f} | "
              f"{new_write:.3f} | {statistics.median(p.get('rollups', 0) for p, _ in rows['new']):.3f} | "
              f"{new_psql:.3f} | {new_psql / new_write:.2f} | ≥ 0.9 |")
        over_write = statistics.median(r[0]["write (stagedUpsert)"] for r in rows["overlap"])
        over_read = statistics.median(r[0]["read and check"] for r in rows["overlap"])
        over_psql = statistics.median(r[1] for r in rows["overlap"])
        same_sql = statistics.median(r[3] for r in rows["overlap"])
        print(f"| overlapping, unchanged (staging + plain upsert) | {over_read:.3f} | {over_write:.3f} | – | "
              f"{over_psql:.3f} | {over_psql / over_write:.2f} | ≥ 1.0 |")
        print(f"| overlapping, unchanged (psql running pulse's upsert) | {over_read:.3f} | {over_write:.3f} | – | "
              f"{same_sql:.3f} | {same_sql / over_write:.2f} | – |")
        print(f"rows rewritten by the unchanged re-import: pulse 0, psql's upserts noted "
              f"{rows['overlap'][-1][2]} changed hours (0: nothing rewritten)")
        print(f"\nreproduce: {' '.join(map(str, [sys.executable, *sys.argv]))}")
    finally:
        subprocess.run(["bash", str(REPO / "scripts/postgres.sh"), "stop", "--data", str(work / "pg"), "--port",
                        str(port)], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

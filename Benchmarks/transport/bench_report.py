"""Prints run.sh's tables: one row per server and shape, ratios of pulse to each peer, the 4x32 targets.

Usage: python bench_report.py RESULTS_TSV SECONDS H2LOAD_THREADS PULSE_LOOPS
RESULTS_TSV holds `KEY<TAB>VALUE` lines: `NAME.CLIENTS` → h2load_report.py's JSON (figures or
{"error": ...}), `NAME.CLIENTS.check` → grpc_check.py's last line, `NAME.CLIENTS.checkrc` → its exit status.
A failed run is printed as FAILED with its reason, never with figures; the exit status is then 1.
"""
import json
import os
import sys

SERVERS = ("pulse", "nghttpd", "grpcio", "grpc-swift")
SHAPES = (("4", "32"), ("64", "10"))


def load(path):
    rows = {}
    for line in open(path, encoding="utf-8"):
        key, _, value = line.rstrip("\n").partition("\t")
        rows[key] = value
    return rows


def result(rows, name, clients):
    """The run's figures, or its error; None when the server was skipped."""
    raw = rows.get(f"{name}.{clients}")
    if raw is None:
        return None
    try:
        r = json.loads(raw)
    except json.JSONDecodeError:
        return {"error": f"no summary from h2load_report.py ({raw[:80]!r})"}
    if "error" not in r and rows.get(f"{name}.{clients}.checkrc", "0") != "0":
        r = {"error": f"gRPC check failed after the run: {rows.get(f'{name}.{clients}.check', '?')}"}
    return r


def main(path, seconds, threads, loops):
    rows = load(path)
    print(f"\nTransport benchmark: h2load -t {threads} -D {seconds} --warm-up-time=2, Diagnostics/Echo "
          f"(4-byte payload); nghttpd (-n 1) serves a 4-byte file. pulse serve --loops {loops}. "
          f"{os.cpu_count()} cores, load average at the end {os.getloadavg()[0]:.1f} "
          f"(other work on the machine skews every figure alike)")
    failures = []
    for clients, streams in SHAPES:
        print(f"\n{clients} connections x {streams} streams")
        print(f"{'server':<11}{'req/s':>11}{'mean ms':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}"
              f"{'failed':>8}  gRPC check")
        results = {name: result(rows, name, clients) for name in SERVERS}
        for name, r in results.items():
            if r is None:
                continue
            if "error" in r:
                failures.append(f"{name} {clients}x{streams}: {r['error']}")
                print(f"{name:<11}FAILED: {r['error']}")
                continue
            check = rows.get(f"{name}.{clients}.check", "n/a (HTTP file)")
            print(f"{name:<11}{r['rps']:>11.0f}{r['mean_ms']:>9.3f}{r['p50_ms']:>9.3f}{r['p90_ms']:>9.3f}"
                  f"{r['p99_ms']:>9.3f}{r['max_ms']:>9.3f}{r['failed'] + r['non_2xx']:>8}  {check}")
        pulse = results["pulse"]
        if pulse is None or "error" in pulse:
            continue
        for name in SERVERS[1:]:
            peer = results[name]
            if peer is not None and "error" not in peer:
                print(f"  pulse / {name}: {pulse['rps'] / peer['rps']:.2f}x")
        if clients == "4":
            print(f"  targets: >= 0.5x nghttpd, >= 8x grpc-swift, p99 < 1 ms at 4x32 "
                  f"-> pulse p99 {pulse['p99_ms']:.3f} ms")
    if failures:
        print(f"\n{len(failures)} run(s) failed, so the benchmark did not measure them:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))

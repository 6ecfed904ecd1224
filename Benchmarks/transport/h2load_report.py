"""Summarises one h2load run: requests/s from its output, latency percentiles from its --log-file.

Usage: python h2load_report.py H2LOAD_OUTPUT LOG_FILE   → prints one JSON object.
h2load prints mean/sd/max only; the per-request log (start µs, HTTP status, duration µs) gives p50/p90/p99.

A run that did not measure the server — h2load's output not understood, no request succeeded (h2load
exits 0 even when every connection is refused, and then writes an empty log), any request failed,
errored, timed out or got a non-2xx status, or an empty log — gives `{"error": "..."}` and exit status 1
instead of figures, so nothing downstream prints a rate or a percentile that was never measured.
"""
import json
import re
import sys


def summarise(text, log_lines):
    finished = re.search(r"finished in .*?, ([\d.]+) req/s", text)
    counts = re.search(
        r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, "
        r"(\d+) timeout", text)
    if not finished or not counts:
        tail = " | ".join(text.strip().splitlines()[-3:])
        return {"error": f"h2load's output has no result lines (last lines: {tail or 'none'})"}
    total, done, succeeded, failed, errored, timeout = (int(counts.group(i)) for i in range(1, 7))
    if succeeded == 0:
        return {"error": f"no request succeeded ({total} total, {failed} failed, {errored} errored, "
                         f"{timeout} timeout): the server refused, closed or never answered the connections"}
    durations, non_2xx = [], 0
    for line in log_lines:
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        if not parts[1].startswith("2"):
            non_2xx += 1
        durations.append(int(parts[2]))
    if failed or errored or timeout or non_2xx:
        return {"error": f"{failed} failed, {errored} errored, {timeout} timed out and {non_2xx} non-2xx "
                         f"of {total} requests: the figures would not describe a working server"}
    if not durations:
        return {"error": f"h2load reported {succeeded} successes but its per-request log is empty"}
    durations.sort()

    def percentile(p):
        return durations[min(len(durations) - 1, int(p / 100 * len(durations)))] / 1000

    return {
        "rps": float(finished.group(1)),
        "done": done, "succeeded": succeeded, "failed": failed + errored + timeout, "non_2xx": non_2xx,
        "p50_ms": percentile(50), "p90_ms": percentile(90), "p99_ms": percentile(99),
        "max_ms": durations[-1] / 1000,
        "mean_ms": sum(durations) / len(durations) / 1000,
    }


def main(output_path, log_path):
    text = open(output_path, encoding="utf-8", errors="replace").read()
    try:
        with open(log_path, encoding="utf-8") as log:
            summary = summarise(text, log)
    except FileNotFoundError:  # h2load stopped before opening it: judged like an empty log
        summary = summarise(text, [])
    print(json.dumps(summary))
    return 1 if "error" in summary else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))

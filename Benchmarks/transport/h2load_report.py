"""Summarises one h2load run: requests/s from its output, latency percentiles from its --log-file.

Usage: python h2load_report.py H2LOAD_OUTPUT LOG_FILE   → prints one JSON object.
h2load prints mean/sd/max only; the per-request log (start µs, HTTP status, duration µs) gives p50/p90/p99.
"""
import json
import re
import sys


def main(output_path, log_path):
    text = open(output_path, encoding="utf-8").read()
    rps = float(re.search(r"finished in .*?, ([\d.]+) req/s", text).group(1))
    counts = re.search(r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed", text)
    durations, non_2xx = [], 0
    with open(log_path, encoding="utf-8") as log:
        for line in log:
            parts = line.split("\t")
            if len(parts) < 3:
                continue
            if not parts[1].startswith("2"):
                non_2xx += 1
            durations.append(int(parts[2]))
    durations.sort()

    def percentile(p):
        return durations[min(len(durations) - 1, int(p / 100 * len(durations)))] / 1000 if durations else None

    print(json.dumps({
        "rps": rps,
        "done": int(counts.group(2)), "succeeded": int(counts.group(3)), "failed": int(counts.group(4)),
        "non_2xx": non_2xx,
        "p50_ms": percentile(50), "p90_ms": percentile(90), "p99_ms": percentile(99),
        "max_ms": durations[-1] / 1000 if durations else None,
        "mean_ms": sum(durations) / len(durations) / 1000 if durations else None,
    }))


if __name__ == "__main__":
    main(*sys.argv[1:3])

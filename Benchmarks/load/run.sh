#!/usr/bin/env bash
# pulse-load next to h2load: the same unary load (pulse.v1.Diagnostics/Echo, payload "ping", 4 connections ×
# 32 calls in flight, one client thread each) against the same `pulse serve` (release, one loop), then an
# open-loop pulse-load run at 80 % of h2load's rate to check the rate is held.
#
# Usage: Benchmarks/load/run.sh [SECONDS] [ROUNDS]   (default 10 s measured after 2 s of warm-up, 3 rounds)
# Env:   PULSE_LOAD_CONNECTIONS (4), PULSE_LOAD_STREAMS (32 per connection), PULSE_PYTHON (python3)
# Prints requests/s, CPU seconds per million requests (user + system of the client process, from
# getrusage) and the ratios pulse-load / h2load; the issue asks for requests/s within 10 % of h2load,
# CPU per request at most 1.5× h2load's, and an open loop within 1 % of its asked rate.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-10}"
rounds="${2:-3}"
connections="${PULSE_LOAD_CONNECTIONS:-4}"
streams="${PULSE_LOAD_STREAMS:-32}"
python="${PULSE_PYTHON:-$root/.venv/bin/python}"
[ -x "$python" ] || python="$(command -v python3)"
command -v h2load >/dev/null || { echo "missing h2load (apt-get install nghttp2-client)" >&2; exit 1; }
work="$(mktemp -d)"
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "== building (release): pulse, pulse-load" >&2
(cd "$root" && swift build -c release --product pulse 2>&1 | grep -v 'prohibited flag' | tail -1) >&2
(cd "$root" && swift build -c release --product pulse-load 2>&1 | grep -v 'prohibited flag' | tail -1) >&2

# --feed none: the simulated feed would take the server's CPU from the calls being measured.
"$root/.build/release/pulse" serve --port 0 --loops 1 --feed none --log-level error >"$work/serve.out" 2>"$work/serve.err" &
server=$!
address=""
for _ in $(seq 1 300); do
    address="$(sed -n 's/^listening on //p' "$work/serve.out" | head -1)"
    [ -n "$address" ] && break
    sleep 0.1
done
[ -n "$address" ] || { echo "pulse serve did not start:" >&2; cat "$work/serve.err" >&2; exit 1; }

# gRPC-framed EchoRequest { payload: "ping" }, the same bytes pulse-load sends for --data below.
printf '\x00\x00\x00\x00\x06\x0a\x04ping' >"$work/echo.bin"
total=$((connections * streams))

# The machine's other work moves single runs by tens of percent, so h2load and pulse-load alternate ROUNDS times
# and the medians of the per-round figures are compared.
for round in $(seq 1 "$rounds"); do
    echo "== round $round/$rounds: h2load -c $connections -m $streams -t 1 -D $seconds --warm-up-time=2" >&2
    "$python" "$here/measure.py" h2load -c "$connections" -m "$streams" -t 1 -D "$seconds" --warm-up-time=2 \
        -d "$work/echo.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
        "http://$address/pulse.v1.Diagnostics/Echo" >"$work/h2load-$round.out" 3>"$work/h2load-$round.cpu"
    grep -q '^finished in ' "$work/h2load-$round.out" || { cat "$work/h2load-$round.out" >&2; echo "h2load failed" >&2; exit 1; }

    echo "== round $round/$rounds: pulse-load unary --connections $connections --concurrency $total --loops 1 --duration ${seconds}s --warmup 2s" >&2
    "$python" "$here/measure.py" "$root/.build/release/pulse-load" unary --target "$address" \
        --method /pulse.v1.Diagnostics/Echo --data '{"payload":"cGluZw=="}' --connections "$connections" \
        --concurrency "$total" --loops 1 --duration "${seconds}s" --warmup 2s --json "$work/closed-$round.json" --quiet \
        >"$work/closed-$round.out" 3>"$work/closed-$round.cpu"
done

h2_median="$("$python" - "$work" "$rounds" <<'PY'
import re, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
rates = [float(re.search(r"^finished in .*, ([0-9.]+) req/s", open(f"{work}/h2load-{r}.out").read(), re.M).group(1))
         for r in range(1, rounds + 1)]
print(statistics.median(rates))
PY
)"
open_rate="$("$python" -c "print(int(float('$h2_median') * 0.8))")"
echo "== pulse-load unary --rate $open_rate (80 % of h2load's median rate), same connections" >&2
"$python" "$here/measure.py" "$root/.build/release/pulse-load" unary --target "$address" \
    --method /pulse.v1.Diagnostics/Echo --data '{"payload":"cGluZw=="}' --connections "$connections" \
    --concurrency "$total" --loops 1 --duration "${seconds}s" --warmup 2s --rate "$open_rate" \
    --json "$work/open.json" --quiet >"$work/open.out" 3>"$work/open.cpu"

"$python" - "$work" "$rounds" "$open_rate" "$seconds" <<'PY'
import json, re, statistics, sys
work, rounds, open_rate, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
load = lambda name: json.load(open(f"{work}/{name}"))
cpu = lambda c: c["user_s"] + c["system_s"]
rows = []
for r in range(1, rounds + 1):
    h2_out = open(f"{work}/h2load-{r}.out").read()
    h2_rps = float(re.search(r"^finished in .*, ([0-9.]+) req/s", h2_out, re.M).group(1))
    h2_ok = int(re.search(r"^requests: .* ([0-9]+) succeeded", h2_out, re.M).group(1))
    closed = load(f"closed-{r}.json")
    # Each client's CPU covers warm-up + measurement: count its requests over its whole time.
    h2_per_m = cpu(load(f"h2load-{r}.cpu")) / (h2_rps * (seconds + 2)) * 1e6
    pl_per_m = cpu(load(f"closed-{r}.cpu")) / (closed["rps"] * (seconds + 2)) * 1e6
    rows.append((r, h2_rps, h2_ok, h2_per_m, closed, pl_per_m))
print("| round | h2load req/s | h2load CPU s/1M | pulse-load req/s | p50 ms | p99 ms | pulse-load CPU s/1M | req/s ratio | CPU ratio | errors |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for r, h2_rps, h2_ok, h2_per_m, closed, pl_per_m in rows:
    lat = closed["latency_ms"]
    print(f"| {r} | {h2_rps:,.0f} | {h2_per_m:.2f} | {closed['rps']:,.0f} | {lat['p50']} | {lat['p99']} | {pl_per_m:.2f} "
          f"| {closed['rps'] / h2_rps:.3f} | {pl_per_m / h2_per_m:.2f} | {closed['errors'] or 'none'} |")
rps_ratio = statistics.median(row[4]["rps"] / row[1] for row in rows)
cpu_ratio = statistics.median(row[5] / row[3] for row in rows)
opened = load("open.json")
olat = opened["latency_ms"]
print()
print(f"requests/s pulse-load / h2load, median of {rounds} rounds: {rps_ratio:.3f} (goal >= 0.90)")
print(f"CPU per request pulse-load / h2load, median of {rounds} rounds: {cpu_ratio:.2f} (goal <= 1.5)")
print(f"open loop: {opened['rps']:,.1f} of {open_rate:,} asked ({(opened['rps'] / open_rate - 1) * 100:+.2f} %, goal within 1 %);"
      f" uncorrected p99 {olat['uncorrected']['p99']} ms, corrected p99 {olat['p99']} ms, errors {opened['errors'] or 'none'}")
PY

#!/usr/bin/env bash
# pulse-load next to h2load: the same unary load (pulse.v1.Diagnostics/Echo, payload "ping", 4 connections ×
# 32 calls in flight, one client thread each) against the same `pulse serve` (release, one loop), then an
# open-loop pulse-load run at 80 % of h2load's rate to check the rate is held.
#
# Usage: Benchmarks/load/run.sh [SECONDS]     (default 10 s measured after 2 s of warm-up)
# Env:   PULSE_LOAD_CONNECTIONS (4), PULSE_LOAD_STREAMS (32 per connection), PULSE_PYTHON (python3)
# Prints requests/s, CPU seconds per million requests (user + system of the client process, from
# getrusage) and the ratios pulse-load / h2load; the issue asks for requests/s within 10 % of h2load,
# CPU per request at most 1.5× h2load's, and an open loop within 1 % of its asked rate.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-10}"
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

"$root/.build/release/pulse" serve --port 0 --loops 1 --log-level error >"$work/serve.out" 2>"$work/serve.err" &
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

echo "== h2load -c $connections -m $streams -t 1 -D $seconds --warm-up-time=2" >&2
"$python" "$here/measure.py" h2load -c "$connections" -m "$streams" -t 1 -D "$seconds" --warm-up-time=2 \
    -d "$work/echo.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://$address/pulse.v1.Diagnostics/Echo" >"$work/h2load.out" 3>"$work/h2load.cpu"
h2_rps="$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$work/h2load.out")"
h2_ok="$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$work/h2load.out")"
[ -n "$h2_rps" ] || { cat "$work/h2load.out" >&2; echo "h2load failed" >&2; exit 1; }

echo "== pulse-load unary --connections $connections --concurrency $total --loops 1 --duration ${seconds}s --warmup 2s" >&2
"$python" "$here/measure.py" "$root/.build/release/pulse-load" unary --target "$address" \
    --method /pulse.v1.Diagnostics/Echo --data '{"payload":"cGluZw=="}' --connections "$connections" \
    --concurrency "$total" --loops 1 --duration "${seconds}s" --warmup 2s --json "$work/closed.json" --quiet \
    >"$work/closed.out" 3>"$work/closed.cpu"

open_rate="$("$python" -c "print(int(float('$h2_rps') * 0.8))")"
echo "== pulse-load unary --rate $open_rate (80 % of h2load's rate), same connections" >&2
"$python" "$here/measure.py" "$root/.build/release/pulse-load" unary --target "$address" \
    --method /pulse.v1.Diagnostics/Echo --data '{"payload":"cGluZw=="}' --connections "$connections" \
    --concurrency "$total" --loops 1 --duration "${seconds}s" --warmup 2s --rate "$open_rate" \
    --json "$work/open.json" --quiet >"$work/open.out" 3>"$work/open.cpu"

"$python" - "$work" "$h2_rps" "$h2_ok" "$open_rate" "$seconds" <<'PY'
import json, sys
work, h2_rps, h2_ok, open_rate, seconds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
load = lambda name: json.load(open(f"{work}/{name}"))
h2_cpu, closed_cpu, open_cpu = load("h2load.cpu"), load("closed.cpu"), load("open.cpu")
closed, opened = load("closed.json"), load("open.json")
cpu = lambda c: c["user_s"] + c["system_s"]
# h2load's CPU covers warm-up + measurement; so does pulse-load's: count each run's requests over its whole time.
h2_requests_all = h2_rps * (seconds + 2)
pl_requests_all = closed["rps"] * (seconds + 2)
h2_per_m = cpu(h2_cpu) / h2_requests_all * 1e6
pl_per_m = cpu(closed_cpu) / pl_requests_all * 1e6
print(f"| client | req/s | p50 ms | p99 ms | CPU s per 1M requests | errors |")
print(f"|---|---:|---:|---:|---:|---|")
print(f"| h2load | {h2_rps:,.0f} | | | {h2_per_m:.2f} | {h2_ok} succeeded |")
lat = closed["latency_ms"]
print(f"| pulse-load (closed) | {closed['rps']:,.0f} | {lat['p50']} | {lat['p99']} | {pl_per_m:.2f} | {closed['errors'] or 'none'} |")
olat = opened["latency_ms"]
print(f"| pulse-load (open, {open_rate:,}/s) | {opened['rps']:,.0f} | {olat['p50']} | {olat['p99']} | | {opened['errors'] or 'none'} |")
print()
print(f"requests/s pulse-load / h2load: {closed['rps'] / h2_rps:.3f} (goal >= 0.90)")
print(f"CPU per request pulse-load / h2load: {pl_per_m / h2_per_m:.2f} (goal <= 1.5)")
print(f"open loop: {opened['rps']:,.1f} of {open_rate:,} asked ({(opened['rps'] / open_rate - 1) * 100:+.2f} %, goal within 1 %);"
      f" uncorrected p99 {olat['uncorrected']['p99']} ms, corrected p99 {olat['p99']} ms")
PY

#!/usr/bin/env bash
# Transport benchmark: h2load against `pulse serve` (release) and, in the same run, against peers on
# this machine: nghttpd serving a tiny file (nghttp2's practical limit), a grpcio server and a
# grpc-swift-2 server answering the same unary method (pulse.v1.Diagnostics/Echo, 4-byte payload).
#
# Usage: Benchmarks/transport/run.sh [SECONDS]      (default 10 s per measurement, 2 s warm-up)
# Env:   PULSE_BENCH_SKIP="grpcio grpc-swift"        skip some peers
#        PULSE_BENCH_LOOPS=N                          `pulse serve --loops N` (default: its own default)
#        PULSE_BENCH_THREADS=N                        h2load -t N (default 1: leaves the other core to the server)
# Prints requests/s, latency percentiles (from h2load's per-request log) and ratios, and checks each
# gRPC server with real grpcio calls afterwards (h2load alone counts a grpc-status error as success).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-10}"
python="${PULSE_PYTHON:-$root/.venv/bin/python}"
[ -x "$python" ] || python="$(command -v python3)"
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
skip() { [[ " ${PULSE_BENCH_SKIP:-} " == *" $1 "* ]]; }
need() { command -v "$1" >/dev/null || { echo "missing $1 (apt-get install $2)" >&2; exit 1; }; }
need h2load nghttp2-client
need nghttpd nghttp2-server

echo "== building (release)" >&2
(cd "$root" && swift build -c release --product pulse 2>&1 | grep -v 'prohibited flag' | tail -1) >&2
if ! skip grpc-swift; then
    (cd "$here/grpc-swift-peer" && swift build -c release 2>&1 | tail -1) >&2
fi

# start NAME COMMAND... : runs a server that prints `listening on HOST:PORT`; sets $address.
start() {
    local name="$1"
    shift
    "$@" >"$work/$name.out" 2>"$work/$name.err" &
    pids+=($!)
    for _ in $(seq 1 300); do
        address="$(sed -n 's/^listening on //p' "$work/$name.out" | head -1)"
        [ -n "$address" ] && return 0
        sleep 0.1
    done
    echo "$name did not start:" >&2
    cat "$work/$name.err" >&2
    exit 1
}

free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The request: a gRPC-framed EchoRequest { payload: "ping" } (field 1, bytes).
printf '\x00\x00\x00\x00\x06\x0a\x04ping' >"$work/echo.bin"
mkdir -p "$work/www" && printf 'ping' >"$work/www/tiny"

declare -A targets urls
loops_flag=()
[ -n "${PULSE_BENCH_LOOPS:-}" ] && loops_flag=(--loops "$PULSE_BENCH_LOOPS")
start pulse "$root/.build/release/pulse" serve --port 0 "${loops_flag[@]}"
targets[pulse]="$address"
port="$(free_port)"
nghttpd --no-tls -d "$work/www" "$port" >"$work/nghttpd.out" 2>&1 &
pids+=($!)
sleep 0.5
targets[nghttpd]="127.0.0.1:$port"
if ! skip grpcio; then
    start grpcio "$python" "$root/Tests/interop/grpc_peer_server.py" --port 0 --workers 16
    targets[grpcio]="$address"
fi
if ! skip grpc-swift; then
    start grpc-swift "$here/grpc-swift-peer/.build/release/grpc-swift-peer" --port 0
    targets[grpc-swift]="$address"
fi

grpc_headers=(-d "$work/echo.bin" -H 'content-type: application/grpc' -H 'te: trailers')
declare -A results
for shape in "4 32" "64 10"; do
    read -r clients streams <<<"$shape"
    for name in pulse nghttpd grpcio grpc-swift; do
        [ -n "${targets[$name]:-}" ] || continue
        if [ "$name" = nghttpd ]; then
            url="http://${targets[$name]}/tiny"
            extra=()
        else
            url="http://${targets[$name]}/pulse.v1.Diagnostics/Echo"
            extra=("${grpc_headers[@]}")
        fi
        command=(h2load -c "$clients" -m "$streams" -t "${PULSE_BENCH_THREADS:-1}" -D "$seconds" --warm-up-time=2
            --log-file="$work/$name.$clients.log" "${extra[@]}" "$url")
        echo "== $name ${clients}x$streams: ${command[*]}" >&2
        "${command[@]}" >"$work/$name.$clients.txt" 2>&1 || { cat "$work/$name.$clients.txt" >&2; exit 1; }
        results["$name.$clients"]="$("$python" "$here/h2load_report.py" "$work/$name.$clients.txt" "$work/$name.$clients.log")"
        if [ "$name" != nghttpd ]; then
            "$python" "$here/grpc_check.py" "${targets[$name]}" 50 >"$work/$name.check" 2>&1 || true
            results["$name.$clients.check"]="$(tail -1 "$work/$name.check")"
        fi
    done
done

# The table, with ratios of pulse to each peer.
{
    for key in "${!results[@]}"; do printf '%s\t%s\n' "$key" "${results[$key]}"; done
} >"$work/results.tsv"
"$python" - "$work/results.tsv" "$seconds" "${PULSE_BENCH_THREADS:-1}" <<'EOF'
import json, os, sys
rows = dict(line.rstrip("\n").split("\t", 1) for line in open(sys.argv[1]))
print(f"\nTransport benchmark: h2load -t {sys.argv[3]} -D {sys.argv[2]} --warm-up-time=2, Diagnostics/Echo "
      f"(4-byte payload); nghttpd serves a 4-byte file. {os.cpu_count()} cores, load average at the end "
      f"{os.getloadavg()[0]:.1f} (other work on the machine skews every figure alike)")
for clients, streams in (("4", "32"), ("64", "10")):
    print(f"\n{clients} connections x {streams} streams")
    print(f"{'server':<11}{'req/s':>11}{'mean ms':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'failed':>8}  gRPC check")
    pulse = json.loads(rows[f"pulse.{clients}"])
    for name in ("pulse", "nghttpd", "grpcio", "grpc-swift"):
        raw = rows.get(f"{name}.{clients}")
        if not raw:
            continue
        r = json.loads(raw)
        check = rows.get(f"{name}.{clients}.check", "n/a (HTTP file)")
        print(f"{name:<11}{r['rps']:>11.0f}{r['mean_ms']:>9.3f}{r['p50_ms']:>9.3f}{r['p90_ms']:>9.3f}"
              f"{r['p99_ms']:>9.3f}{r['max_ms']:>9.3f}{r['failed'] + r['non_2xx']:>8}  {check}")
    for name in ("nghttpd", "grpcio", "grpc-swift"):
        raw = rows.get(f"{name}.{clients}")
        if raw:
            print(f"  pulse / {name}: {pulse['rps'] / json.loads(raw)['rps']:.2f}x")
    if clients == "4":
        print(f"  targets: >= 0.5x nghttpd, >= 8x grpc-swift, p99 < 1 ms at 4x32 -> pulse p99 {pulse['p99_ms']:.3f} ms")
EOF

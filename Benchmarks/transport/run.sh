#!/usr/bin/env bash
# Transport benchmark: h2load against `pulse serve` (release) and, in the same run, against peers on
# this machine: nghttpd serving a tiny file (nghttp2's practical limit), a grpcio server and a
# grpc-swift-2 server answering the same unary method (pulse.v1.Diagnostics/Echo, 4-byte payload).
#
# Usage: Benchmarks/transport/run.sh [SECONDS]      (default 10 s per measurement, 2 s warm-up)
# Env:   PULSE_BENCH_SKIP="grpcio grpc-swift"        skip some peers
#        PULSE_BENCH_LOOPS=N                          `pulse serve --loops N` (default: 1 on <= 2 cores, where
#                                                     h2load needs a core of its own; else pulse's default)
#        PULSE_BENCH_THREADS=N                        h2load -t N (default 1: leaves the other core to the server)
# Prints requests/s, latency percentiles (from h2load's per-request log) and ratios, and checks each
# gRPC server with real grpcio calls afterwards (h2load alone counts a grpc-status error as success).
# A run that failed (server gone, requests failed, gRPC check failed) is reported as FAILED with its
# reason instead of figures, and the script then exits 1.
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

declare -A targets server_pid end_status results

# start NAME COMMAND... : runs a server that prints `listening on HOST:PORT`; sets $address.
start() {
    local name="$1"
    shift
    "$@" >"$work/$name.out" 2>"$work/$name.err" &
    pids+=($!)
    server_pid[$name]=$!
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

# h2load's single thread needs a core of its own: on 2 cores, a second pulse loop only contends with
# it (see README.md), and nghttpd runs one worker thread too, so both servers get one thread there.
cores="$(nproc)"
loops="${PULSE_BENCH_LOOPS:-}"
[ -z "$loops" ] && [ "$cores" -le 2 ] && loops=1
loops_flag=()
[ -n "$loops" ] && loops_flag=(--loops "$loops")
start pulse "$root/.build/release/pulse" serve --port 0 "${loops_flag[@]}"
targets[pulse]="$address"
port="$(free_port)"
nghttpd --no-tls --workers=1 -d "$work/www" "$port" >"$work/nghttpd.out" 2>"$work/nghttpd.err" &
pids+=($!)
server_pid[nghttpd]=$!
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
# failed_run MESSAGE: what h2load_report.py prints for a run that measured nothing.
failed_run() { "$python" -c 'import json, sys; print(json.dumps({"error": sys.argv[1]}))' "$1"; }
# check_alive NAME: sets $ended to how the server ended and the end of its stderr, or to "" while it runs.
check_alive() {
    local pid="${server_pid[$1]}" status=0
    ended=""
    kill -0 "$pid" 2>/dev/null && return 0
    if [ -z "${end_status[$1]:-}" ]; then
        wait "$pid" 2>/dev/null || status=$?
        end_status[$1]="$status"
    fi
    status="${end_status[$1]}"
    local how="exit status $status"
    [ "$status" -gt 128 ] && how="signal $((status - 128))"
    ended="$1 ended ($how); its stderr ends: $(tail -c 300 "$work/$1.err" | tr '\n\t' '  ')"
}
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
        key="$name.$clients"
        check_alive "$name"
        if [ -n "$ended" ]; then
            results[$key]="$(failed_run "not run: $ended")"
            echo "   FAILED: $name is not running" >&2
            continue
        fi
        h2load_rc=0
        "${command[@]}" >"$work/$key.txt" 2>&1 || h2load_rc=$?
        if [ "$h2load_rc" -ne 0 ]; then
            results[$key]="$(failed_run "h2load exited with status $h2load_rc: $(tail -3 "$work/$key.txt" | tr '\n\t' '  ')")"
        else
            results[$key]="$("$python" "$here/h2load_report.py" "$work/$key.txt" "$work/$key.log" || true)"
        fi
        check_alive "$name"
        [ -n "$ended" ] && results[$key]="$(failed_run "during the run, $ended")"
        case "${results[$key]}" in *'"error"'*) echo "   FAILED: ${results[$key]}" >&2 ;; esac
        if [ "$name" != nghttpd ]; then
            check_rc=0
            "$python" "$here/grpc_check.py" "${targets[$name]}" 50 >"$work/$name.check" 2>&1 || check_rc=$?
            results["$key.check"]="$(tail -1 "$work/$name.check")"
            results["$key.checkrc"]="$check_rc"
        fi
    done
done

# The table, with ratios of pulse to each peer; exits 1 when a run failed.
for key in "${!results[@]}"; do printf '%s\t%s\n' "$key" "${results[$key]}"; done >"$work/results.tsv"
"$python" "$here/bench_report.py" "$work/results.tsv" "$seconds" "${PULSE_BENCH_THREADS:-1}" \
    "${loops:-default ($cores cores)}"

#!/usr/bin/env bash
# A/B of two `pulse` binaries on the transport benchmark's load (h2load, Diagnostics/Echo, 4 connections x 32
# streams, one h2load thread, `--loops 1`), interleaved round by round so both see the same machine load.
# Usage: Benchmarks/transport/ab.sh OLD_PULSE NEW_PULSE [SECONDS] [ROUNDS]     (default 5 s, 5 rounds)
# Prints each round's requests/s and the medians; a run whose h2load reports failed requests is an error.
# AB_OLD_ARGS / AB_NEW_ARGS add `pulse serve` flags to one side, e.g. metrics on vs off with one binary:
#   AB_NEW_ARGS="--metrics-port 0" Benchmarks/transport/ab.sh .build/release/pulse .build/release/pulse 5 7
set -euo pipefail
old="${1:?old pulse binary}"
new="${2:?new pulse binary}"
seconds="${3:-5}"
rounds="${4:-5}"
work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
printf '\x00\x00\x00\x00\x06\x0a\x04ping' >"$work/echo.bin"
start() {  # start NAME BINARY [FLAGS...]: sets address
    local extra=("${@:3}")
    "$2" serve --help 2>/dev/null | grep -q -- '--feed' && extra+=(--feed none)
    : >"$work/$1.out"  # exists before the first poll below (the background redirect may not have run yet)
    "$2" serve --port 0 --loops 1 "${extra[@]}" >"$work/$1.out" 2>"$work/$1.err" &
    pids+=($!)
    for _ in $(seq 1 300); do
        address="$(sed -n 's/^listening on //p' "$work/$1.out" | head -1)"
        [ -n "$address" ] && return 0
        sleep 0.1
    done
    echo "$1 did not start" >&2
    exit 1
}
read -r -a old_args <<<"${AB_OLD_ARGS:-}"
read -r -a new_args <<<"${AB_NEW_ARGS:-}"
start old "$old" "${old_args[@]}"
old_address="$address"
start new "$new" "${new_args[@]}"
new_address="$address"
run() {  # run ADDRESS: prints req/s
    local out
    out="$(h2load -c 4 -m 32 -t 1 -D "$seconds" --warm-up-time=1 -d "$work/echo.bin" -H 'content-type: application/grpc' \
        -H 'te: trailers' "http://$1/pulse.v1.Diagnostics/Echo" 2>&1)"
    echo "$out" | grep -q ' 0 failed' || { echo "h2load reported failures: $(echo "$out" | grep requests:)" >&2; exit 1; }
    echo "$out" | sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p'
}
olds=()
news=()
for round in $(seq 1 "$rounds"); do
    a="$(run "$old_address")"
    b="$(run "$new_address")"
    olds+=("$a")
    news+=("$b")
    echo "round $round: old $a req/s, new $b req/s" >&2
done
python3 - "${olds[*]}" "${news[*]}" <<'PY'
import statistics, sys
old = [float(x) for x in sys.argv[1].split()]
new = [float(x) for x in sys.argv[2].split()]
mo, mn = statistics.median(old), statistics.median(new)
print(f"old median {mo:,.0f} req/s, new median {mn:,.0f} req/s, new/old {mn / mo:.3f}")
PY

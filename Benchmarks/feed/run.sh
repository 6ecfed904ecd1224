#!/usr/bin/env bash
# Feed benchmark: the simulated feed's sustained ticks/s into the Redis tick log (one fenced Lua script per batch of
# packed ticks, minute bars into PostgreSQL as minutes close), beside `redis-benchmark -P 16` running XADD on the
# same Redis in the same run.
# Usage: Benchmarks/feed/run.sh [SECONDS] [TICK_RATE]     (default 10 s at 100000 ticks/s; 65 s or more makes sure
# minutes close during the run, so minute bars land in PostgreSQL while it is measured)
# Prints: redis-benchmark's XADD rate, the feed's appended ticks/s (counted in Redis: the streams' top sequence numbers), how far
# behind real time its last tick was when it stopped, and the ratio. Targets: >= 100,000 ticks/s and >= 0.7x XADD.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-10}"
rate="${2:-100000}"
work="$(mktemp -d)"
redis_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
pg_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
chmod 755 "$work"
cleanup() {
    [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true
    "$root/scripts/redis.sh" stop "$work/redis" "$redis_port" || true
    "$root/scripts/postgres.sh" stop --data "$work/postgres" --port "$pg_port" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
command -v redis-benchmark >/dev/null || { echo "missing redis-benchmark (apt-get install redis-tools)" >&2; exit 1; }

echo "== building (release)" >&2
(cd "$root" && swift build -c release --product pulse 2>&1 | grep -v 'prohibited flag' | tail -1) >&2
pulse="$root/.build/release/pulse"
"$root/scripts/redis.sh" start "$work/redis" "$redis_port"
database="$("$root/scripts/postgres.sh" start --data "$work/postgres" --port "$pg_port")"
"$pulse" migrate --database-url "$database" >/dev/null

# Two XADD shapes: the tick log's own entry (one field of 48 bytes, the packed tick) and the six small fields it
# used before (t p s b a i); the ratio is taken against the first, the tick log's shape.
# (At most 10 s worth of requests: the rate is what counts, and a minute-long run needs no minute of these.)
xadd_rate() {
    redis-benchmark -p "$redis_port" -P 16 -n $((rate * (seconds < 10 ? seconds : 10))) -q XADD bench:xadd '*' "$@" \
        | tr '\r' '\n' | sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' | tail -1
    redis-cli -p "$redis_port" del bench:xadd >/dev/null
}
echo "== redis-benchmark -P 16 XADD (twice)" >&2
xadd="$(xadd_rate tick 0123456789abcdef0123456789abcdef0123456789abcdef)"
xadd6="$(xadd_rate t 1 p 1.0 s 1 b 1.0 a 1.0 i 1)"

echo "== pulse serve --tick-rate $rate for ${seconds}s" >&2
"$pulse" serve --port 0 --loops 1 --redis-url "redis://127.0.0.1:$redis_port" --database-url "$database" \
    --tick-rate "$rate" --symbols AAPL,MSFT,GOOG,AMZN,SPY >"$work/serve.out" 2>"$work/serve.err" &
server=$!
for _ in $(seq 1 100); do grep -q '^listening on' "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
sleep 2  # leases taken, warm
# Ticks appended so far: the sum of each stream's top sequence number (XLEN would stop at the MAXLEN cap).
count() {
    local total=0 top
    for s in AAPL MSFT GOOG AMZN SPY; do
        top="$(redis-cli -p "$redis_port" --raw xrevrange "tick:{$s}" + - count 1 | head -1)"
        total=$((total + ${top%%-*}))
    done
    echo "$total"
}
start_count="$(count)"
start_ns="$(date +%s%N)"
sleep "$seconds"
end_count="$(count)"
end_ns="$(date +%s%N)"
last_t="$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import tick_log; print(tick_log.latest(int(sys.argv[2]), "AAPL")[1]["t"])' \
    "$root/Tests/interop" "$redis_port")"
now_ms=$((end_ns / 1000000))
kill -TERM "$server"
wait "$server" || true
server=""
bars="$(psql "$database" -Atc 'select count(*) from bars')"
load="$(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$xadd" "$start_count" "$end_count" "$start_ns" "$end_ns" "$last_t" "$now_ms" "$bars" "$rate" "$xadd6" "$load" <<'PY'
import sys
xadd, c0, c1, t0, t1, last_t, now_ms, bars, rate, xadd6, load = sys.argv[1:]
elapsed = (int(t1) - int(t0)) / 1e9
feed = (int(c1) - int(c0)) / elapsed
xadd = float(xadd or 0)
xadd6 = float(xadd6 or 0)
print(f"load average at the end: {load}")
print(f"redis-benchmark -P 16 XADD, one 48-byte field (the tick log's entry): {xadd:,.0f} req/s")
print(f"redis-benchmark -P 16 XADD, six small fields (t p s b a i): {xadd6:,.0f} req/s")
print(f"pulse feed (asked {float(rate):,.0f}/s): {feed:,.0f} ticks/s appended ({elapsed:.1f} s, "
      f"last tick {int(now_ms) - int(last_t or now_ms)} ms behind real time); {bars} minute bars in PostgreSQL")
print(f"ratio feed / XADD: {feed / xadd:.2f} (six-field XADD: {feed / xadd6:.2f})  (targets: >= 100,000 ticks/s and >= 0.7x)"
      if xadd and xadd6 else "no XADD figure")
PY
echo "reproduce: Benchmarks/feed/run.sh $seconds $rate" >&2

#!/usr/bin/env bash
# Starts PulseTrader on this machine: installs what is missing, builds, starts a project-local PostgreSQL and Redis
# (unless DATABASE_URL / REDIS_URL point elsewhere), applies migrations and runs the server with the simulated feed.
# Usage: scripts/run.sh [pulse serve flags...]    e.g. scripts/run.sh --port 50051
# Settings come from the environment, or from .env at the repository root (KEY=value lines; the environment wins):
#   DATABASE_URL     an existing PostgreSQL; when unset a local one is started under PULSE_DATA_DIR
#   PULSE_DATA_DIR   data folder (default .data/); the cluster lives in PULSE_DATA_DIR/postgres and is reused
#   PULSE_PG_PORT    port of the local PostgreSQL (default 55432), loopback only
#   REDIS_URL        an existing Redis; when unset a local one is started under PULSE_DATA_DIR/redis (AOF on)
#   PULSE_REDIS_PORT port of the local Redis (default 56379), loopback only
#   PULSE_FEED, PULSE_SYMBOLS, PULSE_TICK_RATE, PULSE_SIM_HOURS   the feed (see pulse serve --help)
#   PULSE_SIM_HISTORY_DAYS   simulated history stored at the first start (default 365 here; 0 for none)
#   PULSE_METRICS_PORT (default 9464), PULSE_ACCESS_LOG (default on)   /metrics and per-call access logs
#   PULSE_GATEWAY_PORT   port of `pulse gateway`, the browsers' REST API (default 8080); its upstream is
#                        127.0.0.1:${PULSE_PORT:-50051} (set PULSE_PORT, not --port, to move the server and the gateway)
# Ctrl-C or SIGTERM stops the server, then the Redis and PostgreSQL this script started.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if [ -f "$root/.env" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
        line="${line%$'\r'}"
        case "$line" in '' | '#'*) continue ;; esac
        line="${line#export }"
        key="${line%%=*}"
        value="${line#*=}"
        [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
        case "$value" in \"*\") value="${value:1:${#value}-2}" ;; \'*\') value="${value:1:${#value}-2}" ;; esac
        if [ -z "${!key+x}" ]; then export "$key=$value"; fi
    done <"$root/.env"
fi

scripts/install-deps.sh
swift build -c release --product pulse 2>&1 | grep -v 'prohibited flag' >&2 || true
pulse="$root/.build/release/pulse"
[ -x "$pulse" ] || { echo "run.sh: the build did not produce $pulse" >&2; exit 1; }

started_postgres=""
started_redis=""
data="${PULSE_DATA_DIR:-$root/.data}"
pg_port="${PULSE_PG_PORT:-55432}"
redis_port="${PULSE_REDIS_PORT:-56379}"
stop_postgres() {
    if [ -n "$started_redis" ]; then
        echo "run.sh: stopping Redis" >&2
        scripts/redis.sh stop "$data/redis" "$redis_port" || true
        started_redis=""
    fi
    if [ -n "$started_postgres" ]; then
        echo "run.sh: stopping PostgreSQL" >&2
        scripts/postgres.sh stop --data "$data/postgres" --port "$pg_port" || true
        started_postgres=""
    fi
}
trap stop_postgres EXIT
if [ -z "${DATABASE_URL:-}" ]; then
    if ! scripts/postgres.sh status --data "$data/postgres" --port "$pg_port" >/dev/null; then
        started_postgres=1
    fi
    DATABASE_URL="$(scripts/postgres.sh start --data "$data/postgres" --port "$pg_port")"
    export DATABASE_URL
    echo "run.sh: PostgreSQL at $DATABASE_URL (data in $data/postgres)" >&2
fi

if [ -z "${REDIS_URL:-}" ]; then
    if ! scripts/redis.sh status "$data/redis" "$redis_port" >/dev/null; then
        started_redis=1
    fi
    scripts/redis.sh start "$data/redis" "$redis_port" --aof
    REDIS_URL="redis://127.0.0.1:$redis_port"
    export REDIS_URL
    echo "run.sh: Redis at $REDIS_URL (data in $data/redis)" >&2
fi

"$pulse" migrate --database-url "$DATABASE_URL"

echo "run.sh: the simulated feed writes ticks to Redis and 1-minute bars to PostgreSQL; try it:" >&2
echo "  redis-cli -p ${REDIS_URL##*:} xlen 'tick:{AAPL}'                    # ticks in AAPL's tick log" >&2
echo "  psql \"\$DATABASE_URL\" -c 'select count(*) from bars'              # minute bars so far" >&2
echo "  .build/release/pulse calendar                                      # is the market open" >&2
# Access logs and /metrics on unless told otherwise (PULSE_ACCESS_LOG=off, PULSE_METRICS_PORT).
export PULSE_ACCESS_LOG="${PULSE_ACCESS_LOG:-on}" PULSE_METRICS_PORT="${PULSE_METRICS_PORT:-9464}"
# The simulated feed stores a year of daily bars and a week of minutes for each symbol with none yet, so the
# dashboard's charts are full at the first start (PULSE_SIM_HISTORY_DAYS=0 for none).
export PULSE_SIM_HISTORY_DAYS="${PULSE_SIM_HISTORY_DAYS:-365}"
"$pulse" serve --database-url "$DATABASE_URL" --redis-url "$REDIS_URL" "$@" &
server=$!
# The gateway connects lazily, so it may start before the server listens; it prints
# `gateway listening on HOST:PORT` once bound.
"$pulse" gateway --port "${PULSE_GATEWAY_PORT:-8080}" --upstream "127.0.0.1:${PULSE_PORT:-50051}" \
    --web-root "$root/clients/web" &
gateway=$!
echo "run.sh: the dashboard at http://127.0.0.1:${PULSE_GATEWAY_PORT:-8080}/ (live prices, charts, backtests, screener)" >&2
echo "run.sh: REST API (pulse gateway) at http://127.0.0.1:${PULSE_GATEWAY_PORT:-8080} — try:" >&2
echo "  curl http://127.0.0.1:${PULSE_GATEWAY_PORT:-8080}/quotes/AAPL" >&2
forward() {
    kill -TERM "$server" 2>/dev/null || true
    kill -TERM "$gateway" 2>/dev/null || true
}
trap forward INT TERM
status=0
while :; do
    if wait "$server"; then status=0; else status=$?; fi
    # `wait` also returns when a trapped signal arrives: keep waiting until the server has really exited.
    kill -0 "$server" 2>/dev/null || break
done
kill -TERM "$gateway" 2>/dev/null || true
wait "$gateway" 2>/dev/null || true
stop_postgres
exit "$status"

#!/usr/bin/env bash
# A project-local Redis on loopback: scripts/redis.sh start|stop|status DIR PORT [--aof] [REDIS-SERVER-OPTION…]
# Data, pid file and log live under DIR. `--aof` keeps an append-only file (fsync every second) so the tick log
# survives a restart; cache keys have TTLs and `maxmemory-policy volatile-lru` evicts only them, never streams.
# Further options go to redis-server as they are (tests use them, e.g. `--key-load-delay 1000`).
set -euo pipefail
command="${1:?usage: redis.sh start|stop|status DIR PORT [--aof] [REDIS-SERVER-OPTION…]}"
dir="${2:?data folder}"
port="${3:?port}"
shift 3
aof="no"
if [ "${1:-}" = "--aof" ]; then aof="yes"; shift; fi
extra=("$@")
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
pidfile="$dir/redis.pid"

# Alive and not a zombie (a container's init may not reap it at once).
running() {
    [ -f "$pidfile" ] || return 1
    local pid
    pid="$(cat "$pidfile")"
    kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null
}

case "$command" in
start)
    if running; then exit 0; fi
    command -v redis-server >/dev/null || { echo "redis.sh: redis-server not found (apt-get install redis-server)" >&2; exit 1; }
    # The daemon must not keep descriptors it inherited (a test runner's pipes, a parent's exit-watch pipe):
    # whoever started this script would wait on them until Redis stops.
    for fd in /proc/$$/fd/*; do
        fd="${fd##*/}"
        if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize yes --pidfile "$pidfile" \
        --logfile "$dir/redis.log" --save '' --appendonly "$aof" --appendfsync everysec \
        --maxmemory "${PULSE_REDIS_MAXMEMORY:-256mb}" --maxmemory-policy volatile-lru ${extra[@]+"${extra[@]}"} \
        </dev/null >/dev/null 2>&1
    # Up when it answers PONG; while it answers LOADING (reading a large AOF) it is on its way: wait up to 2 min.
    for attempt in $(seq 1 2400); do
        reply="$(redis-cli -p "$port" ping 2>/dev/null || true)"
        case "$reply" in
        *PONG*) exit 0 ;;
        *LOADING*) ;;
        *) [ "$attempt" -gt 100 ] && break ;;
        esac
        sleep 0.05
    done
    echo "redis.sh: Redis did not start on port $port; see $dir/redis.log" >&2
    exit 1
    ;;
stop)
    if running; then
        # SIGTERM: Redis flushes its AOF and exits, with or without a password set. A process started with
        # SIGTERM blocked (a parent's signal mask is inherited) would never act on it: SIGKILL after 5 s.
        kill "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null || true
        for _ in $(seq 1 100); do running || break; sleep 0.05; done
        if running; then
            echo "redis.sh: Redis did not stop on SIGTERM; killing it" >&2
            kill -9 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null || true
            for _ in $(seq 1 40); do running || break; sleep 0.05; done
        fi
        rm -f "$pidfile"
    fi
    ;;
status)
    running && echo "running on 127.0.0.1:$port (pid $(cat "$pidfile"))" || { echo "stopped"; exit 3; }
    ;;
*)
    echo "usage: redis.sh start|stop|status DIR PORT [--aof]" >&2
    exit 2
    ;;
esac

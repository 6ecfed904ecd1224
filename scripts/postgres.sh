#!/usr/bin/env bash
# A project-local PostgreSQL 15 on loopback: its own data folder, socket folder and port, never the system cluster.
# Usage: scripts/postgres.sh start|stop|status|url [--data DIR] [--port PORT]
#   DIR defaults to $PULSE_DATA_DIR/postgres (PULSE_DATA_DIR defaults to .data/ at the repository root),
#   PORT to $PULSE_PG_PORT (default 55432).
# start: initialises the cluster on first use (trust authentication, loopback only), starts it, waits until it
#        accepts connections and creates the database `pulse`; prints the connection URL on standard output.
#        Already running: only makes sure `pulse` exists. Idempotent.
# stop:  fast shutdown (open sessions are ended, data is flushed); nothing to do when it is not running.
# status: exit 0 when running (prints the URL), 3 when not.
# The server tools refuse to run as root: as root they run as the `postgres` user (runuser), which then owns DIR.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

command="${1:-}"
[ $# -gt 0 ] && shift
data=""
port="${PULSE_PG_PORT:-55432}"
while [ $# -gt 0 ]; do
    case "$1" in
        --data) data="$2"; shift 2 ;;
        --port) port="$2"; shift 2 ;;
        *) echo "postgres.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
if [ -z "$data" ]; then
    base="${PULSE_DATA_DIR:-$root/.data}"
    case "$base" in /*) ;; *) base="$root/$base" ;; esac
    data="$base/postgres"
fi
case "$data" in /*) ;; *) data="$(pwd)/$data" ;; esac

bindir=""
for candidate in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    if [ -x "$candidate/pg_ctl" ]; then bindir="$candidate"; break; fi
done
if [ -z "$bindir" ]; then
    echo "postgres.sh: PostgreSQL server tools not found under /usr/lib/postgresql/*/bin (apt install postgresql)" >&2
    exit 1
fi

# The socket lives in a folder of our own; Unix socket paths are limited to 107 bytes.
sockdir="$data.run"
if [ ${#sockdir} -gt 80 ]; then sockdir="/tmp/pulse-pg-$(printf '%s' "$data" | sha1sum | cut -c1-12)"; fi
log="$data.log"
url="postgresql://postgres@127.0.0.1:$port/pulse"

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

running() { [ -f "$data/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; }

ensure_database() {
    local exists
    exists="$("$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAXq \
        -c "SELECT 1 FROM pg_database WHERE datname = 'pulse'")"
    if [ "$exists" != "1" ]; then
        # Two starters racing: the loser's CREATE fails with "already exists", which is fine.
        "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qX -c "CREATE DATABASE pulse" >/dev/null 2>&1 \
            || [ "$("$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAXq \
                -c "SELECT 1 FROM pg_database WHERE datname = 'pulse'")" = "1" ] \
            || { echo "postgres.sh: could not create database pulse" >&2; exit 1; }
    fi
}

start() {
    mkdir -p "$(dirname "$data")"
    if [ "$(id -u)" -eq 0 ]; then
        if ! id postgres >/dev/null 2>&1; then
            echo "postgres.sh: running as root needs the 'postgres' user (apt install postgresql)" >&2
            exit 1
        fi
        mkdir -p "$data" "$sockdir"
        chown postgres: "$data" "$sockdir"
        chmod 700 "$data"
        touch "$log" && chown postgres: "$log"
        if ! runuser -u postgres -- test -w "$data"; then
            echo "postgres.sh: user postgres cannot reach $data (a parent folder is not searchable);" \
                "set PULSE_DATA_DIR to a folder it can reach" >&2
            exit 1
        fi
    else
        mkdir -p "$data" "$sockdir"
        chmod 700 "$data"
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
        echo "postgres.sh: initialising a cluster in $data" >&2
        as_owner "$bindir/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
            >"$log.initdb" 2>&1 || { cat "$log.initdb" >&2; echo "postgres.sh: initdb failed" >&2; exit 1; }
    fi
    if running; then
        ensure_database
        echo "$url"
        return
    fi
    if ! as_owner "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 \
        -o "-p $port -k $sockdir -c listen_addresses=127.0.0.1" start >/dev/null; then
        tail -n 20 "$log" >&2 || true
        echo "postgres.sh: PostgreSQL did not start on 127.0.0.1:$port (log: $log)" >&2
        exit 1
    fi
    for _ in $(seq 1 100); do
        if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; then break; fi
        sleep 0.1
    done
    if ! "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; then
        echo "postgres.sh: PostgreSQL started but does not accept connections on 127.0.0.1:$port (log: $log)" >&2
        exit 1
    fi
    ensure_database
    echo "$url"
}

stop() {
    if running; then
        as_owner "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
    fi
}

case "$command" in
    start) start ;;
    stop) stop ;;
    status)
        if running; then echo "$url"; else exit 3; fi
        ;;
    url) echo "$url" ;;
    *)
        echo "usage: scripts/postgres.sh start|stop|status|url [--data DIR] [--port PORT]" >&2
        exit 2
        ;;
esac

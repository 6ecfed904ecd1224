#!/usr/bin/env bash
# Auth and TLS costs on the transport benchmark's load: h2load (Diagnostics/Echo, 4 connections x 32 streams, one
# h2load thread, `pulse serve --loops 1`) against four pulse servers of the same binary: plain (h2c, no auth), auth
# on (an admin key, no rate limit; every pulse server gets the same requests with `authorization: Bearer`), TLS (h2 with ALPN over TLS 1.3), and
# TLS with auth; and against nghttpd serving a 4-byte file with and without TLS (`--workers=1`), same machine.
# Rounds are interleaved (every server once per round) so all see the same machine load; medians are printed.
#
# Usage: DATABASE_URL=postgresql://... Benchmarks/transport/auth_tls.sh PULSE_BINARY [SECONDS] [ROUNDS]
#        (default 5 s, 5 rounds; the release binary: swift build -c release --product pulse)
set -euo pipefail
pulse="${1:?pulse binary (release)}"
seconds="${2:-5}"
rounds="${3:-5}"
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL for the key store}"
work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

printf '\x00\x00\x00\x00\x06\x0a\x04ping' >"$work/echo.bin"
mkdir -p "$work/www" && printf 'ping' >"$work/www/tiny"
(cd "$work" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem -out cert.pem \
    -days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null)
key="$("$pulse" keys create --name "bench$RANDOM$RANDOM" --scopes admin 2>/dev/null)"

declare -A address server_pid
start() {  # start NAME ARGS...: records the address
    local name="$1"
    shift
    "$pulse" serve --port 0 --loops 1 --feed none "$@" >"$work/$name.out" 2>"$work/$name.err" &
    pids+=($!)
    server_pid[$name]=$!
    for _ in $(seq 1 300); do
        local bound
        bound="$(sed -n 's/^listening on //p' "$work/$name.out" | head -1)"
        if [ -n "$bound" ]; then
            address[$name]="$bound"
            return 0
        fi
        sleep 0.1
    done
    echo "$name did not start: $(tail -3 "$work/$name.err")" >&2
    exit 1
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start plain --auth off
start auth --auth on
start tls --auth off --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
start tls_auth --auth on --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
nghttpd_plain="$(free_port)"
nghttpd --no-tls --workers=1 -d "$work/www" "$nghttpd_plain" >/dev/null 2>&1 &
pids+=($!)
server_pid[nghttpd]=$!
nghttpd_tls="$(free_port)"
nghttpd --workers=1 -d "$work/www" "$nghttpd_tls" "$work/key.pem" "$work/cert.pem" >/dev/null 2>&1 &
pids+=($!)
server_pid[nghttpd_tls]=$!
sleep 0.5

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # user + system clock ticks of a process
run() {  # run NAME: prints "req/s server-CPU-microseconds-per-request"
    local url args=(-c 4 -m 32 -t 1 -D "$seconds" --warm-up-time=1)
    case "$1" in
        plain) url="http://${address[plain]}/pulse.v1.Diagnostics/Echo" ;;
        auth) url="http://${address[auth]}/pulse.v1.Diagnostics/Echo" ;;
        tls) url="https://localhost:${address[tls]##*:}/pulse.v1.Diagnostics/Echo" ;;
        tls_auth) url="https://localhost:${address[tls_auth]##*:}/pulse.v1.Diagnostics/Echo" ;;
        nghttpd) url="http://127.0.0.1:$nghttpd_plain/tiny" ;;
        nghttpd_tls) url="https://localhost:$nghttpd_tls/tiny" ;;
    esac
    case "$1" in
        nghttpd*) ;;
        *) args+=(-d "$work/echo.bin" -H 'content-type: application/grpc' -H 'te: trailers') ;;
    esac
    # Every pulse server gets the same requests, the key included (the servers without auth ignore it), so the
    # difference is the server's own auth work, not the client's extra header.
    case "$1" in nghttpd*) ;; *) args+=(-H "authorization: Bearer $key") ;; esac
    local out before after
    before="$(cpu_ticks "${server_pid[$1]}")"
    out="$(h2load "${args[@]}" "$url" 2>&1)"
    after="$(cpu_ticks "${server_pid[$1]}")"
    echo "$out" | grep -q ' 0 failed, 0 errored, 0 timeout' || {
        echo "$1: h2load reported failures: $(echo "$out" | grep -E 'requests:|status codes:')" >&2
        exit 1
    }
    echo "$out" | grep -q 'status codes: [0-9]* 2xx' || { echo "$1: no 2xx responses" >&2; exit 1; }
    local done_requests rate
    done_requests="$(echo "$out" | sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p')"
    rate="$(echo "$out" | sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p')"
    # CPU per request is what contention on a shared machine disturbs least (it includes the warm-up's requests
    # in the ticks but not in the count, the same for every server).
    echo "$rate $(python3 -c "import os; print(round(($after - $before) / os.sysconf('SC_CLK_TCK') * 1e6 / max(1, $done_requests), 2))")"
}

# h2load counts a gRPC error sent with HTTP 200 as a success: check once that the auth servers really answer OK.
python_bin="${PULSE_PYTHON:-$(dirname "$0")/../../.venv/bin/python}"
"$python_bin" - "${address[auth]}" "$key" <<'PY'
import sys, grpc
with grpc.insecure_channel(sys.argv[1]) as channel:
    echo = channel.unary_unary("/pulse.v1.Diagnostics/Echo", request_serializer=lambda b: b, response_deserializer=lambda b: b)
    assert echo(b"\x0a\x04ping", metadata=[("authorization", "Bearer " + sys.argv[2])], timeout=10) == b"\x0a\x04ping"
    try:
        echo(b"", timeout=10)
        raise SystemExit("the auth server answered a call without a key")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
PY

names=(plain auth tls tls_auth nghttpd nghttpd_tls)
declare -A results cpu
for round in $(seq 1 "$rounds"); do
    line="round $round:"
    for name in "${names[@]}"; do
        read -r value micros <<<"$(run "$name")"
        results[$name]+="$value "
        cpu[$name]+="$micros "
        line+=" $name $value req/s ${micros} us/req;"
    done
    echo "$line" >&2
done
args=()
for name in "${names[@]}"; do args+=("$name=${results[$name]}=${cpu[$name]}"); done
python3 - "${args[@]}" <<'PY'
import statistics, sys
medians, cpu = {}, {}
for arg in sys.argv[1:]:
    name, values, micros = arg.split("=")
    medians[name] = statistics.median(float(v) for v in values.split())
    cpu[name] = statistics.median(float(v) for v in micros.split())
for name, value in medians.items():
    print(f"{name:12s} median {value:>10,.0f} req/s, server CPU {cpu[name]:6.2f} us/request")
print(f"server CPU per request, auth on / off (h2c): {cpu['auth'] / cpu['plain']:.3f}; (TLS): {cpu['tls_auth'] / cpu['tls']:.3f}")
print(f"auth on / off (h2c):  {medians['auth'] / medians['plain']:.3f}")
print(f"auth on / off (TLS):  {medians['tls_auth'] / medians['tls']:.3f}")
print(f"TLS / h2c (pulse):    {medians['tls'] / medians['plain']:.3f}")
print(f"TLS / h2c (nghttpd):  {medians['nghttpd_tls'] / medians['nghttpd']:.3f}")
print(f"pulse TLS / nghttpd TLS: {medians['tls'] / medians['nghttpd_tls']:.3f}")
PY

#!/usr/bin/env bash
# Runs every PulseTrader test: format check, Swift tests, the Python interop suites against the
# real binaries, and a bounded fuzzing run of the protocol decoder. Installs what is missing first.
# Usage: scripts/test.sh            (CI calls exactly this)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

scripts/install-deps.sh --python

started=$SECONDS
step() { printf '\n== %s  (%d s in)\n' "$*" $((SECONDS - started)) >&2; }

step "format check"
if ! swift format lint --strict --recursive --parallel Sources Tests clients/swift clients/load 2>/tmp/pulse-format.$$; then
    cat /tmp/pulse-format.$$ >&2
    echo "format check failed: run 'swift format --in-place --recursive Sources Tests clients/swift clients/load'" >&2
    rm -f /tmp/pulse-format.$$
    exit 1
fi
rm -f /tmp/pulse-format.$$

step "deploy template (cfn-lint)"
# The SAM template is checked against CloudFormation's and SAM's schemas; under CI a missing cfn-lint fails.
if [ -x .venv/bin/cfn-lint ]; then
    .venv/bin/cfn-lint deploy/template.yaml
elif [ "${CI:-}" = "true" ]; then
    echo "cfn-lint is missing from .venv (Tests/interop/requirements.txt)" >&2
    exit 1
else
    echo "skipped: cfn-lint is not installed in .venv" >&2
fi

step "swift build"
log="$(mktemp)"
if ! swift build --build-tests >"$log" 2>&1; then
    grep -v 'prohibited flag' "$log" >&2
    rm -f "$log"
    echo "swift build failed" >&2
    exit 1
fi
rm -f "$log"

# A PostgreSQL of the tests' own: a temporary folder, a free loopback port, stopped and removed on any exit.
step "PostgreSQL for the tests"
pg_tmp="$(mktemp -d /tmp/pulse-test-pg.XXXXXX)"
chmod 755 "$pg_tmp"  # the server runs as user postgres when we are root: it must reach its folder
pg_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
stop_test_postgres() {
    scripts/postgres.sh stop --data "$pg_tmp/postgres" --port "$pg_port" || true
    rm -rf "$pg_tmp"
}
trap stop_test_postgres EXIT
trap 'exit 130' INT TERM  # so the EXIT trap runs on Ctrl-C too
PULSE_TEST_DATABASE_URL="$(scripts/postgres.sh start --data "$pg_tmp/postgres" --port "$pg_port")"
export PULSE_TEST_DATABASE_URL
export DATABASE_URL="$PULSE_TEST_DATABASE_URL"
echo "PostgreSQL for the tests: $PULSE_TEST_DATABASE_URL" >&2

step "swift test"
# The load harness's suites measure latency and rates against in-process servers: they run on their own after
# the rest, so the parallel database, Redis and RPC suites do not skew what they measure.
swift test --skip-build --skip PulseLoadTests
step "swift test (load harness, alone)"
swift test --skip-build --filter PulseLoadTests

# The numeric comparisons with TA-Lib and backtesting.py run once, against the release build (below).
release_suites=(Tests/interop/test_indicators_talib.py Tests/interop/test_backtest_vs_backtesting_py.py
    Tests/interop/test_vwap_sessions.py Tests/interop/test_bad_market_data.py)
step "interop (Python: grpcio, h2, websockets, Chromium, …) against the debug build"
export PULSE_BIN="$root/.build/debug/pulse"
.venv/bin/python -m pytest -q -p no:cacheprovider Tests/interop "${release_suites[@]/#/--ignore=}"

# Two instances, PostgreSQL and Redis restarted twice each, one instance SIGKILLed: exits 1 on a lost bar or a
# recovery over 2 s.
step "soak (2 minutes, debug build)"
# Debug binaries, the 2 s recovery target (PULSE_SOAK_RECOVERY_LIMIT_S overrides it): Redis is back within a few
# hundred ms (a reconnect that meets Redis still LOADING retries at once), PostgreSQL's probe within about a second.
PULSE_LOAD_BIN="$root/.build/debug/pulse-load" Benchmarks/soak/run.sh "${PULSE_SOAK_MINUTES:-2}"

# The numbers users get come from the release binary (-target-cpu haswell, cross-module optimisation), so the
# TA-Lib and backtesting.py comparisons run against it (and only against it).
step "swift build -c release --product pulse"
log="$(mktemp)"
if ! swift build -c release --product pulse >"$log" 2>&1; then
    grep -v 'prohibited flag' "$log" >&2
    rm -f "$log"
    echo "swift build -c release failed" >&2
    exit 1
fi
rm -f "$log"

step "interop: TA-Lib, backtesting.py and market-data checks against the release build"
PULSE_BIN="$root/.build/release/pulse" .venv/bin/python -m pytest -q -p no:cacheprovider "${release_suites[@]}"

if [ -x scripts/fuzz.sh ]; then
    step "fuzz (bounded)"
    scripts/fuzz.sh "${PULSE_FUZZ_SECONDS:-30}"
fi
step "all tests passed"

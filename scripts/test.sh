#!/usr/bin/env bash
# Runs every PulseTrader test: format check, Swift tests, the Python interop suites against the
# real binaries, and a bounded fuzzing run of the protocol decoder. Installs what is missing first.
# Usage: scripts/test.sh            (CI calls exactly this)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

scripts/install-deps.sh --python

step() { printf '\n== %s\n' "$*" >&2; }

step "format check"
if ! swift format lint --strict --recursive --parallel Sources Tests clients/swift clients/load 2>/tmp/pulse-format.$$; then
    cat /tmp/pulse-format.$$ >&2
    echo "format check failed: run 'swift format --in-place --recursive Sources Tests clients/swift clients/load'" >&2
    rm -f /tmp/pulse-format.$$
    exit 1
fi
rm -f /tmp/pulse-format.$$

step "swift build"
log="$(mktemp)"
if ! swift build --build-tests >"$log" 2>&1; then
    grep -v 'prohibited flag' "$log" >&2
    rm -f "$log"
    echo "swift build failed" >&2
    exit 1
fi
rm -f "$log"

step "swift test"
swift test --skip-build

step "interop (Python: grpcio, TA-Lib, backtesting.py, h2) against the debug build"
export PULSE_BIN="$root/.build/debug/pulse"
.venv/bin/python -m pytest -q -p no:cacheprovider Tests/interop

# The numbers users get come from the release binary (-target-cpu haswell, cross-module optimisation), so the
# TA-Lib and backtesting.py comparisons run against it too.
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
PULSE_BIN="$root/.build/release/pulse" .venv/bin/python -m pytest -q -p no:cacheprovider \
    Tests/interop/test_indicators_talib.py Tests/interop/test_backtest_vs_backtesting_py.py \
    Tests/interop/test_vwap_sessions.py Tests/interop/test_bad_market_data.py

if [ -x scripts/fuzz.sh ]; then
    step "fuzz (bounded)"
    scripts/fuzz.sh "${PULSE_FUZZ_SECONDS:-30}"
fi

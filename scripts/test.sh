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
if ! swift format lint --strict --recursive --parallel Sources Tests clients/swift 2>/tmp/pulse-format.$$; then
    cat /tmp/pulse-format.$$ >&2
    echo "format check failed: run 'swift format --in-place --recursive Sources Tests clients/swift'" >&2
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

step "interop (Python: grpcio, TA-Lib, backtesting.py, h2)"
export PULSE_BIN="$root/.build/debug/pulse"
# Heavy numeric comparisons run against the release binary when it exists, else debug.
set +e
.venv/bin/python -m pytest -q -p no:cacheprovider Tests/interop
status=$?
set -e
# pytest exits 5 when it collected nothing: not an error while a suite is still empty.
if [ $status -ne 0 ] && [ $status -ne 5 ]; then exit $status; fi

if [ -x scripts/fuzz.sh ]; then
    step "fuzz (bounded)"
    scripts/fuzz.sh "${PULSE_FUZZ_SECONDS:-30}"
fi

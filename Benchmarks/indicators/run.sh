#!/usr/bin/env bash
# Builds `pulse` in release and times every indicator beside TA-Lib (see bench.py for options).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
[ -x "$python" ] || python=python3
(cd "$root" && swift build -c release --product pulse >&2)
exec "$python" "$root/Benchmarks/indicators/bench.py" --pulse "$root/.build/release/pulse" "$@"

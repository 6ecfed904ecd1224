#!/usr/bin/env bash
# The soak: Benchmarks/soak/run.sh MINUTES (default 2). Two `pulse serve` instances sharing one PostgreSQL and
# one Redis (started here on free ports in a temporary folder), mixed unary load from pulse-load against both,
# PostgreSQL and Redis restarted twice each, one instance SIGKILLed and restarted. Prints its figures and exits
# non-zero when bars were lost or a recovery took more than 2 s (see soak.py).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
python="$root/.venv/bin/python"
[ -x "$python" ] || python=python3
exec "$python" "$root/Benchmarks/soak/soak.py" "${1:-2}"

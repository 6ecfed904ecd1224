#!/usr/bin/env bash
# The soak: Benchmarks/soak/run.sh MINUTES (default 2). Two `pulse serve` instances sharing one PostgreSQL and
# one Redis (started here on free ports in a temporary folder), mixed load from pulse-load against both (unary
# Echo/Health/GetQuote/GetBars/Backtests.Run and Subscribe streams) and a grpcio subscriber that resumes across the
# kill, PostgreSQL and Redis restarted twice each, the instance owning every symbol SIGKILLed and restarted. Prints
# its figures and exits non-zero on a lost bar, an unreported or false gap, a slow recovery or memory growth (see
# soak.py).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
python="$root/.venv/bin/python"
[ -x "$python" ] || python=python3
exec "$python" "$root/Benchmarks/soak/soak.py" "${1:-2}"

#!/usr/bin/env bash
# Starts PulseTrader on this machine: installs what is missing, builds, and runs the server.
# Usage: scripts/run.sh [pulse serve flags...]    e.g. scripts/run.sh --port 50051
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/install-deps.sh
swift build -c release --product pulse 2>&1 | grep -v 'prohibited flag' >&2
exec "$root/.build/release/pulse" serve "$@"

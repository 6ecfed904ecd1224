#!/usr/bin/env bash
# Installs what PulseTrader needs on a fresh Debian/Ubuntu machine, idempotently:
# system packages through apt, Python test tooling into a project-local virtual environment.
# Usage: scripts/install-deps.sh [--python]   (--python also prepares .venv)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

apt_packages=(
    pkg-config
    libnghttp2-dev libpq-dev libhiredis-dev libcurl4-openssl-dev libssl-dev openssl
    nghttp2-client nghttp2-server
    redis-server postgresql
    python3-venv
)
# The test tooling's own: headless Chromium and its WebDriver for the dashboard's browser test.
if [ "${1:-}" = "--python" ]; then
    apt_packages+=(chromium chromium-driver)
fi

missing=()
for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing apt packages: ${missing[*]}" >&2
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; else sudo=""; fi
    if ! command -v apt-get >/dev/null; then
        echo "install-deps: apt-get not found; install these packages by hand: ${missing[*]}" >&2
        exit 1
    fi
    stamp=/var/lib/apt/lists/partial
    if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
        $sudo apt-get update -qq || { echo "install-deps: apt-get update failed" >&2; exit 1; }
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
        || { echo "install-deps: apt-get install failed for: ${missing[*]}" >&2; exit 1; }
fi

if ! command -v swift >/dev/null; then
    if [ -x /opt/swift/usr/bin/swift ]; then
        echo "install-deps: add /opt/swift/usr/bin to PATH" >&2
    else
        echo "install-deps: Swift 6 toolchain not found (https://swift.org/install); it cannot be installed from apt" >&2
    fi
    exit 1
fi

if [ "${1:-}" = "--python" ]; then
    venv="$root/.venv"
    req="$root/Tests/interop/requirements.txt"
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv" || { echo "install-deps: python3 -m venv failed" >&2; exit 1; }
    fi
    stampfile="$venv/.requirements.sha"
    want="$(sha256sum "$req" | cut -d' ' -f1)"
    if [ "$(cat "$stampfile" 2>/dev/null)" != "$want" ]; then
        "$venv/bin/pip" install -q --upgrade pip >&2 || true
        "$venv/bin/pip" install -q -r "$req" >&2 || { echo "install-deps: pip install -r $req failed" >&2; exit 1; }
        echo "$want" > "$stampfile"
    fi
    # The Python client (clients/python) as an editable install: its stubs are generated from Protocol/ on first
    # import, so a changed contract needs no reinstall. Build isolation off: setuptools and grpcio-tools are here.
    client_stamp="$venv/.pulsetrader.path"
    if [ "$(cat "$client_stamp" 2>/dev/null)" != "$root" ] || ! "$venv/bin/python" -c "import pulsetrader" 2>/dev/null; then
        "$venv/bin/pip" install -q --no-deps --no-build-isolation -e "$root/clients/python" >&2 \
            || { echo "install-deps: pip install -e clients/python failed" >&2; exit 1; }
        echo "$root" > "$client_stamp"
    fi
fi

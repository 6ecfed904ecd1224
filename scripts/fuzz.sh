#!/usr/bin/env bash
# Fuzzes PulseProtocol's decoders and the gRPC deframer with libFuzzer under AddressSanitizer.
# Usage: scripts/fuzz.sh [SECONDS]     (default 30; the test command runs it with 30)
# Builds .build/fuzz/protocol-fuzz from Sources/PulseProtocol + Fuzz/ProtocolFuzz.swift, seeds it with the
# golden vectors in Protocol/vectors (bare and gRPC-framed), keeps the growing corpus in .build/fuzz/corpus,
# and exits non-zero when an input crashes (the input is saved as .build/fuzz/crash-*).
set -euo pipefail
seconds="${1:-30}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="$root/.build/fuzz"
binary="$out/protocol-fuzz"
mkdir -p "$out/corpus" "$out/seeds"

mapfile -t sources < <(find Sources/PulseProtocol -name "*.swift" | sort)
sources+=(Fuzz/ProtocolFuzz.swift)
if [ ! -x "$binary" ] || [ -n "$(find "${sources[@]}" -newer "$binary" -print -quit)" ]; then
    echo "fuzz: building $binary" >&2
    rm -f "$binary"
    # ld.gold warns "Cannot export local symbol" for Swift's symbols: harmless, filtered.
    set +e
    swiftc -parse-as-library -sanitize=fuzzer,address -O -module-name PulseProtocolFuzz \
        "${sources[@]}" -o "$binary" 2>"$out/build.log"
    build_status=$?
    set -e
    grep -v -e 'Cannot export local symbol' -e '^$' "$out/build.log" >&2 || true
    if [ $build_status -ne 0 ] || [ ! -x "$binary" ]; then
        echo "fuzz: build failed (swiftc exit $build_status)" >&2
        exit 1
    fi
fi

# Seeds: each golden vector as a bare body and as a gRPC frame (flag 0 + big-endian length + body).
for hexfile in Protocol/vectors/*.hex; do
    name="$(basename "$hexfile" .hex)"
    hex="$(tr -d ' \n' <"$hexfile")"
    printf '%b' "$(sed 's/../\\x&/g' <<<"$hex")" >"$out/seeds/$name.bin"
    printf '%b' "$(printf '\\x00\\x%02x\\x%02x\\x%02x\\x%02x' \
        $(( ${#hex} / 2 >> 24 & 255 )) $(( ${#hex} / 2 >> 16 & 255 )) $(( ${#hex} / 2 >> 8 & 255 )) \
        $(( ${#hex} / 2 & 255 )))" >"$out/seeds/$name.frame"
    cat "$out/seeds/$name.bin" >>"$out/seeds/$name.frame"
done

echo "fuzz: running for ${seconds}s" >&2
set +e
# Swift's own crash backtracer would race libFuzzer's handler (and can outlive the run holding our output
# open): libFuzzer reports the crash and saves the input; the backtrace is not needed.
SWIFT_BACKTRACE=enable=no "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$out/" "$out/corpus" "$out/seeds" 2>"$out/last-run.log"
status=$?
set -e
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)' "$out/last-run.log" >&2 || true
if [ $status -ne 0 ]; then
    tail -n 40 "$out/last-run.log" >&2
    echo "fuzz: FAILED (exit $status); reproduce with: $binary $out/crash-*" >&2
    exit $status
fi
echo "fuzz: no crashes" >&2

"""WebSocket delivery through `pulse gateway` to many sockets: ingest-to-socket latency (issue 13).

Usage: .venv/bin/python Benchmarks/websocket/bench.py [--pulse .build/release/pulse]
           [--load .build/release/pulse-load] [--sockets 1000] [--symbols 4] [--tick-rate 20] [--seconds 20]

Starts `pulse serve` (the simulated feed, no database or Redis: live ticks straight from the feed's hub) and
`pulse gateway` in front of it, then `pulse-load websocket`: each socket connects to `/ws?timing=1`, sends the
seed's `{"action":"subscribe","symbols":[…]}` and reads pushes; every tick's latency runs from the `ingest_time_us`
the feed stamped to its arrival at the socket (one machine, one clock). Prints the report (messages/s, p50 … max,
holes, conflation) and exits 1 when a socket failed, a tick went missing unannounced or nothing arrived.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "Tests" / "interop"))
from gateway_support import Gateway  # noqa: E402
from serve_process import ServeProcess  # noqa: E402


def wait_for_quotes(address, symbols):
    """Until the gateway has a quote of every symbol: the feed has ticked them all, so none is unknown."""
    deadline = time.monotonic() + 60
    for symbol in symbols:
        while True:
            try:
                with urllib.request.urlopen(f"http://{address}/quotes/{symbol}", timeout=5) as response:
                    if response.status == 200:
                        break
            except Exception:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pulse", default=str(REPO / ".build" / "release" / "pulse"))
    parser.add_argument("--load", default=str(REPO / ".build" / "release" / "pulse-load"))
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--symbols", type=int, default=4, help="symbols in the feed; every socket follows all")
    parser.add_argument("--tick-rate", type=float, default=20, help="the feed's ticks per second, all symbols")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    for binary in (args.pulse, args.load):
        if not os.path.exists(binary):
            sys.exit(f"{binary} not built (swift build -c release --product pulse --product pulse-load)")
    symbols = [f"WS{chr(ord('A') + i // 26)}{chr(ord('A') + i % 26)}" for i in range(args.symbols)]
    work = pathlib.Path(tempfile.mkdtemp(prefix="pulse-websocket-bench-"))
    server = ServeProcess([args.pulse, "serve", "--port", "0", "--loops", "1", "--feed", "simulated",
                           "--symbols", ",".join(symbols), "--tick-rate", str(args.tick_rate), "--auth", "off",
                           "--access-log", "off"],
                          env={"DATABASE_URL": "", "REDIS_URL": "", "ALPHA_VANTAGE_API_KEY": ""})
    gateway = None
    try:
        os.environ["PULSE_BIN"] = args.pulse  # the binary Gateway starts
        gateway = Gateway(server.address, "--no-dashboard")
        address = gateway.address
        wait_for_quotes(address, symbols)
        report = work / "websocket.json"
        command = [args.load, "websocket", "--target", address, "--symbols", ",".join(symbols),
                   "--sockets", str(args.sockets), "--duration", f"{args.seconds}s", "--warmup", f"{args.warmup}s",
                   "--json", str(report), "--quiet"]
        run = subprocess.run(command, capture_output=True, text=True, timeout=args.seconds + args.warmup + 120)
        print(run.stdout, end="")
        if run.returncode != 0:
            sys.exit(f"pulse-load websocket failed ({run.returncode}): {run.stderr.strip()}")
        figures = json.loads(report.read_text())
    finally:
        if gateway:
            gateway.stop()
        server.terminate()
    load = open("/proc/loadavg").read().split()[:3]
    stream, latency = figures["stream"], figures["latency_ms"]
    expected = args.sockets * args.tick_rate
    print(f"{args.sockets} sockets, each following all {args.symbols} symbols of a {args.tick_rate:g} ticks/s feed (asked "
          f"{expected:,.0f} pushes/s), {args.seconds} s after {args.warmup} s warm-up, {os.cpu_count()} cores, "
          f"load average {' '.join(load)} at the end")
    print(f"delivered {stream['messages_per_s']:,.0f} ticks/s to sockets (+{stream['conflated']:,} folded in by "
          f"conflation); ingest-to-socket p50 {latency['p50']:.2f} ms, p99 {latency['p99']:.2f} ms, "
          f"p99.9 {latency['p999']:.2f} ms, max {latency['max']:.2f} ms")
    print(f"  {' '.join(command)}\n")
    problems = []
    if figures["errors"]:
        problems.append(f"socket errors {figures['errors']}")
    if stream["missing"]:
        problems.append(f"{stream['missing']} ticks missing unannounced")
    if stream["out_of_order"]:
        problems.append(f"{stream['out_of_order']} ticks out of order")
    if stream["messages"] == 0:
        problems.append("no tick reached a socket")
    if problems:
        sys.exit("; ".join(problems))


if __name__ == "__main__":
    main()

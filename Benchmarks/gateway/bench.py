"""REST through `pulse gateway` beside Hummingbird alone and beside the same call over gRPC (issue 13).

Usage: .venv/bin/python Benchmarks/gateway/bench.py [--pulse .build/release/pulse] [--seconds 10] [--connections 32]

Starts `pulse serve` (simulated feed, no database: GetQuote answers from the server's own ticks) and `pulse gateway`
in front of it, then measures with h2load, one thread, the same number of requests in flight for each:
  - `GET /quotes/AAPL` through the gateway over HTTP/1.1 (`h2load --h1 -c N`, a request at a time per connection,
    as browsers send them): each request becomes the API Gateway HTTP API event, the bridge handler, a GetQuote call
    over PulseClient and the JSON answer;
  - the same request to a bare Hummingbird route answering the gateway's own response bytes
    (`pulse gateway --bench-bare-route FILE`): the HTTP server's floor on this machine;
  - `pulse.v1.Quotes/GetQuote` straight to the server over h2c (`h2load -c 4 -m N/4`).
Prints requests/s, p50 and p99 latency (from h2load's per-request log) and the ratios.
"""
import argparse
import json
import os
import pathlib
import re
import selectors
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "Tests" / "interop"))
from grpc_peer_server import compile_protocol  # noqa: E402
from serve_process import ServeProcess  # noqa: E402


def start_gateway(pulse, *arguments):
    process = subprocess.Popen([pulse, "gateway", "--port", "0", *arguments], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if selector.select(timeout=0.2):
            line = process.stdout.readline()
            if line.startswith("gateway listening on "):
                return process, line.removeprefix("gateway listening on ").strip()
    process.kill()
    sys.exit(f"pulse gateway {' '.join(arguments)} did not start")


def h2load(url, seconds, clients, streams, log, h1=False, body_file=None):
    command = ["h2load", "-c", str(clients), "-m", str(streams), "-t", "1", "-D", str(seconds), "--warm-up-time=1",
               f"--log-file={log}"]
    if h1:
        command.append("--h1")
    if body_file:
        command += ["-d", str(body_file), "-H", "content-type: application/grpc", "-H", "te: trailers"]
    command.append(url)
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"finished in .*?, ([\d.]+) req/s", out).group(1))
    counts = re.search(r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed", out)
    status = re.search(r"status codes: (\d+) 2xx", out)
    durations = [int(line.split("\t")[2]) for line in open(log) if line.strip()]
    return {"rate": rate, "failed": int(counts.group(4)), "ok": int(status.group(1)) if status else 0,
            "p50_ms": statistics.median(durations) / 1000, "p99_ms": float(np.percentile(durations, 99)) / 1000,
            "command": " ".join(command)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pulse", default=str(REPO / ".build" / "release" / "pulse"))
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if not os.path.exists(args.pulse):
        sys.exit(f"{args.pulse} not built (swift build -c release --product pulse)")
    work = pathlib.Path(tempfile.mkdtemp(prefix="pulse-gateway-bench-"))
    server = ServeProcess([args.pulse, "serve", "--port", "0", "--loops", "1", "--feed", "simulated",
                           "--symbols", "AAPL", "--tick-rate", "20", "--auth", "off", "--access-log", "off"],
                          env={"DATABASE_URL": "", "REDIS_URL": "", "ALPHA_VANTAGE_API_KEY": ""})
    gateway, gateway_address = start_gateway(args.pulse, "--upstream", server.address, "--no-dashboard")
    bare = None
    try:
        url = f"http://{gateway_address}/quotes/AAPL"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    body = response.read()
                    break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert json.loads(body)["symbol"] == "AAPL"
        (work / "quote.json").write_bytes(body)
        bare, bare_address = start_gateway(args.pulse, "--bench-bare-route", str(work / "quote.json"))

        compile_protocol(work / "stubs")
        from pulse.v1 import quotes_pb2
        request = quotes_pb2.GetQuoteRequest(symbol="AAPL").SerializeToString()
        (work / "quote.bin").write_bytes(b"\x00" + len(request).to_bytes(4, "big") + request)
        n = args.connections
        results = {
            "REST via pulse gateway (HTTP/1.1)": h2load(url, args.seconds, n, 1, work / "gw.log", h1=True),
            "bare Hummingbird route (HTTP/1.1)": h2load(f"http://{bare_address}/quotes/AAPL", args.seconds, n, 1,
                                                        work / "bare.log", h1=True),
            "gRPC Quotes/GetQuote (h2c)": h2load(f"http://{server.address}/pulse.v1.Quotes/GetQuote", args.seconds,
                                                 4, max(1, n // 4), work / "grpc.log", body_file=work / "quote.bin"),
        }
    finally:
        for process in (gateway, bare):
            if process:
                process.terminate()
                process.wait(timeout=15)
        server.terminate()
    load = open("/proc/loadavg").read().split()[:3]
    print(f"GET /quotes/AAPL, {args.connections} requests in flight, {args.seconds} s each, "
          f"{os.cpu_count()} cores, load average {' '.join(load)} at the end; response {len(body)} bytes")
    print(f"{'call':40} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'failed':>7}")
    for name, r in results.items():
        print(f"{name:40} {r['rate']:>10,.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['failed']:>7}")
    gw, floor, grpc_ = (results[k]["rate"] for k in results)
    print(f"gateway / bare route: {gw / floor:.2f}x; gateway / gRPC: {gw / grpc_:.2f}x")
    for name, r in results.items():
        print(f"  {name}: {r['command']}")
    bad = [name for name, r in results.items() if r["failed"] or r["rate"] <= 0]
    if bad:
        sys.exit(f"failed requests in: {', '.join(bad)}")


if __name__ == "__main__":
    main()

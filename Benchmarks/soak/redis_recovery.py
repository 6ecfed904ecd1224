"""Redis recovery: `pulse serve` with --redis-url and --metrics-port; Redis (AOF on) stopped, 3 s later started,
and the time until /metrics shows pulse_redis_up 1 again, N times. Prints each recovery and the max and median.

Usage: .venv/bin/python Benchmarks/soak/redis_recovery.py [N] [PULSE_BINARY]   (default 10, .build/debug/pulse)
Starts its own Redis on a free port in a temporary folder; the server runs without a database.
"""
import os
import pathlib
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
N = int(sys.argv[1]) if len(sys.argv) > 1 else 10
PULSE = sys.argv[2] if len(sys.argv) > 2 else str(ROOT / ".build/debug/pulse")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    redis_port, metrics_port = free_port(), free_port()
    work = pathlib.Path(tempfile.mkdtemp(prefix="pulse-redis-recovery-"))

    def redis(command):
        subprocess.run(["bash", ROOT / "scripts/redis.sh", command, work / "redis", str(redis_port), "--aof"],
                       check=True, stdout=subprocess.DEVNULL)

    def up():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2) as response:
                text = response.read().decode()
        except OSError:
            return False
        found = re.search(r"^pulse_redis_up (\S+)$", text, re.M)
        return bool(found) and float(found.group(1)) == 1.0

    def wait_up():
        began = time.monotonic()
        while not up():
            if time.monotonic() - began > 30:
                return float("inf")
            time.sleep(0.02)
        return time.monotonic() - began

    redis("start")
    server = subprocess.Popen(
        [PULSE, "serve", "--port", "0", "--redis-url", f"redis://127.0.0.1:{redis_port}", "--metrics-port",
         str(metrics_port), "--symbols", "AAPL,MSFT", "--tick-rate", "200"],
        env={**os.environ, "DATABASE_URL": ""}, stdout=subprocess.DEVNULL, stderr=open(work / "serve.err", "w"))
    try:
        wait_up()
        times = []
        for index in range(N):
            redis("stop")
            time.sleep(3)
            redis("start")  # returns once Redis answers PING
            times.append(wait_up())
            print(f"recovery {index + 1}: {times[-1]:.2f} s", flush=True)
            time.sleep(1)
        print(f"{N} restarts: max {max(times):.2f} s, median {statistics.median(times):.2f} s "
              f"(load average {os.getloadavg()[0]:.1f})")
    finally:
        server.terminate()
        server.wait()
        redis("stop")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

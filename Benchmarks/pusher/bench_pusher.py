"""`pulse pusher` fan-out: N WebSocket connections following one symbol, ticks written into the tick log at a
fixed rate (XADD, the log's layout), and a local @connections receiver (asyncio HTTP/1.1 with keep-alive; no
signature check, so the receiver is not the bottleneck it would be with botocore) recording when each frame
arrives. Prints posts per second, how many ticks were conflated, and the latency from the XADD to the frame's
arrival (p50/p99/max).

    .venv/bin/python Benchmarks/pusher/bench_pusher.py --connections 1000 --rate 5 --seconds 20
"""
import argparse
import asyncio
import json
import os
import pathlib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = pathlib.Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """Answers every POST 200 and records (arrival time, connection, body)."""

    def __init__(self):
        self.arrivals = []
        self.loop = asyncio.new_event_loop()
        self.port = free_port()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", self.port, backlog=1024))
        self.loop.run_forever()

    async def _serve(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                length = 0
                for line in lines[1:]:
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                body = await reader.readexactly(length) if length else b""
                self.arrivals.append((time.time(), path.rsplit("/", 1)[-1], body))
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, check=True).stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=5, help="ticks per second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--pulse", default=os.environ.get("PULSE_BIN", str(REPO / ".build/release/pulse")))
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="pulse-bench-pusher-")
    redis_port = free_port()
    subprocess.run(["bash", str(REPO / "scripts/redis.sh"), "start", folder, str(redis_port)], check=True)
    receiver = Receiver()
    pusher = None
    try:
        script = "".join(f"SADD ws:conn:b{i} BENCH\nSADD ws:sym:BENCH b{i}\n" for i in range(args.connections))
        subprocess.run(["redis-cli", "-p", str(redis_port)], input=script + "SADD ws:symbols BENCH\n", text=True,
                       capture_output=True, check=True)
        env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDBENCH", AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1")
        pusher = subprocess.Popen([args.pulse, "pusher", "--endpoint", f"http://127.0.0.1:{receiver.port}/prod",
                                   "--redis-url", f"redis://127.0.0.1:{redis_port}", "--refresh", "0.2",
                                   "--heartbeat", "3600", "--connections", os.environ.get("BENCH_HTTP_CONNECTIONS", "32")], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True)
        assert pusher.stdout.readline().startswith("pusher running:")
        time.sleep(1)
        written = {}
        start = time.time()
        sequence = 0
        while time.time() - start < args.seconds:
            sequence += 1
            written[sequence] = time.time()
            cli(redis_port, "XADD", "tick:{BENCH}", f"{sequence}-0", "t", str(int(written[sequence] * 1000)),
                "p", str(100 + sequence / 100), "s", "1", "b", "0", "a", "0", "i", str(int(written[sequence] * 1e6)))
            time.sleep(max(0, start + sequence / args.rate - time.time()))
        time.sleep(3)  # let the last ticks drain
        arrivals = list(receiver.arrivals)
        latencies, conflated = [], 0
        for arrived, _, body in arrivals:
            frame = json.loads(body)
            if "sequence" in frame:
                latencies.append((arrived - written[frame["sequence"]]) * 1000)
                conflated += frame["conflated"]
        latencies.sort()
        span = max(a for a, _, _ in arrivals) - min(a for a, _, _ in arrivals)
        expected = sequence * args.connections
        print(f"pusher fan-out: {args.connections} connections, {sequence} ticks at {args.rate}/s over "
              f"{args.seconds:.0f} s")
        print(f"  frames posted {len(latencies)} of {expected} tick×connection pairs ({conflated} more conflated), "
              f"{len(latencies) / span:.0f} posts/s")
        print(f"  XADD → frame received: p50 {statistics.median(latencies):.1f} ms, "
              f"p99 {latencies[int(len(latencies) * 0.99) - 1]:.1f} ms, max {latencies[-1]:.1f} ms")
        print(f"  reproduce: .venv/bin/python Benchmarks/pusher/bench_pusher.py --connections {args.connections} "
              f"--rate {args.rate:g} --seconds {args.seconds:g}")
    finally:
        if pusher is not None:
            pusher.terminate()
            pusher.wait(timeout=20)
        subprocess.run(["bash", str(REPO / "scripts/redis.sh"), "stop", folder, str(redis_port)], check=False)


if __name__ == "__main__":
    sys.exit(main())

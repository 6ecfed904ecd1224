"""The soak: two `pulse serve` instances sharing one PostgreSQL and one Redis (both started here), mixed load from
`pulse-load`, PostgreSQL and Redis restarted twice each and one instance SIGKILLed and restarted.

Prints requests served, errors by status, minute bars fed (the feeds' own counter, scraped from /metrics) against
bars stored (counted in PostgreSQL), tick-log gaps counted by the feeds, recovery time after each restart (until
the surviving instance's /metrics says PostgreSQL/Redis is up again) and each process' peak memory per half of
the run. Exits 1 when bars were lost (stored < fed), or a recovery took more than 2 s.

Usage: python Benchmarks/soak/soak.py MINUTES   (run.sh is the entry point)
"""
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
SYMBOLS = ["SKA", "SKB", "SKC", "SKD"]
# The target is 2 s; the short CI run on a debug build (2 shared cores) may set a looser bound.
RECOVERY_LIMIT_S = float(os.environ.get("PULSE_SOAK_RECOVERY_LIMIT_S", "2.0"))
CLEANUP = []  # run on any exit: what this run started is stopped, by its own handle


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def binary(name):
    for build in ("release", "debug"):
        path = ROOT / ".build" / build / name
        if path.exists():
            return str(path)
    sys.exit(f"soak: {name} not built (swift build --product {name})")


PULSE = os.environ.get("PULSE_BIN") or binary("pulse")
LOAD = os.environ.get("PULSE_LOAD_BIN") or binary("pulse-load")


class Store:
    def __init__(self, work):
        self.pg_dir, self.pg_port = work / "pg", free_port()
        self.redis_dir, self.redis_port = work / "redis", free_port()
        self.database_url = f"postgresql://postgres@127.0.0.1:{self.pg_port}/pulse"
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}"

    def pg(self, command):
        subprocess.run(["bash", ROOT / "scripts/postgres.sh", command, "--data", self.pg_dir, "--port",
                        str(self.pg_port)], check=True, stdout=subprocess.DEVNULL)

    def redis(self, command):
        subprocess.run(["bash", ROOT / "scripts/redis.sh", command, self.redis_dir, str(self.redis_port), "--aof"],
                       check=True, stdout=subprocess.DEVNULL)

    def sql(self, query):
        out = subprocess.run(["psql", self.database_url, "-tAc", query], check=True, capture_output=True, text=True)
        return out.stdout.strip()


class Instance:
    def __init__(self, name, work, store):
        self.name, self.work, self.store = name, work, store
        self.metrics_port = free_port()
        self.peak = [0, 0]
        self.start()

    def start(self):
        self.stderr = open(self.work / f"{self.name}.err", "a")
        self.process = subprocess.Popen(
            [PULSE, "serve", "--port", "0", "--database-url", self.store.database_url, "--redis-url",
             self.store.redis_url, "--feed", "simulated", "--symbols", ",".join(SYMBOLS), "--tick-rate", "200",
             "--metrics-port", str(self.metrics_port), "--spool-dir", str(self.work / f"spool-{self.name}")],
            stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        for line in self.process.stdout:
            if line.startswith("listening on "):
                self.address = line.removeprefix("listening on ").strip()
                break
        else:
            sys.exit(f"soak: {self.name} did not start; see {self.work / (self.name + '.err')}")
        threading.Thread(target=lambda: [None for _ in self.process.stdout], daemon=True).start()

    def metrics(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as response:
            text = response.read().decode()
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                values[key] = float(value)
        return values

    def rss(self):
        try:
            status = pathlib.Path(f"/proc/{self.process.pid}/status").read_text()
            return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) * 1024
        except (OSError, AttributeError):
            return 0


def load(target, seconds, out):
    """Mixed unary load: Echo (event loop), Echo on the compute pool, Health checks, a backtest-sized Echo."""
    scenario = out.with_suffix(".scenario.json")
    scenario.write_text(json.dumps([
        {"method": "/pulse.v1.Diagnostics/Echo", "weight": 6, "data": {"payload": "cGluZw=="}},
        {"method": "/pulse.v1.Diagnostics/Echo", "weight": 2, "data": {"payload": "cGluZw==", "use_compute_pool": True}},
        {"method": "/grpc.health.v1.Health/Check", "weight": 2, "data": {}},
    ]))
    return subprocess.Popen(
        [LOAD, "unary", "--target", target, "--scenario", str(scenario), "--connections", "2", "--concurrency", "8",
         "--rate", "300", "--duration", f"{max(1, int(seconds))}s", "--timeout", "5s", "--quiet", "--json", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_up(instance, metric, limit=30.0):
    """Seconds until `instance`'s /metrics shows `metric` == 1 (polled every 50 ms)."""
    began = time.monotonic()
    while time.monotonic() - began < limit:
        try:
            if instance.metrics().get(metric) == 1.0:
                return time.monotonic() - began
        except OSError:
            pass
        time.sleep(0.05)
    return float("inf")


def main():
    minutes = float(sys.argv[1]) if len(sys.argv) > 1 else 2
    total = minutes * 60
    work = pathlib.Path(tempfile.mkdtemp(prefix="pulse-soak-"))
    work.chmod(0o755)  # the postgres user must reach the data folder
    store = Store(work)
    CLEANUP.append(lambda: subprocess.run(["bash", ROOT / "scripts/postgres.sh", "stop", "--data", store.pg_dir,
                                           "--port", str(store.pg_port)], stdout=subprocess.DEVNULL))
    CLEANUP.append(lambda: subprocess.run(["bash", ROOT / "scripts/redis.sh", "stop", store.redis_dir,
                                           str(store.redis_port)], stdout=subprocess.DEVNULL))
    store.pg("start")
    store.redis("start")
    subprocess.run([PULSE, "migrate", "--database-url", store.database_url], check=True, stdout=subprocess.DEVNULL)
    a = Instance("a", work, store)
    b = Instance("b", work, store)
    CLEANUP.extend([lambda: a.process.poll() is None and a.process.kill(),
                    lambda: b.process.poll() is None and b.process.kill()])
    began = time.monotonic()
    sampling = True

    def sample():
        while sampling:
            half = 0 if time.monotonic() - began < total / 2 else 1
            for instance in (a, b):
                instance.peak[half] = max(instance.peak[half], instance.rss())
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    loads = [load(a.address, total, work / "load-a.json"), load(b.address, total * 5 / 6 - 2, work / "load-b1.json")]
    recoveries = []
    fed_by_killed = 0.0
    events = [("postgres", 1), ("redis", 2), ("postgres", 3), ("redis", 4), ("kill", 5)]
    for kind, slot in events:
        time.sleep(max(0, began + total * slot / 6.5 - time.monotonic()))
        if kind == "postgres":
            store.pg("stop")
            time.sleep(3)
            store.pg("start")
            recoveries.append(("postgres restart", wait_up(a, "pulse_postgres_up")))
        elif kind == "redis":
            store.redis("stop")
            time.sleep(3)
            store.redis("start")
            recoveries.append(("redis restart", wait_up(a, "pulse_redis_up")))
        else:
            fed_by_killed = b.metrics().get("pulse_ingest_bars_written_total", 0)
            gaps_killed = b.metrics().get("pulse_ingest_gaps_total", 0)
            b.process.send_signal(signal.SIGKILL)
            b.process.wait()
            time.sleep(2)
            restarted = time.monotonic()
            b.start()
            recoveries.append(("instance b SIGKILL + restart (until serving)", time.monotonic() - restarted))
            loads.append(load(b.address, max(5, began + total - time.monotonic()), work / "load-b2.json"))
    for process in loads:
        process.wait()
    # Let the feeds close the current minute and drain their spools, then stop them gracefully.
    time.sleep(max(0, 62 - (time.time() % 60)))
    time.sleep(3)
    final = {instance.name: instance.metrics() for instance in (a, b)}
    exits = {}
    for instance in (a, b):
        instance.process.send_signal(signal.SIGTERM)
        exits[instance.name] = instance.process.wait(timeout=30)
    sampling = False
    fed = fed_by_killed + sum(m.get("pulse_ingest_bars_written_total", 0) for m in final.values())
    spooled_left = sum(m.get("pulse_spool_bars", 0) for m in final.values())
    dropped = sum(m.get("pulse_spool_dropped_total", 0) for m in final.values())
    gaps = gaps_killed + sum(m.get("pulse_ingest_gaps_total", 0) for m in final.values())
    symbols = ",".join(f"'{s}'" for s in SYMBOLS)
    stored_rows = int(store.sql(
        f"SELECT count(*) FROM bars b JOIN symbols s ON s.id = b.symbol_id WHERE s.symbol IN ({symbols}) "
        "AND b.timeframe = '1m'"))
    served, errors = 0, {}
    for report in sorted(work.glob("load-a.json")) + sorted(work.glob("load-b*.json")):
        if ".scenario." in report.name:
            continue
        data = json.loads(report.read_text())
        served += data.get("ok", 0)
        for status, count in data.get("errors", {}).items():
            errors[status] = errors.get(status, 0) + count
    missing = int(store.sql(
        "SELECT coalesce(sum(expected - present), 0) FROM (SELECT s.symbol, count(*) AS present, "
        "(extract(epoch FROM max(b.ts) - min(b.ts)) / 60 + 1)::bigint AS expected FROM bars b "
        f"JOIN symbols s ON s.id = b.symbol_id WHERE s.symbol IN ({symbols}) AND b.timeframe = '1m' "
        "GROUP BY s.symbol) per_symbol"))
    store.pg("stop")
    store.redis("stop")

    print(f"soak: {minutes:g} minutes, 2 instances, PostgreSQL and Redis restarted twice each, instance b SIGKILLed")
    print(f"requests served OK: {served}")
    print(f"errors by status: {json.dumps(errors) if errors else 'none'}")
    print(f"minute bars fed (feeds' count, incl. the killed instance's before the kill): {fed:.0f}")
    print(f"minute bars stored (rows in PostgreSQL; a minute two owners both wrote is one row): {stored_rows}")
    print(f"minutes missing inside each symbol's stored range: {missing}")
    print(f"bars still spooled at the end: {spooled_left:.0f}; dropped by a full spool: {dropped:.0f}")
    print(f"tick-log gap ticks counted by the feeds (Redis away): {gaps:.0f}")
    for label, seconds in recoveries:
        print(f"recovery after {label}: {seconds:.2f} s")
    for instance in (a, b):
        print(f"peak RSS {instance.name}: first half {instance.peak[0] / 2**20:.1f} MiB, "
              f"second half {instance.peak[1] / 2**20:.1f} MiB")
    failures = [f"instance {name} exited {code} on SIGTERM" for name, code in exits.items() if code != 0]
    if spooled_left > 0 or dropped > 0:
        failures.append("bars left in or dropped by a spool")
    # Rows are per (symbol, minute): the minute of the takeover is written by both owners and stored once, so
    # stored may be below fed by one bar per symbol; any other shortfall, or a minute missing inside a symbol's
    # stored range (the feed trades every minute), is a lost bar.
    if stored_rows == 0 or stored_rows + len(SYMBOLS) < fed:
        failures.append(f"bars lost: fed {fed:.0f}, stored {stored_rows}")
    if missing:
        failures.append(f"{missing} minutes missing inside the stored ranges")
    for label, seconds in recoveries:
        if label.startswith(("postgres", "redis")) and seconds > RECOVERY_LIMIT_S:
            failures.append(f"recovery after {label} took {seconds:.2f} s (limit {RECOVERY_LIMIT_S} s)")
    if failures:
        print("FAILED: " + "; ".join(failures))
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    try:
        main()
    finally:
        for step in reversed(CLEANUP):
            try:
                step()
            except Exception:  # noqa: BLE001 - cleanup goes on
                pass

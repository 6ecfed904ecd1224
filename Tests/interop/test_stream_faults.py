"""Live streams while Redis is stopped and started by the test (issues 11 and 15), over grpcio against two
`pulse serve` processes sharing a real Redis and a real PostgreSQL (the feed's ownership is a PostgreSQL advisory
lock, so the outage may outlast a Redis lease): on the instance that ingests, subscribers keep getting every tick
in process while Redis is down — no gap, no hole; on the other instance, which follows the tick log, the stream
resumes when Redis returns and the ticks it cannot have are announced as a SequenceGap whose bounds are exactly
what the log lacks (read back with redis-cli, not through pulse), with everything else delivered once.
"""
import os
import subprocess
import time

from conftest import REPO, skip_or_fail
from test_live_streams import Ledger, Reader, _free_port, _log, _read_until, _serve, pb  # noqa: F401 (fixture)


def test_redis_down_the_ingesting_instance_streams_on_and_the_follower_reports_the_gap(pb, tmp_path):
    database = os.environ.get("PULSE_TEST_DATABASE_URL")
    if not database:
        skip_or_fail("PULSE_TEST_DATABASE_URL is not set (scripts/test.sh starts a PostgreSQL and sets it)")
    port = _free_port()
    folder = tmp_path / "redis-aof"
    script = ["bash", str(REPO / "scripts/redis.sh")]
    # AOF on, so the log survives the restart and the hole is only what was appended while Redis was away.
    subprocess.run(script + ["start", str(folder), str(port), "--aof"], check=True)
    feeding = following = None
    try:
        feeding = _serve(port, "SFDOWN", database=database, rate=200)
        following = _serve(port, "SFDOWN", "--feed", "none", database=database)
        local, remote = Ledger(), Ledger()
        local_reader = Reader(pb, feeding.address, ["SFDOWN"])
        remote_reader = Reader(pb, following.address, ["SFDOWN"])
        _read_until(local_reader, local, lambda: len(local.ticks.get("SFDOWN", [])) >= 50)
        _read_until(remote_reader, remote, lambda: len(remote.ticks.get("SFDOWN", [])) >= 50)

        subprocess.run(script + ["stop", str(folder), str(port)], check=True)
        stopped_at = local.last["SFDOWN"]
        # Longer than a Redis lease (5 s): the PostgreSQL lock keeps the feed with its owner meanwhile.
        outage_end = time.monotonic() + 7
        while time.monotonic() < outage_end:
            local.add(local_reader.next(timeout=30))
        during = local.last["SFDOWN"] - stopped_at
        assert during >= 200, f"only {during} ticks reached the ingesting instance's subscriber while Redis was down"
        assert not local.gaps, f"the ingesting instance reported gaps {local.gaps}: it never needed Redis for them"

        subprocess.run(script + ["start", str(folder), str(port), "--aof"], check=True)
        resumed_at = local.last["SFDOWN"]
        _read_until(remote_reader, remote,
                    lambda: remote.gaps.get("SFDOWN") and remote.last["SFDOWN"] >= resumed_at + 100, timeout=90)
        _read_until(local_reader, local, lambda: local.last["SFDOWN"] >= remote.last["SFDOWN"])
        for first, last in remote.gaps["SFDOWN"]:
            assert first > stopped_at - 50, f"a gap {first}…{last} reaching back before the outage"
            assert _log(port, "SFDOWN", str(first), str(last)) == [], "a gap names ticks the log has"
            assert _log(port, "SFDOWN", str(last + 1), str(last + 1)), "the tick after a gap is not in the log"
        # Every tick the log holds reached the follower's subscriber once (the Ledger refused duplicates and holes).
        remote_sequences = {t.sequence for t in remote.ticks["SFDOWN"]}
        first_seen = min(remote_sequences)
        logged = [s for s, _ in _log(port, "SFDOWN", str(first_seen), str(remote.last["SFDOWN"]))]
        unconflated = {t.sequence for t in remote.ticks["SFDOWN"] if t.conflated == 0}
        covered = set()
        for t in remote.ticks["SFDOWN"]:
            covered.update(range(t.sequence - t.conflated, t.sequence + 1))
        assert set(logged) <= covered, f"logged ticks never delivered: {sorted(set(logged) - covered)[:10]}"
        assert unconflated, "no tick came through unconflated"
        # The ingesting instance's subscriber saw every sequence, the outage included, with no gap at all.
        assert not local.gaps
        local_reader.close()
        remote_reader.close()
    finally:
        for server in (following, feeding):
            if server:
                server.terminate()
        subprocess.run(script + ["stop", str(folder), str(port)], check=False)

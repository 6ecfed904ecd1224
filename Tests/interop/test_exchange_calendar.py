"""`pulse calendar` against the `exchange-calendars` package's XNYS calendar, an independent reference.

Every session from 2000-01-01 to the end of 2028 — dates, regular opens and closes (half days included) —
must be identical; and the market clock at instants around opens, closes, half days and DST changes agrees.
"""
import csv
import io
import json

import warnings

import pandas as pd
import pytest

from conftest import require_module, run_pulse

xc = require_module("exchange_calendars")

START, END = "2000-01-01", "2028-12-31"


@pytest.fixture(scope="module")
def xnys():
    return xc.get_calendar("XNYS", start=START, end=END)


def _iso(ts):
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def test_every_session_open_and_close_match(xnys):
    proc = run_pulse("calendar", "--from", START, "--to", END)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    ours = {r["date"]: r for r in rows}
    theirs = {d.strftime("%Y-%m-%d"): d for d in xnys.sessions}
    missing = sorted(set(theirs) - set(ours))
    extra = sorted(set(ours) - set(theirs))
    assert not missing and not extra, f"missing sessions {missing[:10]}, extra sessions {extra[:10]}"
    wrong = []
    early = {d.strftime("%Y-%m-%d") for d in xnys.early_closes}
    for date, session in theirs.items():
        mine = ours[date]
        want = (_iso(xnys.session_open(session)), _iso(xnys.session_close(session)), date in early)
        got = (mine["open"], mine["close"], mine["half_day"] == "true")
        if got != want:
            wrong.append(f"{date}: ours {got}, exchange_calendars {want}")
    assert not wrong, "\n".join(wrong[:20])
    assert len(rows) > 7000


@pytest.mark.parametrize("instant", [
    "2024-03-08T14:29:59Z", "2024-03-08T14:30:00Z", "2024-03-11T13:30:00Z", "2024-03-11T13:29:00Z",
    "2024-11-04T14:30:00Z", "2024-07-03T16:59:59Z", "2024-07-03T17:00:00Z", "2024-12-24T18:30:00Z",
    "2001-09-10T20:30:00Z", "2012-10-26T21:00:00Z", "2024-12-31T23:00:00Z", "2025-01-08T21:00:00Z",
    "2024-06-15T12:00:00Z", "2022-06-17T15:00:00Z",
])
def test_market_clock_matches(xnys, instant):
    proc = run_pulse("calendar", "--at", instant, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    clock = json.loads(proc.stdout)
    t = pd.Timestamp(instant)
    assert clock["is_open"] == bool(xnys.is_open_on_minute(t))  # XNYS minutes: open included, close not
    assert clock["next_open"] == _iso(xnys.next_open(t))
    assert clock["next_close"] == _iso(xnys.next_close(t))


@pytest.mark.parametrize("args", [["--from", "2024-01-01"], ["--from", "2024-13-01", "--to", "2024-12-31"],
                                  ["--from", "2024-02-01", "--to", "2024-01-01"], ["--at", "yesterday"]])
def test_bad_arguments_exit_2(args):
    proc = run_pulse("calendar", *args)
    assert proc.returncode == 2 and proc.stdout == ""

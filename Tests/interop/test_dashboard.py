"""The simulated feed's first-start history and the dashboard (clients/web) in headless Chromium.

`pulse serve --sim-history-days 60` with real PostgreSQL and Redis stores, for each symbol with no bars, a session's
daily bar for every NYSE session of the last 60 days and every regular-hours minute of the last week — checked
against exchange_calendars, not our calendar — once (a restart writes nothing), and the live walk starts at the
last stored close. Then `pulse gateway` serves the dashboard, and Chromium (driven by selenium, through Debian's
chromedriver) loads it: the watchlist's prices change with the feed's ticks, the chart's candles equal the stored
minutes grouped by pandas, a backtest from the form shows the equity curve POST /backtests returns, the screener
lists the symbols, no script error reaches the console, and screenshots are saved under .build/screenshots.
"""
import json
import os
import shutil
import subprocess
import time
import urllib.request

import pytest

from conftest import REPO, free_port, pulse_binary, require_module, skip_or_fail
from gateway_support import Gateway
from loading_support import fresh_database, psycopg, wait_for
from serve_process import ServeProcess
from tick_log import entries as tick_log_entries

pd = require_module("pandas")
xc = require_module("exchange_calendars")
webdriver = require_module("selenium.webdriver")

SYMBOLS = ["DASHA", "DASHB"]
HISTORY_DAYS = 60
SCREENSHOTS = REPO / ".build" / "screenshots"


def serve(database, redis):
    return ServeProcess([pulse_binary(), "serve", "--port", "0", "--loops", "2", "--feed", "simulated",
                         "--database-url", database, "--redis-url", f"redis://127.0.0.1:{redis}",
                         "--symbols", ",".join(SYMBOLS), "--tick-rate", "40",
                         "--sim-history-days", str(HISTORY_DAYS)],
                        ready_timeout=90, env={"ALPHA_VANTAGE_API_KEY": "", "PULSE_AUTH": "off"})


def stored(database, symbol, timeframe):
    with psycopg.connect(database) as connection:
        rows = connection.execute(
            "SELECT b.ts, b.open, b.high, b.low, b.close, b.volume FROM bars b JOIN symbols s ON s.id = b.symbol_id "
            "WHERE s.symbol = %s AND b.timeframe = %s ORDER BY b.ts", (symbol, timeframe)).fetchall()
    return pd.DataFrame(rows, columns=["ts", "open", "high", "low", "close", "volume"]).set_index("ts")


@pytest.fixture(scope="module")
def stack(redis):
    with fresh_database() as database:
        started = pd.Timestamp.now(tz="UTC")
        server = serve(database, redis)
        try:
            # History is written before the feed's first tick: wait for both symbols' minutes.
            wait_for(lambda: all(len(stored(database, s, "1m")) > 0 for s in SYMBOLS), 60, "stored history")
            yield database, server, started
        finally:
            server.terminate()


def test_history_covers_the_exchange_sessions_once_and_the_walk_continues_from_it(stack, redis):
    database, server, started = stack
    calendar = xc.get_calendar("XNYS")
    start_minute = started.floor("min")
    for symbol in SYMBOLS:
        daily = stored(database, symbol, "1d")
        # Daily history ends before today (the live feed builds today): one bar per NYSE session of the window.
        today = start_minute.normalize()
        sessions = calendar.sessions_in_range((today - pd.Timedelta(days=HISTORY_DAYS)).date(),
                                              (today - pd.Timedelta(days=1)).date())
        wanted = {s.date() for s in sessions}
        got = {ts.date() for ts in daily.index}
        assert got == wanted, f"{symbol}: extra {sorted(got - wanted)}, missing {sorted(wanted - got)}"
        assert (daily["high"] >= daily[["open", "close"]].max(axis=1)).all()
        assert (daily["low"] <= daily[["open", "close"]].min(axis=1)).all()

        minutes = stored(database, symbol, "1m")
        history = minutes[minutes.index < start_minute]
        assert len(history) > 0
        week = calendar.sessions_in_range((start_minute - pd.Timedelta(days=6)).date(),
                                          (start_minute - pd.Timedelta(days=1)).date())
        for session in week:
            expected = set(calendar.session_minutes(session))
            got = set(history.index[(history.index >= calendar.session_open(session))
                                    & (history.index < calendar.session_close(session))])
            assert got == expected, f"{symbol} {session.date()}: {len(got)} stored minutes, NYSE has {len(expected)}"
        outside = [ts for ts in history.index if not calendar.is_trading_minute(ts)]
        assert outside == [], f"{symbol}: minutes outside regular hours: {outside[:3]}"

        # The live walk starts at the last stored close: its first tick is a few ticks' move away, not a jump.
        last_close = history["close"].iloc[-1]
        first = wait_for(lambda: tick_log_entries(redis, symbol)[:1], 30, f"{symbol}'s first tick")
        _, tick = first[0]
        assert abs(tick["p"] / last_close - 1) < 0.01, f"{symbol}: history ends at {last_close}, live at {tick['p']}"


def test_a_restart_stores_no_history_again(stack, redis):
    database, server, _ = stack
    with psycopg.connect(database) as connection:
        before = connection.execute("SELECT count(*) FROM bars").fetchone()[0]
        batches = connection.execute(
            "SELECT count(*) FROM ingestion_batches WHERE source = 'simulated:history'").fetchone()[0]
    assert batches == 2 * len(SYMBOLS)
    again = serve(database, redis)
    try:
        time.sleep(2)
        with psycopg.connect(database) as connection:
            after = connection.execute(
                "SELECT count(*) FROM ingestion_batches WHERE source = 'simulated:history'").fetchone()[0]
        assert after == batches
    finally:
        again.terminate()
    assert before > 0


@pytest.fixture(scope="module")
def browser(stack):
    database, server, _ = stack
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        skip_or_fail("chromium and chromedriver are not installed (scripts/install-deps.sh --python installs them)")
    gateway = Gateway(server.address, "--heartbeat", "2")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=driver_path)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_script_timeout(30)
    try:
        driver.get(f"http://{gateway.address}/")
        yield driver, gateway, database, stack[2]
    finally:
        driver.quit()
        gateway.stop()


def js(driver, script):
    return driver.execute_script(script)


def screenshot(driver, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"dashboard-{name}.png"
    assert driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000, f"{path} is nearly empty"
    return path


def test_the_page_and_its_files_come_from_the_gateway(browser):
    _, gateway, _, _ = browser
    status, headers, body = gateway.request("GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"PulseTrader" in body
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    status, headers, _ = gateway.request("GET", "/app.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    status, _, body = gateway.request("GET", "/vendor/NOTICE")
    assert status == 200 and b"Apache License 2.0" in body
    # Only the files read at start-up exist: no path reaches the file system.
    for path in ("/../Package.swift", "/vendor/../../Package.swift", "/%2e%2e/Package.swift", "/nothing.js"):
        status, _, body = gateway.request("GET", path)
        assert status == 404, path
        assert json.loads(body)["error"]["code"] == "NOT_FOUND"


def test_watchlist_prices_move_with_the_feed(browser):
    driver, _, _, _ = browser
    rows = wait_for(lambda: js(driver, "return [...document.querySelectorAll('#watchlist tbody tr')]"
                                       ".map(r => r.dataset.symbol)"), 30, "watchlist rows")
    assert sorted(rows) == SYMBOLS  # from GET /stocks: the symbols the history made tracked
    seen = {}

    def moved():
        cells = js(driver, "return [...document.querySelectorAll('#watchlist tbody tr')]"
                           ".map(r => [r.dataset.symbol, r.cells[1].textContent, r.cells[3].textContent])")
        for symbol, price, sequence in cells:
            if sequence:
                seen.setdefault(symbol, set()).add((price, int(sequence)))
        return all(len({p for p, _ in seen.get(s, ())}) >= 2 for s in SYMBOLS)

    wait_for(moved, 60, "two different prices per symbol on the page")
    assert js(driver, "return document.querySelector('#connection').dataset.state") == "open"
    screenshot(driver, "watchlist")


def test_the_chart_shows_the_stored_minutes_grouped_into_five_minute_candles(browser):
    driver, _, database, started = browser
    candles = wait_for(lambda: js(driver, "return window.pulseDashboard && pulseDashboard.candles()"), 30,
                       "candles on the chart")
    assert js(driver, "return pulseDashboard.chart.symbol") == SYMBOLS[0]
    assert js(driver, "return pulseDashboard.chart.candles.data().length") >= len(candles) - 1
    minutes = stored(database, SYMBOLS[0], "1m")
    grouped = minutes.resample("5min", label="left", closed="left").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}).dropna()
    compared = 0
    history_end = started.floor("min")
    for candle in candles:
        ts = pd.Timestamp(candle["time"], unit="s", tz="UTC")
        if ts + pd.Timedelta(minutes=5) > history_end:
            continue  # the feed's own minutes: candles kept live from ticks, compared by the watchlist test
        assert ts in grouped.index, f"a candle at {ts} with no stored minute"
        want = grouped.loc[ts]
        for field in ("open", "high", "low", "close"):
            assert candle[field] == pytest.approx(want[field], rel=1e-12), (ts, field)
        compared += 1
    assert compared >= 50, f"only {compared} candles matched stored minutes"
    # The overlays and the lower pane have data (SMA 20 and RSI 14 by default).
    wait_for(lambda: js(driver, "return pulseDashboard.chart.overlays.sma.data().length > 0"), 30, "the SMA overlay")
    # RSI 14 below: a value for every candle after its 14-bar lookback, within 0…100, on the price pane's times.
    rsi = wait_for(lambda: js(driver, "const s = pulseDashboard.chart.lowerSeries[0];"
                                      "return s && s.data().filter(p => p.value !== undefined)"), 30, "RSI values")
    assert len(rsi) >= len(candles) - 15
    assert all(0 <= point["value"] <= 100 for point in rsi)
    assert {point["time"] for point in rsi} <= {candle["time"] for candle in js(driver, "return pulseDashboard.candles()")}
    screenshot(driver, "chart")


def test_a_backtest_from_the_form_shows_the_runs_equity_curve(browser):
    driver, gateway, _, _ = browser
    js(driver, """
        document.querySelector('#bt-timeframe').value = '1d';
        document.querySelector('#bt-parameters').value = 'fast=3, slow=8';
        document.querySelector('#bt-run').click();
    """)
    wait_for(lambda: "equity points" in js(driver, "return document.querySelector('#bt-status').textContent"), 60,
             "the backtest's result on the page")
    shown = js(driver, "return pulseDashboard.equity()")
    body = {"symbols": [SYMBOLS[0]], "timeframe": "1d", "strategy": {"name": "sma-cross",
            "parameters": {"fast": 3, "slow": 8}}, "cash": 10000, "commission": 0.002, "max_equity_points": 2000}
    status, _, raw = gateway.request("POST", "/backtests", json.dumps(body).encode(),
                                     {"content-type": "application/json"})
    assert status == 200, raw[:300]
    want = [v for v in json.loads(raw)["equity"]["equity"] if v is not None]
    assert len(shown) == len(want) >= 20
    assert shown == pytest.approx(want, rel=1e-12)
    # Every trade's entry and exit marked on the chart, now at the run's timeframe.
    trades = json.loads(raw)["trades"]
    assert js(driver, "return pulseDashboard.chart.timeframe") == "1d"
    wanted = sorted({int(pd.Timestamp(t[key]).timestamp()) for t in trades for key in ("entry_time", "exit_time")
                     if t[key]})
    marked = sorted({m["time"] for m in js(driver, "return pulseDashboard.chart.candles.markers()")})
    assert marked == wanted
    statistics = js(driver, "return [...document.querySelectorAll('#bt-statistics tr')].map(r => r.cells[0].textContent)")
    assert "Return [%]" in statistics and "# Trades" in statistics
    screenshot(driver, "backtest")


def test_the_screener_lists_the_symbols_and_a_row_charts_its_symbol(browser):
    driver, _, _, _ = browser
    js(driver, "document.querySelector('#sc-window').value = '5';"
               "document.querySelector('#screener-form').requestSubmit();")
    rows = wait_for(lambda: js(driver, "return [...document.querySelectorAll('#screener tbody tr')]"
                                       ".map(r => r.dataset.symbol)"), 30, "screener rows")
    assert sorted(rows) == SYMBOLS
    js(driver, f"document.querySelector('#screener tbody tr[data-symbol=\"{SYMBOLS[1]}\"]').click();")
    wait_for(lambda: js(driver, "return pulseDashboard.chart.symbol") == SYMBOLS[1], 10, "the chosen symbol charted")
    screenshot(driver, "screener")


def test_an_unknown_symbol_is_marked_and_no_script_error_was_logged(browser):
    driver, _, _, _ = browser
    js(driver, "document.querySelector('#watch-symbol').value = 'NOPE';"
               "document.querySelector('#watch-form').requestSubmit();")
    wait_for(lambda: js(driver, "const r = document.querySelector('#watchlist tr[data-symbol=\"NOPE\"]');"
                                "return r && r.classList.contains('unknown')"), 30, "NOPE marked unknown")
    assert "NOT_FOUND" in js(driver, "return document.querySelector('#watch-error').textContent")
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"
              and "/quotes?symbols=NOPE" not in entry["message"]]
    assert errors == [], errors

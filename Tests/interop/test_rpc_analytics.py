"""`pulse.v1.Indicators` and `pulse.v1.Backtests` over gRPC (grpcio, stubs generated from Protocol/ at test time)
against the references themselves: TA-Lib for Compute (bit-identical, `==`), backtesting.py 0.6.6 for Run (93
trades on GOOG, every statistic within 1e-6 relative), and `pulse backtest` on the same bars (the service must
give the CLI's numbers). Also RunStream's order, Optimize's count and best, errors with their messages, health
per service, and a cancelled Optimize that stops using the server's CPU.
"""
import json
import math
import time
import warnings

import grpc
import numpy as np
import pandas as pd
import pytest

from conftest import require_module, run_pulse, skip_or_fail
from grpc_peer_server import ProtocolMissing, compile_protocol
from test_grpc_interop import channel, server  # noqa: F401  (the shared `pulse serve --port 0` and its channel)

talib = require_module("talib")
require_module("backtesting")
from backtesting import Backtest  # noqa: E402
from backtesting.test import GOOG  # noqa: E402
from test_backtest_vs_backtesting_py import Mirror  # noqa: E402

REL = 1e-6
DURATIONS = {"Duration", "Max. Drawdown Duration", "Avg. Drawdown Duration", "Max. Trade Duration",
             "Avg. Trade Duration"}


@pytest.fixture(scope="module")
def pb(tmp_path_factory):
    try:
        compile_protocol(tmp_path_factory.mktemp("stubs"))
    except ProtocolMissing as error:
        skip_or_fail(f"Protocol/ not ready: {error}")
    import importlib

    names = ["market_data_pb2", "indicators_pb2", "indicators_pb2_grpc", "backtests_pb2", "backtests_pb2_grpc"]
    return type("Stubs", (), {n: importlib.import_module(f"pulse.v1.{n}") for n in names})


def indicators(pb, channel):
    return pb.indicators_pb2_grpc.IndicatorsStub(channel)


def backtests(pb, channel):
    return pb.backtests_pb2_grpc.BacktestsStub(channel)


def epoch_ms(index):
    return np.asarray(index, dtype="datetime64[ms]").astype(np.int64).tolist()


def goog_series(pb, frame=GOOG):
    times = epoch_ms(frame.index)
    return pb.market_data_pb2.BarSeries(
        symbol="GOOG", time_ms=times, open=frame.Open.tolist(), high=frame.High.tolist(), low=frame.Low.tolist(),
        close=frame.Close.tolist(), volume=frame.Volume.astype(float).tolist())


def arrays(frame=GOOG):
    return {k: frame[c].to_numpy(dtype=float) for k, c in
            (("open", "Open"), ("high", "High"), ("low", "Low"), ("close", "Close"), ("volume", "Volume"))}


def exact(got, want, where):
    got, want = np.asarray(got), np.asarray(want, dtype=float)
    assert got.shape == want.shape, where
    assert np.array_equal(np.isnan(got), np.isnan(want)), f"{where}: NaN in different places"
    mask = ~np.isnan(want)
    differ = np.flatnonzero(got[mask] != want[mask])
    assert differ.size == 0, f"{where}: {differ.size} values differ, first at {np.flatnonzero(mask)[differ[0]]}"


# (function, parameters, TA-Lib call, output names)
TALIB_CASES = [
    ("sma", [20], lambda d: talib.SMA(d["close"], 20), ["sma_20"]),
    ("EMA", [30], lambda d: talib.EMA(d["close"], 30), ["ema_30"]),
    ("rsi", [14], lambda d: talib.RSI(d["close"], 14), ["rsi_14"]),
    ("bbands", [20, 2, 2], lambda d: talib.BBANDS(d["close"], 20, 2, 2),
     ["bbands_20_2_2_upperband", "bbands_20_2_2_middleband", "bbands_20_2_2_lowerband"]),
    ("macd", [], lambda d: talib.MACD(d["close"]), ["macd_macd", "macd_macdsignal", "macd_macdhist"]),
    ("stoch", [], lambda d: talib.STOCH(d["high"], d["low"], d["close"]), ["stoch_slowk", "stoch_slowd"]),
    ("atr", [14], lambda d: talib.ATR(d["high"], d["low"], d["close"], 14), ["atr_14"]),
    ("adx", [], lambda d: talib.ADX(d["high"], d["low"], d["close"]), ["adx"]),
    ("obv", [], lambda d: talib.OBV(d["close"], d["volume"]), ["obv"]),
    ("kama", [10], lambda d: talib.KAMA(d["close"], 10), ["kama_10"]),
    ("t3", [8, 0.4], lambda d: talib.T3(d["close"], 8, 0.4), ["t3_8_0.4"]),
    ("mfi", [], lambda d: talib.MFI(d["high"], d["low"], d["close"], d["volume"]), ["mfi"]),
]


def compute(pb, channel, series, specs, **fields):
    request = pb.indicators_pb2.ComputeIndicatorsRequest(
        bars=series, indicators=[pb.indicators_pb2.IndicatorSpec(function=f, parameters=p) for f, p in specs],
        **fields)
    return indicators(pb, channel).Compute(request, timeout=60)


def test_compute_equals_talib_bit_for_bit(pb, channel):
    reply = compute(pb, channel, goog_series(pb), [(f, p) for f, p, _, _ in TALIB_CASES])
    data = arrays()
    assert list(reply.time_ms) == epoch_ms(GOOG.index)
    assert len(reply.indicators) == len(TALIB_CASES)
    for (function, params, call, names), series in zip(TALIB_CASES, reply.indicators):
        want = call(data)
        want = list(want) if isinstance(want, tuple) else [want]
        assert [o.name for o in series.outputs] == names, function
        assert series.spec.function == function and list(series.spec.parameters) == params
        leading = int(np.argmax(~np.isnan(want[0])))
        assert series.lookback == leading, f"{function}: lookback {series.lookback}, TA-Lib's NaN run {leading}"
        for output, values in zip(series.outputs, want):
            exact(output.values, values, output.name)


def test_compute_reverses_newest_first_bars_and_echoes_them(pb, channel):
    backwards = GOOG.iloc[::-1]
    reply = compute(pb, channel, goog_series(pb, backwards), [("rsi", [14])], include_bars=True)
    assert list(reply.time_ms) == epoch_ms(GOOG.index)
    exact(reply.indicators[0].outputs[0].values, talib.RSI(arrays()["close"], 14), "rsi_14")
    assert list(reply.bars.close) == GOOG.Close.tolist()
    assert reply.symbol == "GOOG"


def test_compute_large_batch_on_the_compute_pool_is_still_exact(pb, channel):
    rng = np.random.default_rng(7)
    n = 50_000
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    high, low = close * 1.01, close * 0.99
    series = pb.market_data_pb2.BarSeries(
        time_ms=(np.arange(n, dtype=np.int64) * 60_000 + 1_600_000_000_000).tolist(), open=close.tolist(),
        high=high.tolist(), low=low.tolist(), close=close.tolist(), volume=[1000.0] * n)
    reply = compute(pb, channel, series, [("ema", [30]), ("adx", [14])])
    exact(reply.indicators[0].outputs[0].values, talib.EMA(close, 30), "ema_30")
    exact(reply.indicators[1].outputs[0].values, talib.ADX(high, low, close, 14), "adx_14")


def status_of(call):
    with pytest.raises(grpc.RpcError) as failure:
        call()
    return failure.value.code(), failure.value.details()


@pytest.mark.parametrize("specs, needle", [
    ([("nosuch", [])], "valid indicators: ad, adosc"),
    ([("rsi", [0])], "rsi"),
    ([("bbands", [20, 2, 2, 42])], "bbands"),
    ([], "at least one indicator"),
])
def test_compute_bad_indicator_is_invalid_argument(pb, channel, specs, needle):
    code, details = status_of(lambda: compute(pb, channel, goog_series(pb), specs))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert needle in details


def test_compute_bad_bar_is_invalid_argument_naming_it(pb, channel):
    series = goog_series(pb)
    series.high[4] = series.low[4] - 1
    code, details = status_of(lambda: compute(pb, channel, series, [("sma", [5])]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "bar 5" in details and "below low" in details, details


def test_compute_stored_symbol_without_database_is_unavailable(pb, channel):
    request = pb.indicators_pb2.ComputeIndicatorsRequest(
        symbol="GOOG", indicators=[pb.indicators_pb2.IndicatorSpec(function="rsi")])
    code, details = status_of(lambda: indicators(pb, channel).Compute(request, timeout=10))
    assert code == grpc.StatusCode.UNAVAILABLE and details == "no database configured"


def sma_request(pb, **fields):
    strategy = pb.backtests_pb2.Strategy(name="sma-cross", parameters=[
        pb.backtests_pb2.StrategyParameter(name="fast", value=10),
        pb.backtests_pb2.StrategyParameter(name="slow", value=20)])
    base = dict(data=[goog_series(pb)], strategy=strategy, cash=10_000, commission=0.002)
    return pb.backtests_pb2.BacktestRequest(**{**base, **fields})


def statistics(result):
    return {s.name: s for s in result.statistics}


def expected(value):
    if isinstance(value, pd.Timestamp):
        return value.value // 1_000_000
    if isinstance(value, pd.Timedelta):
        return value / pd.Timedelta(days=1)
    return float(value) if value is not None else math.nan


def test_run_sma_cross_matches_backtesting_py(pb, channel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = Backtest(GOOG, Mirror, cash=10_000, commission=0.002, exclusive_orders=True).run(fast=10, slow=20)
    result = backtests(pb, channel).Run(sma_request(pb), timeout=60)
    stats = statistics(result)
    kinds = pb.backtests_pb2
    # The figures quoted in the issue, independent of both implementations.
    assert len(result.trades) == 93 and stats["# Trades"].value == 93
    assert stats["Equity Final [$]"].value == pytest.approx(56_263.52, abs=0.005)
    for name, value in ref.items():
        if name.startswith("_"):
            continue
        want = expected(value)
        got = stats[name]
        if name in ("Start", "End"):
            assert got.kind == kinds.STATISTIC_KIND_TIME_MS and got.value == want, name
        elif name in DURATIONS:
            assert got.kind == kinds.STATISTIC_KIND_DURATION_DAYS and got.value == pytest.approx(want, rel=REL), name
        elif math.isnan(want):
            assert math.isnan(got.value), f"{name}: backtesting.py undefined, pulse {got.value}"
        else:
            assert got.kind == kinds.STATISTIC_KIND_NUMBER
            assert got.value == pytest.approx(want, rel=REL, abs=1e-9), name
    for k, (row, trade) in enumerate(zip(ref._trades.itertuples(), result.trades)):
        assert (trade.entry_bar, trade.exit_bar, trade.size) == (row.EntryBar, row.ExitBar, row.Size), k
        assert trade.entry_time_ms == row.EntryTime.value // 1_000_000 and trade.symbol == "GOOG"
        for got, want in ((trade.entry_price, row.EntryPrice), (trade.exit_price, row.ExitPrice), (trade.pnl, row.PnL),
                          (trade.commission, row.Commission), (trade.return_fraction, row.ReturnPct)):
            assert got == pytest.approx(want, rel=REL, abs=1e-9), k
    assert [(p.name, p.value) for p in result.parameters] == [("fast", 10), ("slow", 20)]
    assert len(result.equity.equity) == len(GOOG)
    assert result.equity.equity[-1] == stats["Equity Final [$]"].value
    assert len(result.open_trades) == 1  # the last crossover's trade is still open after the last bar
    assert stats["Buy & Hold Return [%]"].value == pytest.approx(ref["Buy & Hold Return [%]"], rel=REL)


@pytest.fixture(scope="module")
def goog_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("rpc") / "GOOG.csv"
    GOOG.to_csv(path)
    return path


def cli(csv, *flags):
    proc = run_pulse("backtest", "--input", csv, "--format", "json", *flags)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("fields, flags", [
    ({}, []),
    ({"stop_loss": 0.05, "take_profit": 0.1}, ["--sl", "0.05", "--tp", "0.1"]),
    ({"trailing_stop": 0.04, "finalize_trades": True}, ["--trailing", "0.04", "--finalize-trades"]),
    ({"margin": 0.5, "fractional": True, "slippage": 0.001}, ["--margin", "0.5", "--fractional", "--slippage", "0.001"]),
    ({"trade_on_close": True, "fixed_commission": 1.5}, ["--trade-on-close", "--fixed-commission", "1.5"]),
    ({"sizing": {"units": 10}}, ["--units", "10"]),
])
def test_run_gives_the_cli_numbers(pb, channel, goog_csv, fields, flags):
    if "sizing" in fields:
        fields = {**fields, "sizing": pb.backtests_pb2.Sizing(**fields["sizing"])}
    result = backtests(pb, channel).Run(sma_request(pb, **fields), timeout=60)
    out = cli(goog_csv, "--strategy", "sma-cross", "--param", "fast=10", "--param", "slow=20", "--cash", "10000",
              "--commission", "0.002", *flags)
    stats = statistics(result)
    assert len(result.trades) == len(out["trades"])
    for name, value in out["stats"].items():
        got = stats[name].value
        if name in ("Start", "End"):
            assert got == pd.Timestamp(value).value // 1_000_000, name
        elif value is None:
            assert math.isnan(got), name
        else:
            assert got == value, name  # the same engine on the same bars: identical doubles
    for trade, row in zip(result.trades, out["trades"]):
        assert (trade.entry_bar, trade.exit_bar, trade.size, trade.pnl) == (
            row["EntryBar"], row["ExitBar"], row["Size"], row["PnL"])


def test_run_expression_strategy_and_equity_downsampling(pb, channel, goog_csv):
    strategy = pb.backtests_pb2.Strategy(entry="rsi(close, 14) < 30", exit="rsi(close, 14) > 70")
    result = backtests(pb, channel).Run(sma_request(pb, strategy=strategy, max_equity_points=100), timeout=60)
    out = cli(goog_csv, "--entry", "rsi(close, 14) < 30", "--exit", "rsi(close, 14) > 70", "--cash", "10000",
              "--commission", "0.002")
    assert statistics(result)["Return [%]"].value == out["stats"]["Return [%]"]
    curve = result.equity
    assert len(curve.time_ms) == len(curve.equity) == len(curve.drawdown) == 100
    assert curve.time_ms[0] == GOOG.index[0].value // 1_000_000
    assert curve.time_ms[-1] == GOOG.index[-1].value // 1_000_000
    assert curve.equity[-1] == out["equity"][-1]["equity"]


@pytest.mark.parametrize("order_type, offsets, flags", [
    ("ORDER_TYPE_LIMIT", {"limit_offset": 0.01}, ["--limit", "close * 0.99"]),
    ("ORDER_TYPE_STOP", {"stop_offset": 0.02}, ["--stop", "close * 1.02"]),
])
def test_order_types_give_the_cli_numbers(pb, channel, goog_csv, order_type, offsets, flags):
    entry, exit_ = "crossover(sma(close, 10), sma(close, 20))", "crossover(sma(close, 20), sma(close, 10))"
    strategy = pb.backtests_pb2.Strategy(entry=entry, exit=exit_)
    request = sma_request(pb, strategy=strategy, order_type=getattr(pb.backtests_pb2, order_type), **offsets)
    result = backtests(pb, channel).Run(request, timeout=60)
    out = cli(goog_csv, "--entry", entry, "--exit", exit_, "--cash", "10000", "--commission", "0.002", *flags)
    assert out["stats"]["# Trades"] > 10
    stats = statistics(result)
    for name in ("# Trades", "Equity Final [$]", "Return [%]", "Win Rate [%]", "SQN"):
        assert stats[name].value == out["stats"][name], name
    code, details = status_of(lambda: backtests(pb, channel).Run(
        sma_request(pb, order_type=getattr(pb.backtests_pb2, order_type), **offsets), timeout=30))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "expressions" in details


def test_run_portfolio_gives_the_cli_numbers(pb, channel, tmp_path):
    first, second = GOOG.iloc[:1200], GOOG.iloc[600:]
    first.to_csv(tmp_path / "A.csv")
    second.to_csv(tmp_path / "B.csv")
    data = [goog_series(pb, first), goog_series(pb, second)]
    data[0].symbol, data[1].symbol = "A", "B"
    rebalance = pb.backtests_pb2.Rebalance(period=pb.backtests_pb2.REBALANCE_PERIOD_MONTHLY, weights=[
        pb.backtests_pb2.SymbolWeight(symbol="A", weight=0.6), pb.backtests_pb2.SymbolWeight(symbol="B", weight=0.4)])
    result = backtests(pb, channel).Run(
        pb.backtests_pb2.BacktestRequest(data=data, rebalance=rebalance, commission=0.001), timeout=60)
    proc = run_pulse("backtest", "--input", f"A={tmp_path / 'A.csv'}", "--input", f"B={tmp_path / 'B.csv'}",
                     "--weights", "A=0.6,B=0.4", "--rebalance", "monthly", "--commission", "0.001", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    stats = statistics(result)
    for name in ("Equity Final [$]", "Return [%]", "Sharpe Ratio", "# Trades", "Max. Drawdown [%]"):
        assert stats[name].value == out["stats"][name], name
    assert [t.symbol for t in result.trades] == [t["Symbol"] for t in out["trades"]]


def test_run_stream_sends_progress_then_exactly_one_result_last(pb, channel):
    events = list(backtests(pb, channel).RunStream(sma_request(pb), timeout=60))
    kinds = [e.WhichOneof("event") for e in events]
    assert kinds[-1] == "result" and kinds.count("result") == 1
    progress = [e.progress for e in events[:-1]]
    assert progress and all(p.bars_total == len(GOOG) for p in progress)
    done = [p.bars_done for p in progress]
    assert done == sorted(done) and done[-1] == len(GOOG)
    assert statistics(events[-1].result)["# Trades"].value == 93


def optimize_request(pb, grid, **fields):
    ranges = [pb.backtests_pb2.ParameterRange(name=n, start=a, stop=b, step=s) for n, a, b, s in grid]
    return pb.backtests_pb2.OptimizeRequest(base=sma_request(pb), grid=ranges, **fields)


def test_optimize_sends_one_result_per_set_and_the_cli_best(pb, channel, goog_csv):
    request = optimize_request(pb, [("fast", 5, 30, 5), ("slow", 20, 80, 10)], maximize="sharpe")
    results = list(backtests(pb, channel).Optimize(request, timeout=120))
    assert len(results) == 42
    assert [r.completed for r in results] == list(range(1, 43)) and {r.total for r in results} == {42}
    sets = {tuple((p.name, p.value) for p in r.parameters) for r in results}
    assert len(sets) == 42
    best = max(results, key=lambda r: (r.score, -min(results.index(r), 99)))
    out = cli(goog_csv, "--strategy", "sma-cross", "--cash", "10000", "--commission", "0.002",
              "--optimize", "fast=5:30:5", "--optimize", "slow=20:80:10", "--maximize", "sharpe")
    assert {p.name: p.value for p in best.parameters} == out["best"]
    assert best.score == out["stats"]["Sharpe Ratio"]
    for r in results:
        assert statistics(r.result)["Sharpe Ratio"].value == r.score or math.isnan(r.score)
        assert not r.result.trades  # statistics only unless include_details


def test_optimize_best_matches_backtesting_py(pb, channel):
    request = optimize_request(pb, [("fast", 5, 25, 5), ("slow", 20, 70, 10)], maximize="Sharpe Ratio")
    results = list(backtests(pb, channel).Optimize(request, timeout=120))
    # Each set run by backtesting.py itself (its `optimize` forks worker processes, which a process holding
    # grpc's threads must not do); the best as its optimize picks it: the highest, the first in grid order on ties.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bt = Backtest(GOOG, Mirror, cash=10_000, commission=0.002, exclusive_orders=True)
        runs = [(bt.run(fast=f, slow=s)["Sharpe Ratio"], f, s) for f in range(5, 30, 5) for s in range(20, 80, 10)]
    scores = {(f, s): sharpe for sharpe, f, s in runs}
    want_sharpe, want_fast, want_slow = max((r for r in runs if not math.isnan(r[0])), key=lambda r: r[0])
    for r in results:
        params = {p.name: p.value for p in r.parameters}
        want = scores[(params["fast"], params["slow"])]
        assert math.isnan(r.score) if math.isnan(want) else r.score == pytest.approx(want, rel=REL), params
    best = max((r for r in results if not math.isnan(r.score)), key=lambda r: r.score)
    assert best.score == pytest.approx(want_sharpe, rel=REL)
    assert {p.name: p.value for p in best.parameters} == {"fast": want_fast, "slow": want_slow}


@pytest.mark.parametrize("fields, needle", [
    ({"strategy": {"entry": "sma(close, 10) >> sma(close, 20)"}}, "column"),
    ({"strategy": {"name": "no-such"}}, "sma-cross"),
    ({"strategy": {"name": "sma-cross", "parameters": [{"name": "fsat", "value": 3}]}}, "fast"),
    ({"commission": 0.5}, "commission"),
    ({"margin": 2}, "margin"),
    ({"risk_free_rate": 0.02}, "risk_free_rate"),
])
def test_run_bad_request_is_invalid_argument_with_a_message(pb, channel, fields, needle):
    if "strategy" in fields:
        spec = fields["strategy"]
        params = [pb.backtests_pb2.StrategyParameter(**p) for p in spec.get("parameters", [])]
        fields = {**fields, "strategy": pb.backtests_pb2.Strategy(
            **{k: v for k, v in spec.items() if k != "parameters"}, parameters=params)}
    code, details = status_of(lambda: backtests(pb, channel).Run(sma_request(pb, **fields), timeout=30))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert needle in details, details


def test_optimize_bad_requests(pb, channel):
    stub = backtests(pb, channel)
    code, details = status_of(lambda: list(stub.Optimize(
        optimize_request(pb, [("fast", 5, 30, 5)], maximize="nothing"), timeout=30)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "Sharpe Ratio" in details
    code, details = status_of(lambda: list(stub.Optimize(
        optimize_request(pb, [("fast", 1, 1000, 1), ("slow", 1, 1000, 1)]), timeout=30)))
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and "at most" in details


def test_cancelled_optimize_stops_computing(pb, channel, server):
    request = optimize_request(pb, [("fast", 2, 100, 1), ("slow", 2, 100, 1)])
    call = backtests(pb, channel).Optimize(request, timeout=300)
    before = server.ps.cpu_times()
    started = time.monotonic()
    received = [next(call) for _ in range(20)]
    while time.monotonic() - started < 1.0:
        received.append(next(call))
    busy = sum(server.ps.cpu_times()[:2]) - sum(before[:2])
    assert received[0].total == 99 * 99
    call.cancel()
    time.sleep(0.5)
    quiet_start = sum(server.ps.cpu_times()[:2])
    time.sleep(1.5)
    quiet = sum(server.ps.cpu_times()[:2]) - quiet_start
    assert busy > 0.3, f"the optimisation used only {busy:.2f} s CPU in its first second"
    assert quiet < 0.15, f"the server still used {quiet:.2f} s CPU in 1.5 s after the cancel"
    # Still serving.
    assert statistics(backtests(pb, channel).Run(sma_request(pb), timeout=60))["# Trades"].value == 93


def test_optimize_waits_for_a_slow_reader(pb, channel, server):
    request = optimize_request(pb, [("fast", 2, 100, 1), ("slow", 2, 100, 1)], include_details=True)
    call = backtests(pb, channel).Optimize(request, timeout=300)
    first = next(call)
    assert len(first.result.equity.equity) == len(GOOG)  # details: about 50 kB a message
    time.sleep(1.5)  # the stream's queue and HTTP/2 window fill; the search must then wait
    start = sum(server.ps.cpu_times()[:2])
    time.sleep(1.5)
    idle = sum(server.ps.cpu_times()[:2]) - start
    assert idle < 0.15, f"the server used {idle:.2f} s CPU while its reader was not reading"
    more = [next(call) for _ in range(50)]
    assert [r.completed for r in more] == list(range(2, 52))
    call.cancel()


def test_health_per_service(channel, pb, tmp_path):
    from grpc_peer_server import compile_protocol as again

    stubs = again(tmp_path)
    stub = stubs.health_pb2_grpc.HealthStub(channel)
    serving = stubs.health_pb2.HealthCheckResponse.SERVING
    for service in ("pulse.v1.Indicators", "pulse.v1.Backtests"):
        assert stub.Check(stubs.health_pb2.HealthCheckRequest(service=service), timeout=5).status == serving
    quotes = stub.Check(stubs.health_pb2.HealthCheckRequest(service="pulse.v1.Quotes"), timeout=5)
    assert quotes.status == stubs.health_pb2.HealthCheckResponse.NOT_SERVING


def test_live_indicators_check_their_request(pb, channel):
    # Served (Tests/interop/test_live_streams.py streams them): a request it cannot serve says why.
    request = pb.indicators_pb2.SubscribeIndicatorsRequest(symbol="GOOG")
    code, details = status_of(lambda: next(indicators(pb, channel).Subscribe(request, timeout=5)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "at least one" in details
    request = pb.indicators_pb2.SubscribeIndicatorsRequest(
        symbol="GOOG", timeframe=pb.market_data_pb2.Timeframe(unit=pb.market_data_pb2.Timeframe.UNIT_WEEK),
        indicators=[pb.indicators_pb2.IndicatorSpec(function="rsi", parameters=[14])])
    code, details = status_of(lambda: next(indicators(pb, channel).Subscribe(request, timeout=5)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "minutes and hours" in details and "1w" in details, details

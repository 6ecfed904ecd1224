"""`Client`: typed calls of a PulseTrader server over grpcio, answering in pandas."""
import dataclasses
import random
import time

import grpc
import numpy as np
import pandas as pd

from . import _stubs, convert
from .stream import Subscription

SOURCES = {None: 0, "alphavantage": 1, "alpha_vantage": 1, "simulated": 2, "csv": 3}
METRICS = {"return": 1, "volume_spike": 2, "volume-spike": 2, "volatility": 3, "new_high": 4, "new-high": 4}
JOB_STATES = {0: "unspecified", 1: "running", 2: "paused", 3: "completed", 4: "failed"}
RETRYABLE = (grpc.StatusCode.UNAVAILABLE,)


class PulseError(Exception):
    """A call the server (or the connection) failed: `code` is the grpc.StatusCode, `details` its message."""

    def __init__(self, code, details):
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details


@dataclasses.dataclass
class LoadResult:
    symbol: str
    source: str
    bars_loaded: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    #: For a background backfill: id, state, units_total, units_done, bars_stored, resume_after, message.
    job: dict | None


@dataclasses.dataclass
class BacktestResult:
    #: backtesting.py's statistics by name (times as Timestamps, durations as Timedeltas).
    statistics: pd.Series
    #: equity and drawdown, indexed by time.
    equity: pd.DataFrame
    trades: pd.DataFrame
    parameters: dict


class Client:
    """A PulseTrader server at `address` ("HOST:PORT").

    Idempotent unary calls (everything but a backtest) are retried on UNAVAILABLE with exponential backoff and
    jitter, up to `retries` times; `timeout` (seconds) is each call's deadline.
    """

    def __init__(self, address="127.0.0.1:50051", *, timeout=60.0, retries=3, options=None):
        self.address = address
        self.timeout = timeout
        self.retries = retries
        self.pb = _stubs.load()
        self.channel = grpc.insecure_channel(address, options=options or [
            ("grpc.max_receive_message_length", 64 * 1024 * 1024)])
        self._quotes = self.pb.quotes_pb2_grpc.QuotesStub(self.channel)
        self._indicators = self.pb.indicators_pb2_grpc.IndicatorsStub(self.channel)
        self._backtests = self.pb.backtests_pb2_grpc.BacktestsStub(self.channel)

    def close(self):
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _call(self, method, request, idempotent=True, timeout=None):
        attempt = 0
        while True:
            try:
                return method(request, timeout=timeout or self.timeout)
            except grpc.RpcError as error:
                if idempotent and error.code() in RETRYABLE and attempt < self.retries:
                    attempt += 1
                    time.sleep(min(2.0, 0.1 * 2 ** attempt) * random.uniform(0.5, 1.0))
                    continue
                raise PulseError(error.code(), error.details()) from None

    # --- loading and screening ---------------------------------------------------------------------------------

    def load(self, symbol, source=None, *, csv=None, timeframe=None, start=None, end=None, wait=False, poll=2.0,
             wait_timeout=3600.0):
        """Starts tracking `symbol` and loads its history (LoadSymbol; idempotent).

        `source`: "csv" (give `csv` as bytes, text, a path or a DataFrame), "simulated", "alphavantage" (a
        background backfill; with `wait` this polls until it completes, pauses or fails), or None for the server's
        default (csv when `csv` is given).
        """
        if source is None and csv is not None:
            source = "csv"
        if source not in SOURCES:
            raise ValueError(f"source must be one of csv, simulated, alphavantage, not {source!r}")
        request = self.pb.quotes_pb2.LoadSymbolRequest(
            symbol=symbol, source=SOURCES[source], start_time_ms=convert.to_ms(start),
            end_time_ms=convert.to_ms(end), csv=convert.csv_bytes(csv) if csv is not None else b"")
        if timeframe is not None:
            request.timeframe.CopyFrom(convert.timeframe(self.pb, timeframe))
        response = self._call(self._quotes.LoadSymbol, request)
        deadline = time.monotonic() + wait_timeout
        while wait and response.HasField("job") and response.job.state == 1 and time.monotonic() < deadline:
            time.sleep(poll)
            response = self._call(self._quotes.LoadSymbol, request)
        return self._load_result(response)

    def _load_result(self, response):
        job = None
        if response.HasField("job"):
            j = response.job
            job = {"id": j.id, "state": JOB_STATES.get(j.state, str(j.state)), "units_total": j.units_total,
                   "units_done": j.units_done, "bars_stored": j.bars_stored,
                   "resume_after": pd.Timestamp(j.resume_after_time_ms, unit="ms", tz="UTC")
                   if j.resume_after_time_ms else None, "message": j.message}
        stamp = (lambda ms: pd.Timestamp(ms, unit="ms", tz="UTC") if ms else None)
        names = {v: k for k, v in SOURCES.items() if k not in (None, "alpha_vantage")}
        return LoadResult(symbol=response.symbol, source=names.get(response.source, str(response.source)),
                          bars_loaded=response.bars_loaded, first=stamp(response.first_time_ms),
                          last=stamp(response.last_time_ms), job=job)

    def screen(self, metric="return", *, window=20, symbols=None, timeframe="1d", end=None, limit=50,
               ascending=False, min_value=None, max_value=None, min_price=0.0, min_average_volume=0.0):
        """Ranks stored symbols (Screen): a DataFrame indexed by each row's last bar time, in rank order, with
        symbol, value (the metric), close, volume, average_volume, window_return, volatility, prior_high, bars."""
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {', '.join(METRICS)}, not {metric!r}")
        request = self.pb.quotes_pb2.ScreenRequest(
            metric=METRICS[metric], window=window, symbols=list(symbols or []), end_time_ms=convert.to_ms(end),
            limit=limit, ascending=ascending, min_price=min_price, min_average_volume=min_average_volume)
        request.timeframe.CopyFrom(convert.timeframe(self.pb, timeframe))
        if min_value is not None:
            request.min_value = min_value
        if max_value is not None:
            request.max_value = max_value
        response = self._call(self._quotes.Screen, request)
        columns = ["symbol", "value", "close", "volume", "average_volume", "window_return", "volatility",
                   "prior_high", "bars"]
        rows = [[getattr(r, c) for c in columns] for r in response.rows]
        frame = pd.DataFrame(rows, columns=columns, index=convert.index([r.time_ms for r in response.rows]))
        frame.attrs["metric"] = metric
        frame.attrs["window"] = response.window
        return frame

    # --- market data (GetBars, GetQuote: served once the Quotes read methods are merged) ---------------------

    def bars(self, symbol, timeframe="1d", *, start=None, end=None, limit=0):
        """Historical bars (GetBars) as a DataFrame indexed by time: open, high, low, close, volume. Follows page
        tokens when the server pages a large range."""
        request = self.pb.quotes_pb2.GetBarsRequest(symbol=symbol, start_time_ms=convert.to_ms(start),
                                                    end_time_ms=convert.to_ms(end), limit=limit)
        request.timeframe.CopyFrom(convert.timeframe(self.pb, timeframe))
        frames = []
        while True:
            response = self._call(self._quotes.GetBars, request)
            frames.append(convert.bars_frame(response))
            token = getattr(response, "next_page_token", "")
            if not token:
                break
            request.page_token = token
        return pd.concat(frames) if len(frames) > 1 else frames[0]

    def quote(self, symbol):
        """The latest quote (GetQuote) as a Series; `time` is a Timestamp."""
        response = self._call(self._quotes.GetQuote, self.pb.quotes_pb2.GetQuoteRequest(symbol=symbol))
        fields = {f.name: getattr(response, f.name) for f in response.DESCRIPTOR.fields}
        fields["time"] = pd.Timestamp(fields.pop("time_ms"), unit="ms", tz="UTC")
        return pd.Series(fields, name=symbol)

    # --- analytics -----------------------------------------------------------------------------------------------

    def _specs(self, specs):
        out = []
        for spec in specs:
            if isinstance(spec, str):
                function, _, rest = spec.partition(":")
                parameters = [float(p) for p in rest.split(",") if p.strip()] if rest else []
            else:
                function, parameters = spec[0], list(spec[1]) if len(spec) > 1 else []
            out.append(self.pb.indicators_pb2.IndicatorSpec(function=function, parameters=parameters))
        return out

    def indicators(self, specs, symbol=None, *, bars=None, timeframe="1d", start=None, end=None, limit=0,
                   include_bars=False):
        """Indicators (Compute) over `bars` (a DataFrame) or a stored `symbol`: a DataFrame indexed by time with one
        column per output (`rsi_14`, `bbands_20_2_2_upperband`, …), NaN during each lookback; with `include_bars`
        the bars' columns too. `specs` are `"rsi:14"` strings or `(function, [parameters])` pairs."""
        request = self.pb.indicators_pb2.ComputeIndicatorsRequest(
            symbol=symbol or "", start_time_ms=convert.to_ms(start), end_time_ms=convert.to_ms(end), limit=limit,
            indicators=self._specs([specs] if isinstance(specs, str) else specs), include_bars=include_bars)
        request.timeframe.CopyFrom(convert.timeframe(self.pb, timeframe))
        if bars is not None:
            request.bars.CopyFrom(convert.bar_series(self.pb, bars, symbol or ""))
        frames = []
        while True:  # a stored symbol's results come in pages of at most 10,000 bars
            response = self._call(self._indicators.Compute, request)
            frame = pd.DataFrame(index=convert.index(response.time_ms))
            if include_bars and response.HasField("bars"):
                frame = convert.bars_frame(response.bars)
            for series in response.indicators:
                for output in series.outputs:
                    frame[output.name] = np.asarray(output.values, dtype=float)
            frames.append(frame)
            token = getattr(response, "next_page_token", "")
            if not token:
                return frames[0] if len(frames) == 1 else pd.concat(frames)
            request.page_token = token

    def backtest(self, symbol=None, *, bars=None, strategy="sma-cross", parameters=None, entry=None, exit=None,
                 timeframe="1d", start=None, end=None, cash=0.0, commission=0.0, **settings):
        """A backtest (Run) over `bars` (a DataFrame) or a stored `symbol`. `strategy` names a built-in
        (`sma-cross` with `parameters={"fast": 10, "slow": 20}`) or give `entry`/`exit` expressions; other
        BacktestRequest fields as keywords (`margin`, `trade_on_close`, `finalize_trades`, …)."""
        pb = self.pb.backtests_pb2
        request = pb.BacktestRequest(cash=cash, commission=commission, start_time_ms=convert.to_ms(start),
                                     end_time_ms=convert.to_ms(end), **settings)
        request.timeframe.CopyFrom(convert.timeframe(self.pb, timeframe))
        if bars is not None:
            request.data.append(convert.bar_series(self.pb, bars, symbol or ""))
        elif symbol:
            request.symbols.append(symbol)
        request.strategy.name = strategy if entry is None else ""
        request.strategy.entry = entry or ""
        request.strategy.exit = exit or ""
        for name, value in (parameters or {}).items():
            request.strategy.parameters.add(name=name, value=float(value))
        response = self._call(self._backtests.Run, request, idempotent=False)
        statistics = {}
        for statistic in response.statistics:
            if statistic.kind == 1:
                value = pd.Timestamp(statistic.value, unit="ms", tz="UTC") if np.isfinite(statistic.value) else pd.NaT
            elif statistic.kind == 2:
                value = pd.Timedelta(days=statistic.value) if np.isfinite(statistic.value) else pd.NaT
            else:
                value = statistic.value
            statistics[statistic.name] = value
        equity = pd.DataFrame({"equity": np.asarray(response.equity.equity, dtype=float),
                               "drawdown": np.asarray(response.equity.drawdown, dtype=float)},
                              index=convert.index(response.equity.time_ms))
        trade_columns = ["size", "entry_bar", "exit_bar", "entry_price", "exit_price", "pnl", "return_fraction",
                         "commission"]
        trades = pd.DataFrame([[getattr(t, c) for c in trade_columns] for t in response.trades], columns=trade_columns)
        trades["entry_time"] = pd.to_datetime([t.entry_time_ms for t in response.trades], unit="ms", utc=True)
        trades["exit_time"] = pd.to_datetime([t.exit_time_ms for t in response.trades], unit="ms", utc=True)
        return BacktestResult(statistics=pd.Series(statistics, dtype=object), equity=equity, trades=trades,
                              parameters={p.name: p.value for p in response.parameters})

    # --- live ------------------------------------------------------------------------------------------------------

    def subscribe(self, symbols, *, resume_from=None, reconnect=True, initial_backoff=0.1, max_backoff=5.0,
                  stale_after=None, bars=False):
        """Live ticks (Subscribe) as an iterator of `Tick` and `Gap` events that reconnects after a lost connection
        and resumes each symbol from its last sequence number (`resume_from`: {symbol: sequence} to start from).
        With `bars=True` also each 1-minute `Bar` as it closes and as late ticks revise it. See `Subscription`."""
        return Subscription(self, list(symbols), dict(resume_from or {}), reconnect=reconnect,
                            initial_backoff=initial_backoff, max_backoff=max_backoff, stale_after=stale_after,
                            bars=bars)

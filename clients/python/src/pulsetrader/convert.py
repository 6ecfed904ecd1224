"""Between pandas and the wire: times (UTC DatetimeIndex ↔ epoch milliseconds), bar series, timeframes."""
import numpy as np
import pandas as pd

UNITS = {"s": 1, "m": 2, "min": 2, "h": 3, "d": 4, "w": 5, "mo": 6, "M": 6}  # "1M" is Alpaca's month
ALPACA = {"Min": "m", "Hour": "h", "Day": "d", "Week": "w", "Month": "mo"}


def timeframe(pb, text):
    """`5m`, `1h`, `1d`, `1w`, `1mo` (ours), `5min` (Alpha Vantage's), `5Min`, `1Hour`, `1Day` (Alpaca's)."""
    if text is None:
        return None
    text = str(text)
    for name, ours in ALPACA.items():
        if text.endswith(name):
            text = text[: -len(name)] + ours
    digits = "".join(c for c in text if c.isdigit())
    unit = text[len(digits):]
    if not digits or unit not in UNITS:
        raise ValueError(f"unknown timeframe {text!r}; use 1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w, 1mo")
    return pb.market_data_pb2.Timeframe(unit=UNITS[unit], multiple=int(digits))


def to_ms(value):
    """Epoch milliseconds for a time given as a string, datetime, Timestamp or number of ms (None: 0)."""
    if value is None:
        return 0
    if isinstance(value, (int, np.integer)):
        return int(value)
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return int(stamp.value // 1_000_000)


def index(times_ms):
    return pd.DatetimeIndex(pd.to_datetime(np.asarray(times_ms, dtype=np.int64), unit="ms", utc=True), name="time")


def bars_frame(series):
    """A BarSeries as a DataFrame indexed by time: open, high, low, close, volume."""
    frame = pd.DataFrame({name: np.asarray(getattr(series, name), dtype=float)
                          for name in ("open", "high", "low", "close")}, index=index(series.time_ms))
    frame["volume"] = np.asarray(series.volume, dtype=float) if len(series.volume) else np.nan
    return frame


def bar_series(pb, frame, symbol=""):
    """A DataFrame (DatetimeIndex; open/high/low/close[/volume] columns in any case) as a BarSeries."""
    columns = {c.lower(): c for c in frame.columns}
    missing = [c for c in ("open", "high", "low", "close") if c not in columns]
    if missing:
        raise ValueError(f"bars need columns open, high, low, close (missing {', '.join(missing)})")
    times = pd.DatetimeIndex(frame.index)
    if times.tz is None:
        times = times.tz_localize("UTC")
    series = pb.market_data_pb2.BarSeries(
        symbol=symbol, time_ms=times.as_unit("ms").asi8.tolist(),
        **{name: frame[columns[name]].astype(float).tolist() for name in ("open", "high", "low", "close")})
    if "volume" in columns:
        series.volume.extend(frame[columns["volume"]].astype(float).tolist())
    return series


def csv_bytes(csv):
    """CSV given as bytes, text, a path, or a DataFrame (written with its index as `Date`)."""
    if isinstance(csv, (bytes, bytearray)):
        return bytes(csv)
    if isinstance(csv, pd.DataFrame):
        return csv.to_csv(index_label="Date", float_format="%.17g").encode()
    if isinstance(csv, str) and "\n" in csv:
        return csv.encode()
    with open(csv, "rb") as file:
        return file.read()

"""PulseTrader for quants: market data, indicators, screens and backtests as pandas objects.

>>> from pulsetrader import Client
>>> client = Client("127.0.0.1:50051")
>>> client.load("GOOG", csv="GOOG.csv")
>>> client.screen("return", window=20).head()
>>> client.indicators(bars=frame, specs=["rsi:14", "bbands:20,2,2"])
"""
from .client import BacktestResult, Client, LoadResult, PulseError
from .stream import Bar, Gap, Stale, Subscription, Tick

__all__ = ["Client", "PulseError", "LoadResult", "BacktestResult", "Tick", "Bar", "Gap", "Stale", "Subscription"]

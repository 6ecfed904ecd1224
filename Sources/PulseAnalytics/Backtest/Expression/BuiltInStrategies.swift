extension Strategy {
    /// The strategies PulseTrader ships, written in the expression language. Entries are exclusive: a long
    /// entry closes an open short first and vice versa (backtesting.py's `exclusive_orders=True`).
    public static let builtIn: [StrategyDefinition] = [
        StrategyDefinition(
            name: "sma-cross",
            summary: "long when the fast SMA of the close crosses above the slow one, short when it crosses below"
                + " (backtesting.py's SmaCross)",
            parameters: [.init("fast", 10, "fast SMA period"), .init("slow", 20, "slow SMA period")],
            longEntry: "crossover(sma(close, fast), sma(close, slow))",
            shortEntry: "crossover(sma(close, slow), sma(close, fast))", reentersOnRepeatedEntry: true),
        StrategyDefinition(
            name: "ema-cross",
            summary: "long when the fast EMA of the close crosses above the slow one, short when it crosses below",
            parameters: [.init("fast", 12, "fast EMA period"), .init("slow", 26, "slow EMA period")],
            longEntry: "crossover(ema(close, fast), ema(close, slow))",
            shortEntry: "crossover(ema(close, slow), ema(close, fast))", reentersOnRepeatedEntry: true),
        StrategyDefinition(
            name: "rsi-reversion",
            summary: "long when the RSI is below the lower band (oversold), out when it rises above the upper band",
            parameters: [
                .init("period", 14, "RSI period"), .init("lower", 30, "oversold level"),
                .init("upper", 70, "overbought level"),
            ],
            longEntry: "rsi(close, period) < lower",
            longExit: "rsi(close, period) > upper"),
        StrategyDefinition(
            name: "bollinger-breakout",
            summary: "long when the close breaks above the upper Bollinger band, short below the lower one;"
                + " out when the close returns across the middle band",
            parameters: [.init("period", 20, "band period"), .init("k", 2, "band width in standard deviations")],
            longEntry: "close > bbands_upper(close, period, k)",
            longExit: "close < bbands_middle(close, period, k)",
            shortEntry: "close < bbands_lower(close, period, k)",
            shortExit: "close > bbands_middle(close, period, k)"),
        StrategyDefinition(
            name: "macd-signal",
            summary: "long when the MACD line crosses above its signal line, out when it crosses below",
            parameters: [
                .init("fast", 12, "fast EMA period"), .init("slow", 26, "slow EMA period"),
                .init("signal", 9, "signal EMA period"),
            ],
            longEntry: "crossover(macd(close, fast, slow, signal), macd_signal(close, fast, slow, signal))",
            longExit: "crossunder(macd(close, fast, slow, signal), macd_signal(close, fast, slow, signal))",
            reentersOnRepeatedEntry: true),
    ]
}

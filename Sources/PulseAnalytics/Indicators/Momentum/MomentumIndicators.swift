/// TA-Lib's "Momentum Indicators" over closes.
enum MomentumIndicators {
    static let definitions: [IndicatorDefinition] = [
        IndicatorDefinition(
            name: "RSI", summary: "Relative Strength Index", inputs: [.close],
            parameters: [.period(default: 14)], outputs: ["real"],
            lookback: { $0.int(0) },
            batch: { bars, a in [try! TA.rsi(bars.close, period: a.int(0))] },
            stream: { a in CloseIndicator(RSIState(period: a.int(0))) })
    ]
}

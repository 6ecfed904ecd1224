/// TA-Lib's "Overlap Studies" over closes: moving averages and bands.
enum OverlapStudies {
    static let definitions: [IndicatorDefinition] = [
        IndicatorDefinition(
            name: "SMA", summary: "Simple Moving Average", inputs: [.close],
            parameters: [.period(default: 30, range: 1...100_000)], outputs: ["real"],
            lookback: { $0.int(0) - 1 },
            batch: { bars, a in [try! TA.sma(bars.close, period: a.int(0))] },
            stream: { a in CloseIndicator(SMAState(period: a.int(0))) }),
        IndicatorDefinition(
            name: "EMA", summary: "Exponential Moving Average", inputs: [.close],
            parameters: [.period(default: 30, range: 1...100_000)], outputs: ["real"],
            lookback: { $0.int(0) - 1 },
            batch: { bars, a in [try! TA.ema(bars.close, period: a.int(0))] },
            stream: { a in CloseIndicator(EMAState(period: a.int(0))) }),
    ]
}

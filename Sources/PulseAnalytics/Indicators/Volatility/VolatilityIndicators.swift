/// TA-Lib's "Volatility Indicators": true range and its averages.
enum VolatilityIndicators {
    static let definitions: [IndicatorDefinition] = [
        IndicatorDefinition(
            name: "TRANGE", summary: "True Range", inputs: [.high, .low, .close], parameters: [], outputs: ["real"],
            lookback: { _ in 1 },
            batch: { b, _ in [try! TA.trange(high: b.high, low: b.low, close: b.close)] },
            stream: { _ in TRANGEState() }),
        IndicatorDefinition(
            name: "ATR", summary: "Average True Range", inputs: [.high, .low, .close],
            parameters: [.period(default: 14, range: 1...100_000)], outputs: ["real"],
            lookback: { $0.int(0) },
            batch: { b, a in [try! TA.atr(high: b.high, low: b.low, close: b.close, timePeriod: a.int(0))] },
            stream: { a in try! ATRState(timePeriod: a.int(0)) }),
        IndicatorDefinition(
            name: "NATR", summary: "Normalized Average True Range", inputs: [.high, .low, .close],
            parameters: [.period(default: 14, range: 1...100_000)], outputs: ["real"],
            lookback: { $0.int(0) },
            batch: { b, a in [try! TA.natr(high: b.high, low: b.low, close: b.close, timePeriod: a.int(0))] },
            stream: { a in try! NATRState(timePeriod: a.int(0)) }),
    ]
}

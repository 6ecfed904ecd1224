/// TA-Lib's "Overlap Studies" over closes: moving averages, bands, midpoint.
enum OverlapStudies {
    /// A close-only moving average with TA-Lib's period range 1...100000.
    private static func average(
        _ name: String, _ summary: String, defaultPeriod: Int = 30, lookback: @escaping @Sendable (Int) -> Int,
        batch: @escaping @Sendable ([Double], Int) -> [Double],
        stream: @escaping @Sendable (Int) -> MovingAverageState
    ) -> IndicatorDefinition {
        IndicatorDefinition(
            name: name, summary: summary, inputs: [.close],
            parameters: [.period(default: defaultPeriod, range: 1...100_000)], outputs: ["real"],
            lookback: { lookback($0.int(0)) },
            batch: { bars, a in [batch(bars.close, a.int(0))] },
            stream: { a in CloseIndicator(stream(a.int(0))) })
    }

    static let definitions: [IndicatorDefinition] = [
        average(
            "SMA", "Simple Moving Average", lookback: { TA.maLookback(.sma, $0) },
            batch: { x, p in try! TA.sma(x, period: p) },
            stream: { .init(.sma, period: $0) }),
        average(
            "EMA", "Exponential Moving Average", lookback: { $0 - 1 }, batch: { x, p in try! TA.ema(x, period: p) },
            stream: { .init(.ema, period: $0) }),
        average(
            "WMA", "Weighted Moving Average", lookback: { $0 - 1 }, batch: { x, p in try! TA.wma(x, period: p) },
            stream: { .wma(WMAState(period: $0)) }),
        average(
            "DEMA", "Double Exponential Moving Average", lookback: { 2 * ($0 - 1) },
            batch: { x, p in try! TA.dema(x, period: p) }, stream: { .init(.dema, period: $0) }),
        average(
            "TEMA", "Triple Exponential Moving Average", lookback: { 3 * ($0 - 1) },
            batch: { x, p in try! TA.tema(x, period: p) }, stream: { .init(.tema, period: $0) }),
        average(
            "TRIMA", "Triangular Moving Average", lookback: { $0 - 1 }, batch: { x, p in try! TA.trima(x, period: p) },
            stream: { .trima(TRIMAState(period: $0)) }),
        average(
            "KAMA", "Kaufman Adaptive Moving Average", lookback: { $0 == 1 ? 0 : $0 },
            batch: { x, p in try! TA.kama(x, period: p) }, stream: { .kama(KAMAState(period: $0)) }),
        IndicatorDefinition(
            name: "T3", summary: "Triple Exponential Moving Average (T3)", inputs: [.close],
            parameters: [.period(default: 5, range: 1...100_000), .real("vfactor", default: 0.7, range: 0...1)],
            outputs: ["real"], lookback: { 6 * ($0.int(0) - 1) },
            batch: { bars, a in [try! TA.t3(bars.close, period: a.int(0), volumeFactor: a.real(1))] },
            stream: { a in CloseIndicator(T3State(period: a.int(0), volumeFactor: a.real(1))) }),
        IndicatorDefinition(
            name: "MA", summary: "Moving average (any type)", inputs: [.close],
            parameters: [.period(default: 30, range: 1...100_000), .movingAverageType()], outputs: ["real"],
            lookback: { TA.maLookback($0.maType(1), $0.int(0)) },
            batch: { bars, a in [try! TA.ma(bars.close, period: a.int(0), type: a.maType(1))] },
            stream: { a in CloseIndicator(MovingAverageState(a.maType(1), period: a.int(0))) }),
        IndicatorDefinition(
            name: "BBANDS", summary: "Bollinger Bands", inputs: [.close],
            parameters: [
                .period(default: 20), .real("nbdevup", default: 2), .real("nbdevdn", default: 2),
                .movingAverageType(),
            ],
            outputs: ["upperband", "middleband", "lowerband"],
            lookback: { TA.maLookback($0.maType(3), $0.int(0)) },
            batch: { bars, a in
                let b = try! TA.bbands(
                    bars.close, period: a.int(0), deviationsUp: a.real(1), deviationsDown: a.real(2),
                    type: a.maType(3))
                return [b.upper, b.middle, b.lower]
            },
            stream: { a in BBANDSState(period: a.int(0), up: a.real(1), down: a.real(2), type: a.maType(3)) }),
        IndicatorDefinition(
            name: "MIDPOINT", summary: "MidPoint over period", inputs: [.close],
            parameters: [.period(default: 14)], outputs: ["real"], lookback: { $0.int(0) - 1 },
            batch: { bars, a in [try! TA.midpoint(bars.close, period: a.int(0))] },
            stream: { a in CloseIndicator(MIDPOINTState(period: a.int(0))) }),
    ]
}

/// TA-Lib's momentum oscillators over high, low and close (and open for BOP).
enum OscillatorIndicators {
    private static func lookback(_ a: IndicatorArguments, period: Int, type: Int) -> Int {
        TA.maLookback(a.maType(type), a.int(period))
    }

    static let definitions: [IndicatorDefinition] = [
        IndicatorDefinition(
            name: "STOCH", summary: "Stochastic", inputs: [.high, .low, .close],
            parameters: [
                .period("fastk_period", default: 5, range: 1...100_000),
                .period("slowk_period", default: 3, range: 1...100_000),
                .movingAverageType("slowk_matype"), .period("slowd_period", default: 3, range: 1...100_000),
                .movingAverageType("slowd_matype"),
            ],
            outputs: ["slowk", "slowd"],
            lookback: { a in a.int(0) - 1 + lookback(a, period: 1, type: 2) + lookback(a, period: 3, type: 4) },
            batch: { b, a in
                let r = try! TA.stoch(
                    high: b.high, low: b.low, close: b.close, fastKPeriod: a.int(0), slowKPeriod: a.int(1),
                    slowKType: a.maType(2), slowDPeriod: a.int(3), slowDType: a.maType(4))
                return [r.slowK, r.slowD]
            },
            stream: { a in
                try! StochasticState(
                    fastKPeriod: a.int(0), slowKPeriod: a.int(1), slowKType: a.maType(2), slowDPeriod: a.int(3),
                    slowDType: a.maType(4))
            }),
        IndicatorDefinition(
            name: "STOCHF", summary: "Stochastic Fast", inputs: [.high, .low, .close],
            parameters: [
                .period("fastk_period", default: 5, range: 1...100_000),
                .period("fastd_period", default: 3, range: 1...100_000),
                .movingAverageType("fastd_matype"),
            ],
            outputs: ["fastk", "fastd"],
            lookback: { a in a.int(0) - 1 + lookback(a, period: 1, type: 2) },
            batch: { b, a in
                let r = try! TA.stochf(
                    high: b.high, low: b.low, close: b.close, fastKPeriod: a.int(0), fastDPeriod: a.int(1),
                    fastDType: a.maType(2))
                return [r.fastK, r.fastD]
            },
            stream: { a in
                try! StochasticState.fast(fastKPeriod: a.int(0), fastDPeriod: a.int(1), fastDType: a.maType(2))
            }),
        IndicatorDefinition(
            name: "WILLR", summary: "Williams' %R", inputs: [.high, .low, .close], parameters: [.period(default: 14)],
            outputs: ["real"], lookback: { $0.int(0) - 1 },
            batch: { b, a in [try! TA.willr(high: b.high, low: b.low, close: b.close, timePeriod: a.int(0))] },
            stream: { a in try! WILLRState(timePeriod: a.int(0)) }),
        IndicatorDefinition(
            name: "CCI", summary: "Commodity Channel Index", inputs: [.high, .low, .close],
            parameters: [.period(default: 14)], outputs: ["real"], lookback: { $0.int(0) - 1 },
            batch: { b, a in [try! TA.cci(high: b.high, low: b.low, close: b.close, timePeriod: a.int(0))] },
            stream: { a in try! CCIState(timePeriod: a.int(0)) }),
        IndicatorDefinition(
            name: "ULTOSC", summary: "Ultimate Oscillator", inputs: [.high, .low, .close],
            parameters: [
                .period("timeperiod1", default: 7, range: 1...100_000),
                .period("timeperiod2", default: 14, range: 1...100_000),
                .period("timeperiod3", default: 28, range: 1...100_000),
            ],
            outputs: ["real"], lookback: { a in max(a.int(0), a.int(1), a.int(2)) },
            batch: { b, a in
                [
                    try! TA.ultosc(
                        high: b.high, low: b.low, close: b.close, timePeriod1: a.int(0), timePeriod2: a.int(1),
                        timePeriod3: a.int(2))
                ]
            },
            stream: { a in try! ULTOSCState(timePeriod1: a.int(0), timePeriod2: a.int(1), timePeriod3: a.int(2)) }),
        IndicatorDefinition(
            name: "BOP", summary: "Balance Of Power", inputs: [.open, .high, .low, .close], parameters: [],
            outputs: ["real"], lookback: { _ in 0 },
            batch: { b, _ in [try! TA.bop(open: b.open, high: b.high, low: b.low, close: b.close)] },
            stream: { _ in BOPState() }),
    ]
}

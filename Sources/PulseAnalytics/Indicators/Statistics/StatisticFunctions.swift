/// TA-Lib's "Statistic Functions" over closes.
enum StatisticFunctions {
    static let definitions: [IndicatorDefinition] = [
        IndicatorDefinition(
            name: "VAR", summary: "Variance", inputs: [.close],
            parameters: [.period(default: 5, range: 1...100_000), .real("nbdev", default: 1)], outputs: ["real"],
            lookback: { $0.int(0) - 1 },
            batch: { bars, a in [try! TA.variance(bars.close, period: a.int(0))] },
            stream: { a in CloseIndicator(ShiftedVarianceState(period: a.int(0))) }),
        IndicatorDefinition(
            name: "STDDEV", summary: "Standard Deviation", inputs: [.close],
            parameters: [.period(default: 5), .real("nbdev", default: 1)], outputs: ["real"],
            lookback: { $0.int(0) - 1 },
            batch: { bars, a in [try! TA.stddev(bars.close, period: a.int(0), deviations: a.real(1))] },
            stream: { a in CloseIndicator(STDDEVState(period: a.int(0), deviations: a.real(1))) }),
        IndicatorDefinition(
            name: "LINEARREG", summary: "Linear Regression", inputs: [.close],
            parameters: [.period(default: 14)], outputs: ["real"], lookback: { $0.int(0) - 1 },
            batch: { bars, a in [try! TA.linearreg(bars.close, period: a.int(0))] },
            stream: { a in CloseIndicator(RegressionState(period: a.int(0), output: .endPoint)) }),
        IndicatorDefinition(
            name: "LINEARREG_SLOPE", summary: "Linear Regression Slope", inputs: [.close],
            parameters: [.period(default: 14)], outputs: ["real"], lookback: { $0.int(0) - 1 },
            batch: { bars, a in [try! TA.linearregSlope(bars.close, period: a.int(0))] },
            stream: { a in CloseIndicator(RegressionState(period: a.int(0), output: .slope)) }),
    ]
}

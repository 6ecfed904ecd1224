/// TA-Lib's "Momentum Indicators" over closes.
enum MomentumIndicators {
    static let definitions: [IndicatorDefinition] = [
        IndicatorDefinition(
            name: "RSI", summary: "Relative Strength Index", inputs: [.close],
            parameters: [.period(default: 14)], outputs: ["real"], lookback: { $0.int(0) },
            batch: { bars, a in [try! TA.rsi(bars.close, period: a.int(0))] },
            stream: { a in CloseIndicator(RSIState(period: a.int(0))) }),
        IndicatorDefinition(
            name: "CMO", summary: "Chande Momentum Oscillator", inputs: [.close],
            parameters: [.period(default: 14)], outputs: ["real"], lookback: { $0.int(0) },
            batch: { bars, a in [try! TA.cmo(bars.close, period: a.int(0))] },
            stream: { a in CloseIndicator(CMOState(period: a.int(0))) }),
        IndicatorDefinition(
            name: "MOM", summary: "Momentum", inputs: [.close],
            parameters: [.period(default: 10, range: 1...100_000)], outputs: ["real"], lookback: { $0.int(0) },
            batch: { bars, a in [try! TA.mom(bars.close, period: a.int(0))] },
            stream: { a in CloseIndicator(ChangeState(.momentum, period: a.int(0))) }),
        IndicatorDefinition(
            name: "ROC", summary: "Rate of change: ((price/prevPrice)-1)*100", inputs: [.close],
            parameters: [.period(default: 10, range: 1...100_000)], outputs: ["real"], lookback: { $0.int(0) },
            batch: { bars, a in [try! TA.roc(bars.close, period: a.int(0))] },
            stream: { a in CloseIndicator(ChangeState(.rateOfChange, period: a.int(0))) }),
        IndicatorDefinition(
            name: "ROCP", summary: "Rate of change Percentage: (price-prevPrice)/prevPrice", inputs: [.close],
            parameters: [.period(default: 10, range: 1...100_000)], outputs: ["real"], lookback: { $0.int(0) },
            batch: { bars, a in [try! TA.rocp(bars.close, period: a.int(0))] },
            stream: { a in CloseIndicator(ChangeState(.rateOfChangePercentage, period: a.int(0))) }),
        IndicatorDefinition(
            name: "MACD", summary: "Moving Average Convergence/Divergence", inputs: [.close],
            parameters: [
                .period("fastperiod", default: 12), .period("slowperiod", default: 26),
                .period("signalperiod", default: 9, range: 1...100_000),
            ],
            outputs: ["macd", "macdsignal", "macdhist"],
            lookback: { max($0.int(0), $0.int(1)) - 1 + $0.int(2) - 1 },
            batch: { bars, a in
                let m = try! TA.macd(bars.close, fast: a.int(0), slow: a.int(1), signal: a.int(2))
                return [m.macd, m.signal, m.histogram]
            },
            stream: { a in MACDState(fast: a.int(0), slow: a.int(1), signal: a.int(2)) }),
        IndicatorDefinition(
            name: "MACDEXT", summary: "MACD with controllable MA type", inputs: [.close],
            parameters: [
                .period("fastperiod", default: 12), .movingAverageType("fastmatype"),
                .period("slowperiod", default: 26), .movingAverageType("slowmatype"),
                .period("signalperiod", default: 9, range: 1...100_000), .movingAverageType("signalmatype"),
            ],
            outputs: ["macd", "macdsignal", "macdhist"],
            lookback: { a in
                max(TA.maLookback(a.maType(1), a.int(0)), TA.maLookback(a.maType(3), a.int(2)))
                    + TA.maLookback(a.maType(5), a.int(4))
            },
            batch: { bars, a in
                let m = try! TA.macdext(
                    bars.close, fast: a.int(0), fastType: a.maType(1), slow: a.int(2), slowType: a.maType(3),
                    signal: a.int(4), signalType: a.maType(5))
                return [m.macd, m.signal, m.histogram]
            },
            stream: { a in TA.macdextState(a) }),
        oscillator("APO", "Absolute Price Oscillator", percentage: false),
        oscillator("PPO", "Percentage Price Oscillator", percentage: true),
        IndicatorDefinition(
            name: "TRIX", summary: "1-day Rate-Of-Change (ROC) of a Triple Smooth EMA", inputs: [.close],
            parameters: [.period(default: 30, range: 1...100_000)], outputs: ["real"],
            lookback: { 3 * ($0.int(0) - 1) + 1 },
            batch: { bars, a in [try! TA.trix(bars.close, period: a.int(0))] },
            stream: { a in CloseIndicator(TRIXState(period: a.int(0))) }),
        IndicatorDefinition(
            name: "STOCHRSI", summary: "Stochastic Relative Strength Index", inputs: [.close],
            parameters: [
                .period(default: 14), .period("fastk_period", default: 5, range: 1...100_000),
                .period("fastd_period", default: 3, range: 1...100_000), .movingAverageType("fastd_matype"),
            ],
            outputs: ["fastk", "fastd"],
            lookback: { $0.int(0) + $0.int(1) - 1 + TA.maLookback($0.maType(3), $0.int(2)) },
            batch: { bars, a in
                let s = try! TA.stochrsi(
                    bars.close, period: a.int(0), fastK: a.int(1), fastD: a.int(2), fastDType: a.maType(3))
                return [s.fastK, s.fastD]
            },
            stream: { a in STOCHRSIState(period: a.int(0), fastK: a.int(1), fastD: a.int(2), type: a.maType(3)) }),
    ]

    private static func oscillator(_ name: String, _ summary: String, percentage: Bool) -> IndicatorDefinition {
        IndicatorDefinition(
            name: name, summary: summary, inputs: [.close],
            parameters: [
                .period("fastperiod", default: 12), .period("slowperiod", default: 26),
                .movingAverageType(default: .ema),
            ],
            outputs: ["real"], lookback: { TA.maLookback($0.maType(2), max($0.int(0), $0.int(1))) },
            batch: { bars, a in
                [
                    try! TA.priceOscillator(
                        bars.close, fast: a.int(0), slow: a.int(1), type: a.maType(2), function: name,
                        percentage: percentage)
                ]
            },
            stream: { a in
                CloseIndicator(
                    PriceOscillatorState(fast: a.int(0), slow: a.int(1), type: a.maType(2), percentage: percentage))
            })
    }
}

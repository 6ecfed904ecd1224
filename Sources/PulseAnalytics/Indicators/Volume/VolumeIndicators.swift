/// Volume indicators: TA-Lib's OBV, AD, ADOSC and MFI, and the session VWAP TA-Lib lacks.
enum VolumeIndicators {
    static let definitions: [IndicatorDefinition] = [
        IndicatorDefinition(
            name: "OBV", summary: "On Balance Volume", inputs: [.close, .volume], parameters: [], outputs: ["real"],
            lookback: { _ in 0 },
            batch: { b, _ in [try! TA.obv(close: b.close, volume: b.volume!)] },
            stream: { _ in OBVState() }),
        IndicatorDefinition(
            name: "AD", summary: "Chaikin A/D Line", inputs: [.high, .low, .close, .volume], parameters: [],
            outputs: ["real"], lookback: { _ in 0 },
            batch: { b, _ in [try! TA.ad(high: b.high, low: b.low, close: b.close, volume: b.volume!)] },
            stream: { _ in ADState() }),
        IndicatorDefinition(
            name: "ADOSC", summary: "Chaikin A/D Oscillator", inputs: [.high, .low, .close, .volume],
            parameters: [.period("fastperiod", default: 3), .period("slowperiod", default: 10)], outputs: ["real"],
            lookback: { a in max(a.int(0), a.int(1)) - 1 },
            batch: { b, a in
                [
                    try! TA.adosc(
                        high: b.high, low: b.low, close: b.close, volume: b.volume!, fastPeriod: a.int(0),
                        slowPeriod: a.int(1))
                ]
            },
            stream: { a in try! ADOSCState(fastPeriod: a.int(0), slowPeriod: a.int(1)) }),
        IndicatorDefinition(
            name: "MFI", summary: "Money Flow Index", inputs: [.high, .low, .close, .volume],
            parameters: [.period(default: 14)], outputs: ["real"], lookback: { $0.int(0) },
            batch: { b, a in
                [try! TA.mfi(high: b.high, low: b.low, close: b.close, volume: b.volume!, timePeriod: a.int(0))]
            },
            stream: { a in try! MFIState(timePeriod: a.int(0)) }),
        IndicatorDefinition(
            name: "VWAP", summary: "Volume-Weighted Average Price, anchored to each US/Eastern session",
            inputs: [.high, .low, .close, .volume, .timestamp], parameters: [], outputs: ["real"],
            lookback: { _ in 0 },
            batch: { b, _ in
                [try! TA.vwap(high: b.high, low: b.low, close: b.close, volume: b.volume!, timestamps: b.timestamps)]
            },
            stream: { _ in VWAPState() }),
    ]
}

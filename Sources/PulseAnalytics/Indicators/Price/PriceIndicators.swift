/// Price-range studies over high and low.
enum PriceIndicators {
    static let definitions: [IndicatorDefinition] = [
        IndicatorDefinition(
            name: "MIDPRICE", summary: "Midpoint Price over period", inputs: [.high, .low],
            parameters: [.period(default: 14)], outputs: ["real"], lookback: { $0.int(0) - 1 },
            batch: { b, a in [try! TA.midprice(high: b.high, low: b.low, timePeriod: a.int(0))] },
            stream: { a in try! MIDPRICEState(timePeriod: a.int(0)) })
    ]
}

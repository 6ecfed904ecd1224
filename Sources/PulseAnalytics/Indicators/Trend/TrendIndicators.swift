/// Directional movement, Aroon and Parabolic SAR (TA-Lib's momentum and overlap groups for high/low input).
enum TrendIndicators {
    static let definitions: [IndicatorDefinition] = [
        IndicatorDefinition(
            name: "ADX", summary: "Average Directional Movement Index", inputs: [.high, .low, .close],
            parameters: [.period(default: 14)], outputs: ["real"],
            lookback: { 2 * $0.int(0) - 1 },
            batch: { b, a in [try! TA.adx(high: b.high, low: b.low, close: b.close, timePeriod: a.int(0))] },
            stream: { a in try! ADXState(timePeriod: a.int(0)) }),
        IndicatorDefinition(
            name: "ADXR", summary: "Average Directional Movement Index Rating", inputs: [.high, .low, .close],
            parameters: [.period(default: 14)], outputs: ["real"],
            lookback: { 3 * $0.int(0) - 2 },
            batch: { b, a in [try! TA.adxr(high: b.high, low: b.low, close: b.close, timePeriod: a.int(0))] },
            stream: { a in try! ADXRState(timePeriod: a.int(0)) }),
        directional("PLUS_DI", "Plus Directional Indicator", .plusDI),
        directional("MINUS_DI", "Minus Directional Indicator", .minusDI),
        directional("PLUS_DM", "Plus Directional Movement", .plusDM),
        directional("MINUS_DM", "Minus Directional Movement", .minusDM),
        IndicatorDefinition(
            name: "SAR", summary: "Parabolic SAR", inputs: [.high, .low],
            parameters: [
                .real("acceleration", default: 0.02, range: 0...3e37), .real("maximum", default: 0.2, range: 0...3e37),
            ],
            outputs: ["real"], lookback: { _ in 1 },
            batch: { b, a in [try! TA.sar(high: b.high, low: b.low, acceleration: a.real(0), maximum: a.real(1))] },
            stream: { a in try! SARState(acceleration: a.real(0), maximum: a.real(1)) }),
        IndicatorDefinition(
            name: "AROON", summary: "Aroon", inputs: [.high, .low], parameters: [.period(default: 14)],
            outputs: ["aroondown", "aroonup"], lookback: { $0.int(0) },
            batch: { b, a in
                let r = try! TA.aroon(high: b.high, low: b.low, timePeriod: a.int(0))
                return [r.aroonDown, r.aroonUp]
            },
            stream: { a in try! AroonState(timePeriod: a.int(0)) }),
        IndicatorDefinition(
            name: "AROONOSC", summary: "Aroon Oscillator", inputs: [.high, .low], parameters: [.period(default: 14)],
            outputs: ["real"], lookback: { $0.int(0) },
            batch: { b, a in [try! TA.aroonOscillator(high: b.high, low: b.low, timePeriod: a.int(0))] },
            stream: { a in try! AroonOscillatorState(timePeriod: a.int(0)) }),
    ]

    private static func directional(
        _ name: String, _ summary: String, _ output: DirectionalMovementState.Output
    ) -> IndicatorDefinition {
        let readsClose = output == .plusDI || output == .minusDI
        return IndicatorDefinition(
            name: name, summary: summary, inputs: readsClose ? [.high, .low, .close] : [.high, .low],
            parameters: [.period(default: 14, range: 1...100_000)], outputs: ["real"],
            lookback: { a in
                let n = a.int(0)
                return readsClose ? n : max(n - 1, 1)
            },
            batch: { b, a in
                let state = try! DirectionalMovementState(output, timePeriod: a.int(0))
                return [try! state.batch(high: b.high, low: b.low, close: b.close)]
            },
            stream: { a in try! DirectionalMovementState(output, timePeriod: a.int(0)) })
    }
}

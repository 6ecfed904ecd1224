import Testing

@testable import PulseAnalytics

/// Streaming equals batch bit for bit, and checkpoint/restore continues exactly, for every registered function.
@Suite struct IndicatorStreamingTests {
    /// Every registered function at its defaults, plus non-default variants of the close-only ones.
    static let specs: [String] =
        IndicatorRegistry.standard.definitions.map { $0.name.lowercased() } + [
            "sma:1", "sma:7", "ema:1", "ema:9", "wma:1", "wma:4", "dema:5", "tema:4", "trima:1", "trima:7",
            "trima:10", "kama:1", "kama:10", "t3:1", "t3:8,0.4", "ma:1,3", "ma:10,1", "ma:10,2", "ma:10,3", "ma:10,4",
            "ma:10,5", "ma:10,6", "ma:10,8", "bbands:5", "bbands:10,1.5,2.5", "bbands:12,2,2,1", "bbands:9,2,1,3",
            "bbands:6,2,2,8", "midpoint:3", "var:1", "var:20", "stddev:20,2.5", "linearreg:5", "linearreg_slope:30",
            "rsi:2", "rsi:31", "cmo:5", "mom:1", "roc:3", "rocp:1", "macd:5,3,1", "macdext:12,1,26,1,9,1",
            "macdext:5,3,10,2,4,6", "macdext:8,8,6,4,3,5", "apo:5,10,0", "ppo:10,4,2", "trix:5",
            "stochrsi:14,5,3,1", "stochrsi:6,1,1,0",
            // Functions with TA-Lib 0.8 zero tests or flat-run resets, at periods that see the runs as long.
            "kama:2", "kama:3", "cmo:3", "dema:1", "tema:1", "trix:1", "ppo:5,10,6", "apo:5,10,6",
            "macdext:5,6,10,6,4,6", "stoch:5,3,6,3,6", "stochf:5,3,6", "stochrsi:14,5,3,6", "ultosc:2,3,4",
            "adx:2", "adxr:2", "cci:2", "willr:2", "mfi:2",
        ]

    static func bitwiseEqual(_ a: Double, _ b: Double) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }

    @Test(arguments: specs)
    func streamingEqualsBatch(_ text: String) throws {
        let spec = try IndicatorRegistry.standard.spec(text)
        for (name, bars) in IndicatorTestSeries.all {
            let batch = try spec.compute(bars)
            #expect(batch.count == spec.definition.outputs.count)
            var live = IndicatorRegistry.standard.instance(spec)
            var mismatches = 0
            for i in 0..<bars.count {
                let out = live.update(IndicatorTestSeries.input(bars, i))
                #expect(out.count == batch.count)
                for k in 0..<batch.count where !Self.bitwiseEqual(out[k], batch[k][i]) {
                    if mismatches < 3 {
                        Issue.record("\(text) on \(name) output \(k) at \(i): stream \(out[k]) batch \(batch[k][i])")
                    }
                    mismatches += 1
                }
            }
            #expect(mismatches == 0, "\(text) on \(name)")
            // The lookback is where the batch output starts.
            let firstValue = batch[0].firstIndex { !$0.isNaN } ?? bars.count
            #expect(firstValue == min(spec.lookback, bars.count), "\(text) on \(name): lookback")
        }
    }

    @Test(arguments: specs)
    func checkpointRestoreContinuesExactly(_ text: String) throws {
        let spec = try IndicatorRegistry.standard.spec(text)
        let bars = IndicatorTestSeries.all[1].bars
        var uninterrupted = IndicatorRegistry.standard.instance(spec)
        var first = IndicatorRegistry.standard.instance(spec)
        let cut = bars.count / 3
        var expected: [IndicatorOutput] = []
        for i in 0..<bars.count { expected.append(uninterrupted.update(IndicatorTestSeries.input(bars, i))) }
        for i in 0..<cut { _ = first.update(IndicatorTestSeries.input(bars, i)) }
        let bytes = first.checkpoint()
        var resumed = try IndicatorRegistry.standard.restore(from: bytes)
        #expect(resumed.spec == spec)
        for i in cut..<bars.count {
            let out = resumed.update(IndicatorTestSeries.input(bars, i))
            #expect(out == expected[i], "\(text) at \(i)")
        }
    }

    @Test func checkpointDuringLookbackRestores() throws {
        let spec = try IndicatorRegistry.standard.spec("ema:9")
        var a = IndicatorRegistry.standard.instance(spec)
        var b = IndicatorRegistry.standard.instance(spec)
        for x in [1.0, 2, 3] {
            _ = a.update(BarInput(close: x))
            _ = b.update(BarInput(close: x))
        }
        var restored = try IndicatorRegistry.standard.restore(from: a.checkpoint())
        for x in stride(from: 4.0, to: 40, by: 1.5) {
            #expect(restored.update(BarInput(close: x)) == b.update(BarInput(close: x)))
        }
    }

    @Test func restoreRejectsGarbageAndOtherVersions() throws {
        #expect(throws: IndicatorError.self) { try IndicatorRegistry.standard.restore(from: Array("nope".utf8)) }
        let other = Array(#"{"version":99,"indicator":"rsi:14","state":{}}"#.utf8)
        let error = #expect(throws: IndicatorError.self) { try IndicatorRegistry.standard.restore(from: other) }
        #expect(error?.message.contains("version 99") == true)
        let broken = Array(#"{"version":1,"indicator":"rsi:14","state":{"x":1}}"#.utf8)
        #expect(throws: IndicatorError.self) { try IndicatorRegistry.standard.restore(from: broken) }
    }
}

import Testing

@testable import PulseAnalytics

/// The OHLC(V) functions as the registry serves them: the batch entry and the streaming instance (through a
/// checkpoint and restore half way) agree bit for bit, so definitions pass the same arguments to both.
@Suite("OHLC indicators through the registry")
struct OHLCRegistryTests {
    static let specs = [
        "stoch", "stoch:6,4,6,3,8", "stochf:5,3,1", "willr:7", "cci:5", "mfi:9", "ultosc:5,3,10", "bop", "aroon:9",
        "aroonosc", "atr:1", "natr:5", "trange", "adx:6", "adxr:4", "plus_di:1", "minus_di", "plus_dm:3",
        "minus_dm:1", "sar:0.05,0.3", "obv", "ad", "adosc:10,3", "midprice:4", "vwap",
    ]

    static func bars(_ s: OHLCTestSeries) -> BarSeries {
        BarSeries(
            labels: s.timestamps.map(String.init), timestamps: s.timestamps, open: s.open, high: s.high, low: s.low,
            close: s.close, volume: s.volume)
    }

    @Test(arguments: specs)
    func instanceThroughCheckpointEqualsBatch(_ text: String) throws {
        let registry = IndicatorRegistry.standard
        let spec = try registry.spec(text)
        for series in OHLCTestSeries.all {
            let bars = Self.bars(series)
            let batch = try spec.compute(bars)
            #expect(batch.count == spec.columnNames.count)
            // The registry's lookback is the number of leading NaN in every output.
            let lookback = spec.lookback
            for column in batch {
                let leadingNaN = column.prefix(lookback).allSatisfy { $0.isNaN }
                let firstValue = column[lookback]
                #expect(leadingNaN, "\(text)")
                #expect(!firstValue.isNaN, "\(text) at its lookback")
            }
            var live = registry.instance(spec)
            for i in 0..<series.count {
                if i == series.count / 2 {
                    let bytes = live.checkpoint()
                    live = try registry.restore(from: bytes)
                }
                let out = live.update(series.bar(i))
                for k in 0..<batch.count {
                    #expect(out[k].bitPattern == batch[k][i].bitPattern, "\(text) \(series) output \(k) at \(i)")
                }
            }
        }
    }
}

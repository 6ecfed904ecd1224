@testable import PulseAnalytics

/// Deterministic OHLCV series for indicator tests: random walks at several scales, a flat stretch with zero
/// ranges and zero volume, and prices rounded to create ties.
struct OHLCTestSeries: Sendable, CustomStringConvertible {
    let name: String
    var open: [Double] = []
    var high: [Double] = []
    var low: [Double] = []
    var close: [Double] = []
    var volume: [Double] = []
    var timestamps: [Int64] = []

    var description: String { name }
    var count: Int { close.count }

    func bar(_ i: Int) -> BarInput {
        BarInput(
            open: open[i], high: high[i], low: low[i], close: close[i], volume: volume[i], timestamp: timestamps[i])
    }

    /// A geometric random walk of `count` bars around `scale`, from a fixed seed (xorshift64*).
    static func walk(_ name: String, count: Int = 400, scale: Double, seed: UInt64) -> OHLCTestSeries {
        var s = OHLCTestSeries(name: name)
        var state = seed | 1
        func uniform() -> Double {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return Double((state &* 2_685_821_657_736_338_717) >> 11) / Double(1 << 53)
        }
        var price = scale
        for i in 0..<count {
            let open = price
            price *= 1 + (uniform() - 0.5) * 0.02
            s.open.append(open)
            s.close.append(price)
            s.high.append(max(open, price) * (1 + uniform() * 0.005))
            s.low.append(min(open, price) * (1 - uniform() * 0.005))
            s.volume.append((uniform() * 10_000).rounded())
            // One-minute bars from 2024-03-08 20:00 UTC: crosses a weekend and the March DST change.
            s.timestamps.append(1_709_928_000 + Int64(i) * 60 * 30)
        }
        return s
    }

    static let all: [OHLCTestSeries] = {
        var flat = walk("flat", scale: 50, seed: 11)
        for i in 100..<160 {
            (flat.open[i], flat.high[i], flat.low[i], flat.close[i]) = (50, 50, 50, 50)
            if i >= 120 && i < 140 { flat.volume[i] = 0 }
        }
        var ties = walk("ties", scale: 20, seed: 12)
        for i in 0..<ties.count {
            ties.open[i] = (ties.open[i] * 10).rounded() / 10
            ties.high[i] = (ties.high[i] * 10).rounded() / 10
            ties.low[i] = (ties.low[i] * 10).rounded() / 10
            ties.close[i] = (ties.close[i] * 10).rounded() / 10
        }
        // Runs of 3, 60 and 300 bars with open = high = low = close at the previous close (the 60-bar run without
        // volume): the running sums enter them with rounding residue.
        var runs = walk("flat-runs", count: 900, scale: 1e6, seed: 13)
        for run in [150..<153, 250..<310, 400..<700] {
            let level = runs.close[run.lowerBound - 1]
            for i in run {
                (runs.open[i], runs.high[i], runs.low[i], runs.close[i]) = (level, level, level, level)
                if run.count == 60 { runs.volume[i] = 0 }
            }
        }
        return [
            walk("tiny", scale: 1e-3, seed: 1), walk("unit", scale: 1, seed: 2), walk("huge", scale: 1e6, seed: 3),
            flat, ties, runs,
        ]
    }()
}

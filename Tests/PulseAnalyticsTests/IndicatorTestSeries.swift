import Foundation

@testable import PulseAnalytics

/// Deterministic bar series for indicator tests: random walks at several scales, flat stretches with gaps, ties.
enum IndicatorTestSeries {
    /// A splitmix64 generator, so series are the same on every run and platform.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        /// Uniform in [-1, 1).
        mutating func symmetric() -> Double { Double(next() >> 11) / Double(1 << 52) - 1 }
    }

    static func bars(closes: [Double], seed: UInt64) -> BarSeries {
        var g = Generator(state: seed)
        var open: [Double] = []
        var high: [Double] = []
        var low: [Double] = []
        var volume: [Double] = []
        for (i, c) in closes.enumerated() {
            let o = i == 0 ? c : closes[i - 1]
            let spread = abs(g.symmetric()) * abs(c) * 1e-3
            open.append(o)
            high.append(max(o, c) + spread)
            low.append(min(o, c) - spread)
            volume.append((1000 + 9000 * abs(g.symmetric())).rounded(.down))
        }
        let timestamps = closes.indices.map { 1_700_000_000 + Int64($0) * 60 }
        return BarSeries(
            labels: closes.indices.map(String.init), timestamps: timestamps, open: open, high: high, low: low,
            close: closes, volume: volume)
    }

    static func walk(count: Int, scale: Double, seed: UInt64) -> BarSeries {
        var g = Generator(state: seed)
        var level = 100.0
        let closes = (0..<count).map { _ in
            level += g.symmetric()
            return level * scale
        }
        return bars(closes: closes, seed: seed &+ 1)
    }

    static func flatWithGaps(seed: UInt64) -> BarSeries {
        var g = Generator(state: seed)
        var level = 50.0
        var closes: [Double] = []
        for i in 0..<700 {
            if !(100..<160).contains(i) && !(400..<420).contains(i) { level += g.symmetric() }
            if i == 300 { level += 25 }
            closes.append(i >= 400 && i < 420 ? 116.8 : level)
        }
        return bars(closes: closes, seed: seed &+ 1)
    }

    static func ties(seed: UInt64) -> BarSeries {
        var g = Generator(state: seed)
        var level = 20.0
        let closes = (0..<600).map { _ in
            level += [-0.25, 0, 0.25][Int(g.next() % 3)]
            return level
        }
        return bars(closes: closes, seed: seed &+ 1)
    }

    /// Steps of very different sizes (four decades of volatility) with runs of 3, 60 and 300 bars where
    /// open = high = low = close (the 60-bar run without volume), so running sums carry rounding residue into the runs.
    static func flatRuns(scale: Double, seed: UInt64) -> BarSeries {
        var g = Generator(state: seed)
        var level = 100.0
        var closes: [Double] = []
        let runs = [150..<153, 250..<310, 400..<700]
        for i in 0..<900 {
            if !runs.contains(where: { $0.contains(i) }) {
                level += g.symmetric() * pow(10, 4 * abs(g.symmetric()) - 3)
            }
            closes.append(level * scale)
        }
        let walk = bars(closes: closes, seed: seed &+ 1)
        var open = walk.open
        var high = walk.high
        var low = walk.low
        var volume = walk.volume ?? []
        for run in runs {
            for i in run {
                (open[i], high[i], low[i]) = (closes[i], closes[i], closes[i])
                if run.count == 60 { volume[i] = 0 }
            }
        }
        return BarSeries(
            labels: walk.labels, timestamps: walk.timestamps, open: open, high: high, low: low, close: closes,
            volume: volume)
    }

    /// Every test series, named.
    static let all: [(name: String, bars: BarSeries)] = [
        ("walk-1e-3", walk(count: 900, scale: 1e-3, seed: 1)),
        ("walk-1", walk(count: 900, scale: 1, seed: 2)),
        ("walk-1e6", walk(count: 900, scale: 1e6, seed: 3)),
        ("flat-gaps", flatWithGaps(seed: 4)),
        ("ties", ties(seed: 5)),
        ("short", walk(count: 7, scale: 1, seed: 6)),
        ("flat-runs-1e-3", flatRuns(scale: 1e-3, seed: 7)),
        ("flat-runs-1e6", flatRuns(scale: 1e6, seed: 8)),
    ]

    static func input(_ bars: BarSeries, _ i: Int) -> BarInput {
        BarInput(
            open: bars.open[i], high: bars.high[i], low: bars.low[i], close: bars.close[i],
            volume: bars.volume?[i] ?? 0, timestamp: bars.timestamps?[i] ?? 0)
    }
}

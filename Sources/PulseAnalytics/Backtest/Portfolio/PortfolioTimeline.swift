/// The symbols' bars on one combined timeline: every time at which any symbol has a bar, and for each symbol
/// the index of its bar at that time, or -1 when it did not trade then (it cannot fill there).
struct PortfolioTimeline {
    let times: [Int64]
    /// `barAt[s][t]`: symbol `s`'s bar index at timeline position `t`, or -1.
    let barAt: [[Int32]]

    init(_ assets: [PortfolioAsset]) throws(BacktestError) {
        var all: [Int64] = []
        for a in assets {
            guard let t = a.bars.timestamps else {
                throw BacktestError(.invalidInput, "\(a.symbol): a portfolio needs bars with timestamps")
            }
            guard zip(t, t.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw BacktestError(.invalidInput, "\(a.symbol): timestamps must be strictly increasing")
            }
            all += t
        }
        all.sort()
        var unique: [Int64] = []
        unique.reserveCapacity(all.count)
        for t in all where unique.last != t { unique.append(t) }
        times = unique
        barAt = assets.map { asset in
            var map = [Int32](repeating: -1, count: unique.count)
            var k = 0
            for (position, t) in unique.enumerated() {
                let own = asset.bars.timestamps!
                if k < own.count && own[k] == t {
                    map[position] = Int32(k)
                    k += 1
                }
            }
            return map
        }
    }

    /// An equal-weight index of the symbols' closes (each normalised by its first close; a symbol counts from
    /// its first bar on, with its last close carried forward), as bars for the statistics.
    func indexBars(_ assets: [PortfolioAsset]) -> BarSeries {
        var close = [Double](repeating: .nan, count: times.count)
        var last = [Double](repeating: .nan, count: assets.count)
        var first = [Double](repeating: .nan, count: assets.count)
        for t in times.indices {
            var sum = 0.0
            var count = 0
            for s in assets.indices {
                let k = Int(barAt[s][t])
                if k >= 0 {
                    last[s] = assets[s].bars.close[k]
                    if first[s].isNaN { first[s] = last[s] }
                }
                if !last[s].isNaN {
                    sum += last[s] / first[s]
                    count += 1
                }
            }
            close[t] = count > 0 ? sum / Double(count) : .nan
        }
        return BarSeries(
            labels: times.map { TimestampParser.iso8601($0) }, timestamps: times, open: close, high: close, low: close,
            close: close, volume: nil)
    }
}

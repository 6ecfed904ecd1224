/// Target weights from an allocation rule, using only bars up to the current time.
struct PortfolioAllocator {
    let rule: AllocationRule
    let symbols: [String]
    /// For `.signals`: each symbol's side (+1 long, -1 short, 0 flat) after its latest bar.
    private var sides: [Int]
    /// For `.scores`: each symbol's latest score.
    private var latest: [Double]

    init(rule: AllocationRule, assets: [PortfolioAsset]) {
        self.rule = rule
        symbols = assets.map(\.symbol)
        sides = Array(repeating: 0, count: assets.count)
        latest = Array(repeating: .nan, count: assets.count)
    }

    /// Applies the signals of every symbol that has a bar at timeline position `t`.
    mutating func observe(at t: Int, timeline: PortfolioTimeline) {
        if case .scores(let series) = rule {
            for s in series.indices {
                let k = Int(timeline.barAt[s][t])
                if k >= 0 { latest[s] = series[s][k] }
            }
            return
        }
        guard case .signals(let list) = rule else { return }
        for s in list.indices {
            let k = Int(timeline.barAt[s][t])
            guard k >= 0, k > list[s].warmupBars else { continue }
            let signals = list[s]
            if signals.longEntry[k] {
                sides[s] = 1
            } else if signals.shortEntry[k] {
                sides[s] = -1
            } else {
                if signals.longExit[k] && sides[s] == 1 { sides[s] = 0 }
                if signals.shortExit[k] && sides[s] == -1 { sides[s] = 0 }
            }
        }
    }

    func targets() -> [Double] {
        switch rule {
        case .equal:
            return Array(repeating: 1 / Double(symbols.count), count: symbols.count)
        case .fixed(let weights):
            return symbols.map { weights[$0] ?? 0 }
        case .signals:
            let active = sides.filter { $0 != 0 }.count
            return sides.map { active == 0 ? 0 : Double($0) / Double(active) }
        case .scores:
            let positive = latest.map { $0 > 0 ? $0 : 0 }
            let total = positive.reduce(0, +)
            return positive.map { total > 0 ? $0 / total : 0 }
        }
    }
}

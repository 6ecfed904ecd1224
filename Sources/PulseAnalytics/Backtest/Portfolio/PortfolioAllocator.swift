/// Target weights from an allocation rule, using only bars up to the current time.
struct PortfolioAllocator {
    let rule: AllocationRule
    let symbols: [String]
    /// For `.signals`: each symbol's side (+1 long, -1 short, 0 flat) after its latest bar.
    private var sides: [Int]

    init(rule: AllocationRule, assets: [PortfolioAsset]) {
        self.rule = rule
        symbols = assets.map(\.symbol)
        sides = Array(repeating: 0, count: assets.count)
    }

    /// Applies the signals of every symbol that has a bar at timeline position `t`.
    mutating func observe(at t: Int, timeline: PortfolioTimeline) {
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
        }
    }
}

/// Backtests several symbols sharing one cash balance.
///
/// ```swift
/// let result = try PortfolioBacktest.run(
///     assets: [PortfolioAsset(symbol: "SPY", bars: spy), PortfolioAsset(symbol: "TLT", bars: tlt)],
///     rule: .fixed(["SPY": 0.6, "TLT": 0.4]), schedule: .monthly, configuration: PortfolioConfiguration())
/// ```
///
/// The symbols' bars are merged into one timeline. At a decision bar's close the rule gives target weights,
/// turned into target units with the equity and each symbol's last close known then; each symbol's order
/// fills at that symbol's next bar open — a symbol with no bar at a time cannot fill there, and nothing uses a
/// bar later than the decision's. Within a bar, sells fill before buys; a buy larger than the cash left is cut
/// to what the cash pays.
public enum PortfolioBacktest {
    public static func run(
        assets: [PortfolioAsset], rule: AllocationRule, schedule: RebalanceSchedule,
        configuration: PortfolioConfiguration, control: BacktestControl = .none
    ) throws(BacktestError) -> PortfolioResult {
        guard !assets.isEmpty else { throw BacktestError(.invalidInput, "a portfolio needs at least one symbol") }
        guard configuration.cash > 0 else { throw BacktestError(.invalidConfiguration, "cash must be positive") }
        guard configuration.commission >= 0, configuration.commission < 0.1, configuration.fixedCommission >= 0,
            configuration.spread >= 0, configuration.spread < 1
        else {
            throw BacktestError(
                .invalidConfiguration, "commission must be in [0, 0.1), fixed commission and slippage >= 0")
        }
        if case .signals(let list) = rule {
            guard list.count == assets.count else {
                throw BacktestError(.invalidInput, "\(list.count) signal sets for \(assets.count) symbols")
            }
            for (a, s) in zip(assets, list) where s.count != a.bars.count {
                throw BacktestError(.invalidInput, "\(a.symbol): \(s.count) signals for \(a.bars.count) bars")
            }
        }
        if case .scores(let list) = rule {
            guard list.count == assets.count, zip(assets, list).allSatisfy({ $0.bars.count == $1.count }) else {
                throw BacktestError(.invalidInput, "one score per bar of each symbol is needed")
            }
        }
        let timeline = try PortfolioTimeline(assets)
        var book = PortfolioBook(assets: assets, configuration: configuration)
        let n = timeline.times.count
        var equity = [Double](repeating: configuration.cash, count: n)
        let calendar = DataCalendar(timestamps: timeline.times)
        var allocator = PortfolioAllocator(rule: rule, assets: assets)
        var lastDecisionKey: Int64?
        var lastTargets: [Double]?
        for t in 0..<n {
            book.fill(at: t, timeline: timeline)
            book.markCloses(at: t, timeline: timeline)
            let value = book.equity
            equity[t] = value
            if value <= 0 {
                for k in t..<n { equity[k] = 0 }
                break
            }
            if t > 0 && t % control.checkInterval == 0 {
                if control.isCancelled() { throw BacktestError(.cancelled, "the backtest was cancelled") }
                control.progress?(Double(t) / Double(n))
            }
            allocator.observe(at: t, timeline: timeline)
            guard t >= configuration.warmupBars else { continue }
            let targets = allocator.targets()
            let key = calendar.periodKey(timeline.times[t], schedule: schedule)
            let due: Bool
            switch schedule {
            case .onChange: due = lastTargets != targets
            default: due = lastDecisionKey != key
            }
            guard due else { continue }
            lastDecisionKey = key
            lastTargets = targets
            book.setTargets(weights: targets, equity: value)
        }
        control.progress?(1)
        let index = timeline.indexBars(assets)
        let trades = book.trades.map { entry in
            var trade = entry.trade
            trade.entryTime = timeline.times[trade.entryBar]
            trade.exitTime = timeline.times[trade.exitBar]
            return (symbol: entry.symbol, trade: trade)
        }
        let statistics = BacktestStatistics(
            bars: index, equity: equity, trades: trades.map(\.trade), warmupBars: configuration.warmupBars)
        return PortfolioResult(
            timeline: index, symbols: assets.map(\.symbol), equity: equity, trades: trades, openUnits: book.units,
            statistics: statistics)
    }
}

extension DataCalendar {
    /// The rebalancing period a time falls in (calendar day, Monday-to-Sunday week, or month).
    func periodKey(_ t: Int64, schedule: RebalanceSchedule) -> Int64 {
        let day = Self.dayNumber(t)
        switch schedule {
        case .onChange, .daily: return day
        case .weekly: return day - Int64(Self.weekday(day))
        case .monthly:
            let (y, m, _) = TimestampParser.civilFromDays(day)
            return Int64(y * 12 + m)
        }
    }
}

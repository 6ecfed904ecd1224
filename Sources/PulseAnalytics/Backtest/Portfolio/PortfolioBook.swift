/// Cash, positions and pending target orders of a portfolio; fills orders and records closed trades.
struct PortfolioBook {
    private let assets: [PortfolioAsset]
    private let config: PortfolioConfiguration
    private(set) var cash: Double
    private(set) var units: [Double]
    private var averageEntry: [Double]
    private var entryBar: [Int]
    /// Entry commission not yet attributed to a closed trade.
    private var entryCommission: [Double]
    private var lastClose: [Double]
    /// Target units waiting for the symbol's next bar (NaN: none).
    private var pending: [Double]
    private(set) var trades: [(symbol: Int, trade: BacktestTrade)] = []

    init(assets: [PortfolioAsset], configuration: PortfolioConfiguration) {
        self.assets = assets
        config = configuration
        cash = configuration.cash
        units = Array(repeating: 0, count: assets.count)
        averageEntry = units
        entryBar = Array(repeating: 0, count: assets.count)
        entryCommission = units
        lastClose = Array(repeating: .nan, count: assets.count)
        pending = lastClose
    }

    /// Cash plus every position at its symbol's last known close.
    var equity: Double {
        var value = cash
        for s in units.indices where units[s] != 0 { value += units[s] * lastClose[s] }
        return value
    }

    mutating func markCloses(at t: Int, timeline: PortfolioTimeline) {
        for s in assets.indices {
            let k = Int(timeline.barAt[s][t])
            if k >= 0 { lastClose[s] = assets[s].bars.close[k] }
        }
    }

    /// Turns weights into target units with the decision bar's equity and closes (symbols without a price
    /// yet are skipped).
    mutating func setTargets(weights: [Double], equity: Double) {
        for s in assets.indices where lastClose[s] > 0 {
            let raw = weights[s] * equity / lastClose[s]
            pending[s] = config.fractional ? raw : raw.rounded(.towardZero)
        }
    }

    /// Fills the pending orders of the symbols that trade at `t`, at their open: sells first, then buys.
    mutating func fill(at t: Int, timeline: PortfolioTimeline) {
        for pass in 0..<2 {
            for s in assets.indices where !pending[s].isNaN {
                let k = Int(timeline.barAt[s][t])
                guard k >= 0 else { continue }
                let delta = pending[s] - units[s]
                if (pass == 0) != (delta < 0) { continue }
                pending[s] = .nan
                guard delta != 0 else { continue }
                trade(s, units: delta, open: assets[s].bars.open[k], bar: t)
            }
        }
    }

    private func commission(_ units: Double, _ price: Double) -> Double {
        config.fixedCommission + abs(units) * price * config.commission
    }

    private mutating func trade(_ s: Int, units wanted: Double, open: Double, bar: Int) {
        var delta = wanted
        let price = open * (delta > 0 ? 1 + config.spread : 1 - config.spread)
        guard price > 0, price.isFinite else { return }
        let held = units[s]
        let closing = held != 0 && (held > 0) != (delta > 0) ? min(abs(delta), abs(held)) : 0
        let opening = abs(delta) - closing
        if delta > 0 && opening > 0 {
            // Buying more than the cash left (after the closing part's proceeds) pays for: cut the buy.
            let closingCash = closing * price
            let affordable = (cash - closingCash - config.fixedCommission) / (price * (1 + config.commission))
            let cut = config.fractional ? max(0, affordable) : max(0, affordable.rounded(.down))
            if cut < opening { delta = closing + cut }
        }
        guard delta != 0 else { return }
        let fee = commission(delta, price)
        cash -= delta * price + fee
        if closing > 0 {
            let sign: Double = held > 0 ? 1 : -1
            let share = closing / abs(delta)
            let entryFee = entryCommission[s] * closing / abs(held)
            entryCommission[s] -= entryFee
            let fees = entryFee + fee * share
            let size = sign * closing
            trades.append(
                (
                    s,
                    BacktestTrade(
                        size: size, entryBar: entryBar[s], exitBar: bar, entryPrice: averageEntry[s], exitPrice: price,
                        stopLoss: nil, takeProfit: nil, pnl: size * (price - averageEntry[s]) - fees,
                        returnFraction: sign * (price / averageEntry[s] - 1) - fees / (closing * averageEntry[s]),
                        commission: fees, entryTime: nil, exitTime: nil)
                ))
            units[s] -= size
        }
        let added = abs(delta) - closing
        if added > 0 {
            let sign: Double = delta > 0 ? 1 : -1
            let fee = fee * added / abs(delta)
            if units[s] == 0 {
                averageEntry[s] = price
                entryBar[s] = bar
                entryCommission[s] = fee
            } else {
                averageEntry[s] = (abs(units[s]) * averageEntry[s] + added * price) / (abs(units[s]) + added)
                entryCommission[s] += fee
            }
            units[s] += sign * added
        }
        if units[s] == 0 { entryCommission[s] = 0 }
    }
}

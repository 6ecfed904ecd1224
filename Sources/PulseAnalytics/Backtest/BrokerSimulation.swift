/// The broker of one single-symbol backtest: at most one open trade, one pending entry order, a pending close,
/// and the trade's stop-loss / take-profit brackets — backtesting.py 0.6.6's `_Broker` with
/// `exclusive_orders=True`, reduced to the orders such a strategy can have, so each bar costs a few
/// comparisons and no allocation.
///
/// Per bar `i` the engine calls `processOrders` (fills using bar `i`'s prices, in backtesting.py's queue
/// order: close, stop-loss, take-profit, entry), then `equity`, then `act` (bar `i`'s signals, placing
/// orders for later bars). NaN means "not set" for every price below.
struct BrokerSimulation {
    let open: [Double], high: [Double], low: [Double], close: [Double]
    let signals: StrategySignals
    let config: BacktestConfiguration
    let leverage: Double

    var cash: Double
    var trades: [BacktestTrade] = []

    // The open trade.
    var hasTrade = false
    var tradeSize = 0.0
    var tradeEntryPrice = 0.0
    var tradeEntryBar = 0
    var tradeStopLoss = Double.nan
    var tradeTakeProfit = Double.nan

    // Pending orders.
    var pendingClose = false
    var hasEntry = false
    var entryIsLong = true
    var entryLimit = Double.nan
    var entryStop = Double.nan
    var entryStopLoss = Double.nan
    var entryTakeProfit = Double.nan

    init(bars: BarSeries, signals: StrategySignals, configuration: BacktestConfiguration) {
        open = bars.open
        high = bars.high
        low = bars.low
        close = bars.close
        self.signals = signals
        config = configuration
        leverage = 1 / configuration.margin
        cash = configuration.cash
    }

    @inline(__always) private func commission(_ size: Double, _ price: Double) -> Double {
        config.fixedCommission + abs(size) * price * config.commission
    }

    /// Cash plus the open trade's profit at bar `i`'s close.
    @inline(__always) func equity(bar i: Int) -> Double {
        hasTrade ? cash + (close[i] * tradeSize - tradeSize * tradeEntryPrice) : cash
    }

    // MARK: Fills

    @inline(__always) mutating func processOrders(bar i: Int) {
        if pendingClose {
            pendingClose = false
            if hasTrade {
                // A market close order: next open, or the signal bar's close with trade-on-close.
                if config.tradeOnClose {
                    closeTrade(price: close[i - 1], bar: i - 1)
                } else {
                    closeTrade(price: open[i], bar: i)
                }
            }
        }
        processBrackets(bar: i)
        if hasEntry && processEntry(bar: i) { processBrackets(bar: i) }
    }

    /// Stop-loss first, then take-profit: when both lie inside one bar the loss is assumed (pessimistic).
    /// Brackets always fill at the open or their price, whichever is worse for a gap through it.
    @inline(__always) private mutating func processBrackets(bar i: Int) {
        guard hasTrade else { return }
        let o = open[i]
        let isLong = tradeSize > 0
        if !tradeStopLoss.isNaN {
            let sl = tradeStopLoss
            if isLong ? low[i] <= sl : high[i] >= sl {
                closeTrade(price: isLong ? min(o, sl) : max(o, sl), bar: i)
                return
            }
        }
        if !tradeTakeProfit.isNaN {
            let tp = tradeTakeProfit
            if isLong ? high[i] >= tp : low[i] <= tp {
                closeTrade(price: isLong ? max(o, tp) : min(o, tp), bar: i)
            }
        }
    }

    /// Tries to fill the pending entry at bar `i`; returns true when the new trade's brackets must be checked
    /// again within this bar (backtesting.py's `reprocess_orders`).
    private mutating func processEntry(bar i: Int) -> Bool {
        let isLong = entryIsLong
        let o = open[i]
        var stopHit = Double.nan
        if !entryStop.isNaN {
            guard isLong ? high[i] >= entryStop : low[i] <= entryStop else { return false }
            // A triggered stop turns the order into a market or limit order for good.
            stopHit = entryStop
            entryStop = .nan
        }
        let price: Double
        if !entryLimit.isNaN {
            let limit = entryLimit
            let limitHit = isLong ? low[i] <= limit : high[i] >= limit
            // Stop and limit both inside the bar: assume the limit was touched before the stop (no fill yet).
            let limitBeforeStop =
                limitHit
                && (isLong
                    ? limit <= (stopHit.isNaN ? -.infinity : stopHit) : limit >= (stopHit.isNaN ? .infinity : stopHit))
            guard limitHit && !limitBeforeStop else { return false }
            let reference = stopHit.isNaN ? o : stopHit
            price = isLong ? min(reference, limit) : max(reference, limit)
        } else {
            var p = config.tradeOnClose ? close[i - 1] : o
            if !stopHit.isNaN { p = isLong ? max(p, stopHit) : min(p, stopHit) }
            price = p
        }
        let isMarket = entryLimit.isNaN && stopHit.isNaN
        let fillBar = isMarket && config.tradeOnClose ? i - 1 : i
        hasEntry = false

        let sign: Double = isLong ? 1 : -1
        let adjusted = price * (1 + sign * config.spread)
        let orderSize: Double
        switch config.sizing {
        case .equityFraction(let f): orderSize = f
        case .units(let u): orderSize = u
        case .cash: orderSize = 1
        }
        let adjustedPlusCommission = adjusted + commission(orderSize, price) / orderSize
        let buyingPower = max(0, equity(bar: i) - (hasTrade ? abs(tradeSize) * close[i] / leverage : 0)) * leverage
        var units: Double
        switch config.sizing {
        case .equityFraction(let f):
            units =
                config.fractional
                ? buyingPower * f / adjustedPlusCommission : pythonFloorDivide(buyingPower * f, adjustedPlusCommission)
        case .units(let u): units = u
        case .cash(let amount):
            units =
                config.fractional ? amount / adjustedPlusCommission : pythonFloorDivide(amount, adjustedPlusCommission)
        }
        // Not enough margin even for one unit, or more than the margin allows: the broker cancels the order.
        guard units > 0, units.isFinite, units * adjustedPlusCommission <= buyingPower else { return false }

        hasTrade = true
        tradeSize = sign * units
        tradeEntryPrice = adjusted
        tradeEntryBar = fillBar
        tradeStopLoss = entryStopLoss
        tradeTakeProfit = entryTakeProfit
        cash -= commission(tradeSize, adjusted)
        guard !entryStopLoss.isNaN || !entryTakeProfit.isNaN else { return false }
        if isMarket { return true }
        // A stop entry whose take-profit lies in the same bar while its stop-loss does not is unambiguous.
        if !stopHit.isNaN && entryLimit.isNaN && !entryTakeProfit.isNaN {
            let tp = entryTakeProfit
            let sl = entryStopLoss
            return isLong
                ? tp <= high[i] && (sl.isNaN ? -.infinity : sl) < low[i]
                : tp >= low[i] && (sl.isNaN ? .infinity : sl) > high[i]
        }
        return false
    }

    private mutating func closeTrade(price: Double, bar: Int) {
        let gross = tradeSize * (price - tradeEntryPrice)
        let exitCommission = commission(tradeSize, price)
        cash += gross - exitCommission
        let commissions = exitCommission + commission(tradeSize, tradeEntryPrice)
        trades.append(record(exitPrice: price, exitBar: bar, commissions: commissions))
        hasTrade = false
    }

    private func record(exitPrice: Double, exitBar: Int, commissions: Double) -> BacktestTrade {
        let sign: Double = tradeSize > 0 ? 1 : -1
        return BacktestTrade(
            size: tradeSize, entryBar: tradeEntryBar, exitBar: exitBar, entryPrice: tradeEntryPrice,
            exitPrice: exitPrice, stopLoss: tradeStopLoss.isNaN ? nil : tradeStopLoss,
            takeProfit: tradeTakeProfit.isNaN ? nil : tradeTakeProfit,
            pnl: tradeSize * (exitPrice - tradeEntryPrice) - commissions,
            returnFraction: sign * (exitPrice / tradeEntryPrice - 1) - commissions / (abs(tradeSize) * tradeEntryPrice),
            commission: commissions, entryTime: nil, exitTime: nil)
    }

    /// Closes the open trade at the end of the data the way backtesting.py's `finalize_trades=True` does: a
    /// close order processed with the last bar's prices again (so at its open, or at the previous close with
    /// trade-on-close), together with any order still pending.
    mutating func finalize(bar i: Int) {
        if hasTrade { pendingClose = true }
        processOrders(bar: i)
    }

    /// Equity fell to zero or below: close everything at this close and stop trading.
    mutating func liquidate(bar i: Int) {
        if hasTrade { closeTrade(price: close[i], bar: i) }
        cash = 0
    }

    /// The trade still open after the last bar, valued at the last close (entry commission only).
    func openTrade(lastBar: Int) -> BacktestTrade? {
        guard hasTrade else { return nil }
        return record(
            exitPrice: close[lastBar], exitBar: lastBar, commissions: commission(tradeSize, tradeEntryPrice))
    }
}

/// Python's float floor division (`a // b`), step for step, so unit counts match backtesting.py exactly
/// even where `floor(a / b)` would round differently.
@inline(__always) func pythonFloorDivide(_ a: Double, _ b: Double) -> Double {
    var mod = a.truncatingRemainder(dividingBy: b)
    var div = (a - mod) / b
    if mod != 0 && ((b < 0) != (mod < 0)) {
        mod += b
        div -= 1
    }
    guard div != 0 else { return (0.0 as Double).sign == (a / b).sign ? 0 : -0.0 }
    var floored = div.rounded(.down)
    if div - floored > 0.5 { floored += 1 }
    return floored
}

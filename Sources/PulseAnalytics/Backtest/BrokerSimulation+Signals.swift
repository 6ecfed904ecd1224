extension BrokerSimulation {
    /// Bar `i`'s close: moves the trailing stop, then turns the bar's signals into orders for later bars.
    @inline(__always) mutating func act(bar i: Int) {
        let c = close[i]
        if hasTrade, let trail = config.trailingStopFraction {
            if tradeSize > 0 {
                tradeStopLoss = max(tradeStopLoss.isNaN ? -.infinity : tradeStopLoss, c * (1 - trail))
            } else {
                tradeStopLoss = min(tradeStopLoss.isNaN ? .infinity : tradeStopLoss, c * (1 + trail))
            }
        }
        if signals.longEntry[i] {
            placeEntry(isLong: true, bar: i)
        } else if signals.shortEntry[i] {
            placeEntry(isLong: false, bar: i)
        } else {
            if signals.longExit[i] {
                if hasTrade && tradeSize > 0 { pendingClose = true }
                if hasEntry && entryIsLong { hasEntry = false }
            }
            if signals.shortExit[i] {
                if hasTrade && tradeSize < 0 { pendingClose = true }
                if hasEntry && !entryIsLong { hasEntry = false }
            }
        }
    }

    /// Exclusive orders: cancel the pending entry, close the open trade, place the new entry. An entry on the
    /// side already held or pending is ignored unless `reenterOnRepeatedEntry`. An entry whose brackets sit on
    /// the wrong side of its price is rejected (backtesting.py raises) and changes nothing.
    private mutating func placeEntry(isLong: Bool, bar i: Int) {
        if !config.reenterOnRepeatedEntry {
            if hasTrade && (tradeSize > 0) == isLong { return }
            if hasEntry && entryIsLong == isLong { return }
        }
        let c = close[i]
        let orders = signals.orders
        let limit = orders?.limit?[i] ?? .nan
        let stop = orders?.stop?[i] ?? .nan
        var sl = orders?.stopLoss?[i] ?? .nan
        var tp = orders?.takeProfit?[i] ?? .nan
        if sl.isNaN, let f = config.stopLossFraction { sl = isLong ? c * (1 - f) : c * (1 + f) }
        if tp.isNaN, let f = config.takeProfitFraction { tp = isLong ? c * (1 + f) : c * (1 - f) }
        let reference = !limit.isNaN ? limit : !stop.isNaN ? stop : c * (1 + (isLong ? 1 : -1) * config.spread)
        let valid =
            isLong
            ? (sl.isNaN ? -.infinity : sl) < reference && reference < (tp.isNaN ? .infinity : tp)
            : (tp.isNaN ? -.infinity : tp) < reference && reference < (sl.isNaN ? .infinity : sl)
        guard valid else { return }
        if hasTrade { pendingClose = true }
        hasEntry = true
        entryIsLong = isLong
        entryLimit = limit
        entryStop = stop
        entryStopLoss = sl
        entryTakeProfit = tp
    }
}

import PulseAnalytics
import PulseProtocol

/// What both Indicators.Subscribe folds (``IndicatorStreamCall`` over minutes, ``IndicatorBuckets`` over longer
/// bars) share: feeding a bar to the indicators, the updates they send, stored bars as wire bars.
extension Array where Element == IndicatorInstance {
    /// Feeds `bar` to every instance; returns their outputs in request order.
    mutating func feed(_ bar: PulseV1.Bar) -> [Double] {
        let input = BarInput(
            open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume,
            timestamp: bar.timeMs / 1000)
        var values: [Double] = []
        for k in indices {
            let output = self[k].update(input)
            for column in 0..<output.count { values.append(output[column]) }
        }
        return values
    }
}

extension PulseV1.Bar {
    /// Bar `k` of a stored series.
    init(_ stored: BarSeries, at k: Int) {
        self.init(
            timeMs: (stored.timestamps?[k] ?? 0) * 1000, open: stored.open[k], high: stored.high[k],
            low: stored.low[k], close: stored.close[k], volume: stored.volume?[k] ?? 0)
    }
}

extension PulseV1.IndicatorUpdate {
    /// The update of a forming (`closed` false) or closed bar.
    static func bar(
        _ bar: PulseV1.Bar, symbol: String, timeframe: PulseV1.Timeframe, closed: Bool, values: [Double],
        sequence: UInt64, conflated: UInt32, revision: UInt32
    ) -> PulseV1.IndicatorUpdate {
        var update = PulseV1.IndicatorUpdate()
        update.symbol = symbol
        update.timeframe = timeframe
        update.sequence = sequence
        update.timeMs = bar.timeMs
        update.bar = bar
        update.barClosed = closed
        update.values = values
        update.conflated = conflated
        update.revision = revision
        return update
    }

    /// The update announcing ticks the stream lost.
    static func gap(_ gap: PulseV1.SequenceGap, symbol: String, timeframe: PulseV1.Timeframe, sequence: UInt64)
        -> PulseV1.IndicatorUpdate
    {
        var update = PulseV1.IndicatorUpdate()
        update.symbol = symbol
        update.timeframe = timeframe
        update.sequence = sequence
        update.gap = gap
        return update
    }
}

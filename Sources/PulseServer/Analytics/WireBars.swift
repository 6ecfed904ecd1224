import PulseAnalytics
import PulseProtocol

/// Bars between the wire (`pulse.v1.BarSeries`, times in epoch milliseconds) and PulseAnalytics' `BarSeries`
/// (epoch seconds). Every series a request carries passes `BarValidation`, as a CSV file does for the CLI;
/// labels keep each bar's exact millisecond time, so times echo back unchanged.
enum WireBars {
    /// Checked bars in ascending time order (newest-first input is reversed).
    /// - Parameter field: names the series in messages (`bars`, `data[1]`).
    /// - Throws: `GRPCStatus` INVALID_ARGUMENT naming the bar that cannot be used.
    static func bars(_ series: PulseV1.BarSeries, field: String) throws(GRPCStatus) -> BarSeries {
        let n = series.timeMs.count
        let lengths = [
            ("open", series.open.count), ("high", series.high.count), ("low", series.low.count),
            ("close", series.close.count),
        ]
        if let bad = lengths.first(where: { $0.1 != n }) {
            throw GRPCStatus(
                .invalidArgument,
                "\(field): \(bad.0) has \(bad.1) values for \(n) times; every column needs one per bar")
        }
        guard series.volume.isEmpty || series.volume.count == n else {
            throw GRPCStatus(
                .invalidArgument, "\(field): volume has \(series.volume.count) values for \(n) times (or give none)")
        }
        guard n > 0 else { throw GRPCStatus(.invalidArgument, "\(field): there are no bars") }
        let times = series.timeMs
        let raw = BarSeries(
            labels: times.map { String($0) }, timestamps: times.map { floorSeconds($0) }, open: series.open,
            high: series.high, low: series.low, close: series.close,
            volume: series.volume.isEmpty ? nil : series.volume)
        do {
            return try BarValidation.validate(raw, rowName: { "bar \($0 + 1) (time_ms \(times[$0]))" }).bars
        } catch {
            throw GRPCStatus(.invalidArgument, "\(field): \(error)")
        }
    }

    /// Each bar's time in epoch milliseconds, exactly as the request gave it.
    static func timesMs(_ bars: BarSeries) -> [Int64] {
        guard let seconds = bars.timestamps else { return [] }
        // Labels hold the milliseconds of bars that came over the wire; other sources' labels are not times.
        if let first = bars.labels.first.flatMap({ Int64($0) }), floorSeconds(first) == seconds.first {
            return bars.labels.map { Int64($0) ?? 0 }
        }
        return seconds.map { $0 * 1000 }
    }

    /// The bars as a wire series.
    static func series(_ bars: BarSeries, symbol: String, timeframe: PulseV1.Timeframe?) -> PulseV1.BarSeries {
        var series = PulseV1.BarSeries()
        series.symbol = symbol
        series.timeframe = timeframe
        series.timeMs = timesMs(bars)
        series.open = bars.open
        series.high = bars.high
        series.low = bars.low
        series.close = bars.close
        series.volume = bars.volume ?? []
        return series
    }

    private static func floorSeconds(_ ms: Int64) -> Int64 {
        ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000)
    }
}

extension BarSeries {
    /// This series with `later`'s bars after its own (both with or both without volume).
    func followed(by later: BarSeries) -> BarSeries {
        BarSeries(
            labels: labels + later.labels,
            timestamps: timestamps.map { $0 + (later.timestamps ?? []) }, open: open + later.open,
            high: high + later.high, low: low + later.low, close: close + later.close,
            volume: volume.map { $0 + (later.volume ?? []) })
    }
}

extension BarSeries {
    /// The first `n` bars.
    func prefix(_ n: Int) -> BarSeries {
        BarSeries(
            labels: Array(labels.prefix(n)), timestamps: timestamps.map { Array($0.prefix(n)) },
            open: Array(open.prefix(n)), high: Array(high.prefix(n)), low: Array(low.prefix(n)),
            close: Array(close.prefix(n)), volume: volume.map { Array($0.prefix(n)) })
    }
}

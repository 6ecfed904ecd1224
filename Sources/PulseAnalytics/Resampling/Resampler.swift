/// Resamples bars to a longer timeframe in memory: open = first, high = max, low = min, close = last,
/// volume = sum, labelled with the bucket start (see `TimeBucket` for the calendar rules).
///
/// ```swift
/// let hourly = try Resampler.resample(minuteBars, to: Timeframe("1h"))
/// let weekly = try Resampler.resample(dailyBars, to: .oneWeek)   // daily data stamped at midnight UTC
/// ```
///
/// Input bars must be in time order; consecutive bars in the same bucket form one output bar, so gaps simply
/// produce no bar and a partial bucket (at either end) produces a bar from the bars present.
public enum Resampler {
    /// How bar times are read.
    public enum TimeConvention: Sendable, Equatable {
        /// Decide from the data: `.dates` when every time is a midnight UTC, else `.instants`.
        case automatic
        /// Bar open instants.
        case instants
        /// Calendar dates (stamped at midnight UTC), taken as the Eastern session of that date.
        case dates

        func resolved(_ timestamps: [Int64]) -> Bool {
            switch self {
            case .instants: return false
            case .dates: return true
            case .automatic: return !timestamps.isEmpty && timestamps.allSatisfy { $0 % 86_400 == 0 }
            }
        }
    }

    /// Resamples `series` to `timeframe`.
    /// - Throws: `ResampleError` when the series has no timestamps.
    public static func resample(
        _ series: BarSeries, to timeframe: Timeframe, times: TimeConvention = .automatic
    ) throws(ResampleError) -> BarSeries {
        try group(series, timeframe, times).bars
    }

    /// For each bar of `series`, the index in `resample(series, to: timeframe)` of the last higher-timeframe bar
    /// that is *complete* when that bar closes, or −1 when none is: the look-ahead-free view a multi-timeframe
    /// backtest may read at bar i.
    ///
    /// A higher bar is complete at bar i when i is past its bucket, or when bar i is its last bar and bar i's
    /// end (`time + baseInterval`) reaches the bucket's end. So at 15:59 on a 1-minute series the current hour's
    /// bar is complete (15:59 + 1 min = 16:00), but the day's is not until the next session's first bar (the
    /// session bucket ends at midnight Eastern, and a later bar of that day could still come). The value at i
    /// depends only on bars 0…i.
    ///
    /// - Parameter baseInterval: the length of one input bar in seconds; by default the smallest positive gap
    ///   between consecutive bar times (86 400 for daily data).
    /// - Throws: `ResampleError` when the series has no timestamps.
    public static func completedIndex(
        _ series: BarSeries, higher timeframe: Timeframe, baseInterval: Int64? = nil,
        times: TimeConvention = .automatic
    ) throws(ResampleError) -> [Int] {
        let grouped = try group(series, timeframe, times)
        let timestamps = series.timestamps!
        let interval = baseInterval ?? smallestGap(timestamps)
        var result = [Int](repeating: -1, count: series.count)
        for i in 0..<series.count {
            let k = grouped.bucketOfBar[i]
            let isLastOfBucket = i + 1 == series.count || grouped.bucketOfBar[i + 1] != k
            let (barEnd, overflow) = timestamps[i].addingReportingOverflow(interval)
            let complete = isLastOfBucket && (overflow ? Int64.max : barEnd) >= grouped.ends[k]
            result[i] = complete ? k : k - 1
        }
        return result
    }

    static func smallestGap(_ timestamps: [Int64]) -> Int64 {
        var gap = Int64.max
        for i in timestamps.indices.dropFirst() where timestamps[i] > timestamps[i - 1] {
            let (difference, overflow) = timestamps[i].subtractingReportingOverflow(timestamps[i - 1])
            if !overflow { gap = min(gap, difference) }
        }
        return gap == .max ? 0 : gap
    }

    private struct Grouping {
        var bars: BarSeries
        /// For each input bar, the index of its output bar.
        var bucketOfBar: [Int]
        /// For each output bar, the instant its bucket closes.
        var ends: [Int64]
    }

    private static func group(
        _ series: BarSeries, _ timeframe: Timeframe, _ times: TimeConvention
    ) throws(ResampleError) -> Grouping {
        guard let timestamps = series.timestamps else {
            throw ResampleError("resampling needs bar times, but the input has no parseable time column")
        }
        let bucket = TimeBucket(timeframe: timeframe, dateOnly: times.resolved(timestamps))
        var out = BarSeries(labels: [], timestamps: [], open: [], high: [], low: [], close: [], volume: nil)
        var volume: [Double] = []
        var bucketOfBar = [Int](repeating: 0, count: series.count)
        var ends: [Int64] = []
        var stamps: [Int64] = []
        var currentKey = Int64.min
        for i in 0..<series.count {
            let key = bucket.key(timestamps[i])
            if key != currentKey || out.close.isEmpty {
                currentKey = key
                out.labels.append(bucket.label(key))
                stamps.append(bucket.start(key))
                ends.append(bucket.end(key))
                out.open.append(series.open[i])
                out.high.append(series.high[i])
                out.low.append(series.low[i])
                out.close.append(series.close[i])
                volume.append(series.volume?[i] ?? 0)
            } else {
                let last = out.close.count - 1
                out.high[last] = max(out.high[last], series.high[i])
                out.low[last] = min(out.low[last], series.low[i])
                out.close[last] = series.close[i]
                volume[last] += series.volume?[i] ?? 0
            }
            bucketOfBar[i] = out.close.count - 1
        }
        out.timestamps = stamps
        out.volume = series.volume == nil ? nil : volume
        return Grouping(bars: out, bucketOfBar: bucketOfBar, ends: ends)
    }
}

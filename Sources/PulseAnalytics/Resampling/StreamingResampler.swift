/// Resamples a live stream of bars: feed bars in time order, get each higher-timeframe bar once it is
/// complete. A bucket completes when a bar of a later bucket arrives, or when `close(at:)` is told the time has
/// passed the bucket's end (so the last bar of a session is not held until the next session's first bar).
/// `Codable`, so a server can checkpoint and resume it.
///
/// ```swift
/// var hourly = StreamingResampler(to: .oneHour)
/// for bar in minuteBars { if let done = hourly.add(bar) { publish(done) } }
/// ```
public struct StreamingResampler: Sendable, Codable {
    public let timeframe: Timeframe
    /// Whether bar times are dates (daily data at midnight UTC) rather than instants.
    public let dateOnly: Bool
    private var key = Int64.min
    private var open = 0.0
    private var high = 0.0
    private var low = 0.0
    private var close = 0.0
    private var volume = 0.0
    private var pending = false

    public init(to timeframe: Timeframe, dateOnly: Bool = false) {
        self.timeframe = timeframe
        self.dateOnly = dateOnly
    }

    private var bucket: TimeBucket { TimeBucket(timeframe: timeframe, dateOnly: dateOnly) }

    /// Adds a bar (`timestamp` is its open time). Returns the previous bucket's bar when this bar starts a new
    /// bucket; its `timestamp` is the bucket start.
    public mutating func add(_ bar: BarInput) -> BarInput? {
        let k = bucket.key(bar.timestamp)
        if pending && k == key {
            high = max(high, bar.high)
            low = min(low, bar.low)
            close = bar.close
            volume += bar.volume
            return nil
        }
        let completed = pending ? current : nil
        (key, open, high, low, close, volume, pending) = (k, bar.open, bar.high, bar.low, bar.close, bar.volume, true)
        return completed
    }

    /// Emits the pending bucket if `time` has reached its end (call it from a timer for live feeds).
    public mutating func close(at time: Int64) -> BarInput? {
        guard pending, time >= bucket.end(key) else { return nil }
        return flush()
    }

    /// Emits the pending (possibly partial) bucket, if any.
    public mutating func flush() -> BarInput? {
        defer { pending = false }
        return current
    }

    /// The bucket being built, if any (partial).
    public var current: BarInput? {
        guard pending else { return nil }
        return BarInput(open: open, high: high, low: low, close: close, volume: volume, timestamp: bucket.start(key))
    }
}

/// OHLCV bars as parallel contiguous arrays (structure of arrays), the shape every indicator and the
/// backtester read: each column is one `[Double]`, so a computation walks memory linearly.
public struct BarSeries: Sendable, Equatable {
    /// The first column of the source exactly as given (a date, a timestamp, an index), echoed back in outputs.
    public var labels: [String]
    /// Bar open times in seconds since the Unix epoch (UTC); `nil` when the source has no parseable time column.
    public var timestamps: [Int64]?
    public var open: [Double]
    public var high: [Double]
    public var low: [Double]
    public var close: [Double]
    /// Traded volume; `nil` when the source has no volume column.
    public var volume: [Double]?

    public init(
        labels: [String], timestamps: [Int64]?, open: [Double], high: [Double], low: [Double], close: [Double],
        volume: [Double]?
    ) {
        precondition(
            open.count == close.count && high.count == close.count && low.count == close.count
                && labels.count == close.count,
            "BarSeries columns must have equal lengths")
        precondition(timestamps.map { $0.count == close.count } ?? true)
        precondition(volume.map { $0.count == close.count } ?? true)
        self.labels = labels
        self.timestamps = timestamps
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }

    public var count: Int { close.count }
    public var isEmpty: Bool { close.isEmpty }
}

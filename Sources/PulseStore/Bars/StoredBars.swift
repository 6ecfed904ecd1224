/// Bars of one symbol and timeframe as columns, in time order: what the store writes and reads without
/// per-row objects. Times are bar open times in microseconds since the Unix epoch (UTC).
public struct StoredBars: Sendable, Equatable {
    public var timestamps: [Int64]
    public var open: [Double]
    public var high: [Double]
    public var low: [Double]
    public var close: [Double]
    public var volume: [Double]

    public init(
        timestamps: [Int64], open: [Double], high: [Double], low: [Double], close: [Double], volume: [Double]
    ) {
        precondition(
            [open.count, high.count, low.count, close.count, volume.count].allSatisfy { $0 == timestamps.count },
            "StoredBars columns must have equal lengths")
        self.timestamps = timestamps
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }

    public var count: Int { timestamps.count }
    public var isEmpty: Bool { timestamps.isEmpty }
}

/// What one write of bars did.
public struct BarWriteSummary: Sendable, Equatable {
    /// How the rows went in.
    public enum Path: String, Sendable {
        /// Binary COPY straight into `bars`: nothing of this symbol and timeframe was stored in the range.
        case copy
        /// Binary COPY into a staging table, then one upsert that skips unchanged rows.
        case stagedUpsert
    }

    /// Bars given.
    public var bars: Int
    /// Rows inserted or changed; unchanged rows are not rewritten and not counted.
    public var rowsWritten: Int
    /// Yearly partitions created for the range.
    public var partitionsCreated: Int
    public var path: Path
    /// The batch's id in the ingestion ledger (0 when nothing was written because no bars were given).
    public var batchID: Int64
    /// How long bringing the rollups up to date took after the commit (1-minute bars that changed rows); nil when
    /// no refresh ran.
    public var rollupRefresh: Duration?

    public init(bars: Int, rowsWritten: Int, partitionsCreated: Int, path: Path, batchID: Int64 = 0) {
        self.bars = bars
        self.rowsWritten = rowsWritten
        self.partitionsCreated = partitionsCreated
        self.path = path
        self.batchID = batchID
    }
}

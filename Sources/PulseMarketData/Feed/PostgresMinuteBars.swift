import PulseStore
import Synchronization

/// Minute bars into PostgreSQL through `BarStore` (binary COPY, the ledger in the same transaction), on the
/// pool's loop. The caller runs on that loop (the feed's task prefers it as its executor).
public final class PostgresMinuteBars: MinuteBarSink {
    private let pool: PostgresPool
    private let source: String
    private let symbolIDs = Mutex<[String: Int32]>([:])
    /// Hears of each write that changed rows, once it has committed (spooled minutes too, when they replay).
    private let events: (any BarsIngestedSink)?

    public init(pool: PostgresPool, source: String = "simulated", events: (any BarsIngestedSink)? = nil) {
        self.pool = pool
        self.source = source
        self.events = events
    }

    public func write(symbol: String, bars: [MinuteBarBuilder.Bar]) async throws {
        guard !bars.isEmpty else { return }
        let stored = StoredBars(
            timestamps: bars.map { $0.startMs * 1000 }, open: bars.map(\.open), high: bars.map(\.high),
            low: bars.map(\.low), close: bars.map(\.close), volume: bars.map(\.volume))
        let known = symbolIDs.withLock { $0[symbol] }
        let source = self.source
        let (id, written) = try await pool.withConnection { connection in
            let store = BarStore(connection: connection)
            let id: Int32
            if let known {
                id = known
            } else {
                id = try await store.symbolID(for: symbol, source: source)
            }
            let summary = try await store.write(stored, symbolID: id, timeframe: "1m", source: source)
            return (id, summary.rowsWritten)
        }
        symbolIDs.withLock { $0[symbol] = id }
        if let event = BarsIngestedEvent.written(symbol: symbol, timeframe: "1m", bars: stored, rows: written) {
            events?.publish(event)
        }
    }
}

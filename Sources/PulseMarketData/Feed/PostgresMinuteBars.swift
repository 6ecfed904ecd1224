import PulseStore
import Synchronization

/// Minute bars into PostgreSQL through `BarStore` (binary COPY, the ledger in the same transaction), on the
/// pool's loop. The caller runs on that loop (the feed's task prefers it as its executor).
public final class PostgresMinuteBars: MinuteBarSink {
    private let pool: PostgresPool
    private let source: String
    private let symbolIDs = Mutex<[String: Int32]>([:])

    public init(pool: PostgresPool, source: String = "simulated") {
        self.pool = pool
        self.source = source
    }

    public func write(symbol: String, bars: [MinuteBarBuilder.Bar]) async throws {
        guard !bars.isEmpty else { return }
        let stored = StoredBars(
            timestamps: bars.map { $0.startMs * 1000 }, open: bars.map(\.open), high: bars.map(\.high),
            low: bars.map(\.low), close: bars.map(\.close), volume: bars.map(\.volume))
        let known = symbolIDs.withLock { $0[symbol] }
        let source = self.source
        let id = try await pool.withConnection { connection in
            let store = BarStore(connection: connection)
            let id: Int32
            if let known {
                id = known
            } else {
                id = try await store.symbolID(for: symbol, source: source)
            }
            _ = try await store.write(stored, symbolID: id, timeframe: "1m", source: source)
            return id
        }
        symbolIDs.withLock { $0[symbol] = id }
    }
}

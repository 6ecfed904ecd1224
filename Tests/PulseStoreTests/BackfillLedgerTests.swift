import PulseIO
import Testing

@testable import PulseStore

@Suite("Backfill ledger: progress committed with the bars", requiresPostgres)
struct BackfillLedgerTests {
    static func record(_ id: String) -> BackfillRecord {
        BackfillRecord(
            id: id, symbol: "IBM", series: "1min", fromMonth: "2024-01", throughMonth: "2024-03", extendedHours: true,
            unitsTotal: 3)
    }

    @Test("units commit with their bars or not at all; states move as the rules say")
    func lifecycle() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            try await TestDatabase.withConnection(to: configuration) { connection in
                try await SchemaMigrations.apply(on: connection)
                let ledger = BackfillLedger(connection: connection)
                let store = BarStore(connection: connection)
                let id = "IBM/1min/2024-01/2024-03"
                try await ledger.register(Self.record(id))
                let symbol = try await store.symbolID(for: "IBM", source: "alphavantage")
                let bars = StoredBars(
                    timestamps: [1_704_205_800_000_000, 1_704_205_860_000_000], open: [1, 2], high: [2, 3],
                    low: [0.5, 1.5], close: [1.5, 2.5], volume: [10, 20])
                _ = try await store.write(bars, symbolID: symbol, timeframe: "1m") {
                    try await ledger.markCommitted(id, unit: "2024-01", barCount: bars.count)
                }
                // A failure inside the transaction leaves neither the bars nor the unit.
                struct Crash: Error {}
                let february = StoredBars(
                    timestamps: [1_706_797_800_000_000], open: [1], high: [2], low: [0.5], close: [1.5], volume: [1])
                await #expect(throws: Crash.self) {
                    _ = try await store.write(february, symbolID: symbol, timeframe: "1m") {
                        try await ledger.markCommitted(id, unit: "2024-02", barCount: 1)
                        throw Crash()
                    }
                }
                #expect(try await ledger.completedUnits(of: id) == ["2024-01"])
                #expect(try await store.read(symbolID: symbol, timeframe: "1m").count == 2)

                // Paused until later: asking again keeps the pause (and its reason).
                let later: Int64 = 4_102_444_800_000_000  // 2100-01-01
                try await ledger.setState(id, .paused, resumeAfter: later, error: "quota")
                try await ledger.register(Self.record(id))
                var job = try #require(try await ledger.job(id))
                #expect(job.state == .paused && job.resumeAfter == later && job.lastError == "quota")
                #expect(job.unitsDone == 1 && job.barsCommitted == 2 && job.unitsTotal == 3)
                #expect(try await ledger.unfinished().map(\.id) == [id])
                // A pause that is over, or a failure, runs again when asked.
                try await ledger.setState(id, .paused, resumeAfter: 946_684_800_000_000, error: "quota")
                try await ledger.register(Self.record(id))
                job = try #require(try await ledger.job(id))
                #expect(job.state == .running && job.resumeAfter == nil && job.lastError == nil)
                try await ledger.setState(id, .failed, error: "premium endpoint")
                #expect(try await ledger.unfinished().isEmpty)
                try await ledger.register(Self.record(id))
                #expect(try await ledger.job(id)?.state == .running)
                try await ledger.setState(id, .completed)
                try await ledger.register(Self.record(id))
                #expect(try await ledger.job(id)?.state == .completed)
                #expect(try await ledger.jobs(symbol: "IBM").count == 1)
            }
        }
    }
}

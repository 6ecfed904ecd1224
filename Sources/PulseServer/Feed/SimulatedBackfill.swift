import Logging
import PulseAnalytics
import PulseMarketData
import PulseStore

/// History for the simulated feed's symbols at their first start, so a newcomer's charts are not empty: daily bars
/// for `days` back to yesterday and the last week of 1-minute bars (regular hours) from ``SimulatedHistory``, written through
/// the COPY path, for each symbol with no 1-minute bars yet. Idempotent (two instances starting together write the
/// same rows once). Returns each symbol's last stored 1-minute close, where the live walk then starts, so the chart
/// goes on from its history instead of jumping.
enum SimulatedBackfill {
    static let minuteDays: Int64 = 7

    static func run(
        symbols: [String], days: Int, pool: PostgresPool, nowSeconds: Int64, sink: (any BarsIngestedSink)? = nil,
        logger: Logger
    ) async -> [String: Double] {
        // History ends where the current minute begins: the feed's own bars take over from there.
        let end = nowSeconds - nowSeconds % 60
        var startPrices: [String: Double] = [:]
        for symbol in symbols {
            do {
                let (close, written) = try await pool.withConnection { connection -> (Double?, Int) in
                    if let close = try await lastMinuteClose(symbol, on: connection) { return (close, 0) }
                    var events: [BarsIngestedEvent] = []
                    let store = BarStore(connection: connection)
                    let id = try await store.symbolID(for: symbol, source: "simulated")
                    // Daily bars up to yesterday (UTC dates, the daily convention): the feed's minutes make today.
                    let today = end - end % 86_400
                    let daily = try SimulatedHistory.bars(
                        symbol: symbol, timeframe: .oneDay, start: today - Int64(days) * 86_400, end: today)
                    let minutes = try SimulatedHistory.bars(
                        symbol: symbol, timeframe: .oneMinute, start: end - minuteDays * 86_400, end: end)
                    var written = 0
                    for (bars, timeframe) in [(daily, "1d"), (minutes, "1m")] {
                        let rows = try await store.write(
                            bars, symbolID: id, timeframe: timeframe, source: "simulated:history"
                        ).rowsWritten
                        written += rows
                        if let event = BarsIngestedEvent.written(
                            symbol: symbol, timeframe: timeframe, bars: bars, rows: rows)
                        {
                            events.append(event)
                        }
                    }
                    try await connection.query(
                        "UPDATE symbols SET tracking = 'active', updated_at = now() WHERE id = $1 AND tracking <> 'active'",
                        [.int32(id)])
                    for event in events { sink?.publish(event) }
                    return (minutes.close.last ?? daily.close.last, written)
                }
                if let close, close.isFinite, close > 0 { startPrices[symbol] = close }
                if written > 0 {
                    logger.info(
                        "simulated history stored", metadata: ["symbol": "\(symbol)", "bars": "\(written)"])
                }
            } catch {
                // Charts start empty for this symbol; the live feed does not wait for history.
                logger.warning("simulated history not stored", metadata: ["symbol": "\(symbol)", "error": "\(error)"])
            }
        }
        return startPrices
    }

    static func lastMinuteClose(_ symbol: String, on connection: PostgresConnection) async throws -> Double? {
        let result = try await connection.query(
            """
            SELECT b.close FROM bars b JOIN symbols s ON s.id = b.symbol_id
            WHERE s.symbol = $1 AND b.timeframe = '1m' ORDER BY b.ts DESC LIMIT 1
            """, [.text(symbol)])
        return result.rowCount == 1 ? try result.double(0, 0) : nil
    }
}

import PulseAnalytics
import PulseProtocol
import PulseRPC
import PulseStore

/// Where a quote comes from, fastest first: the ticks this process follows (memory, on the caller's loop), the
/// Redis cache (`quote:{SYM}`, the encoded latest `Tick` the ingester keeps), the last stored bar in PostgreSQL.
/// A Redis that is away is skipped; a database that is away is UNAVAILABLE only when nothing faster knew.
struct QuoteLookup: Sendable {
    let data: ServerDataLayer
    /// Symbols per GetQuotes call.
    static let maxSymbols = 1000

    func quote(_ symbol: String, context: ServerContext) async throws -> PulseV1.Quote {
        try SymbolRules.check(symbol)
        if let quote = data.ticks.latest.quote(symbol) { return quote }
        if let quote = try await cached([symbol], context: context)[0] { return quote }
        guard data.database != nil else { throw GRPCStatus(.notFound, "no quote for \(symbol)") }
        let stored = try await data.withDatabase(context) { connection, timeout in
            try await StoredQuote.read(symbol, store: BarStore(connection: connection), timeout: timeout)
        }
        switch stored {
        case .quote(let quote): return quote
        case .unknown: throw GRPCStatus(.notFound, "unknown symbol \(symbol)")
        case .noBars: throw GRPCStatus(.notFound, "no bars stored for \(symbol) yet")
        }
    }

    func quotes(_ symbols: [String], context: ServerContext) async throws -> PulseV1.GetQuotesResponse {
        guard !symbols.isEmpty else { throw GRPCStatus(.invalidArgument, "symbols is empty") }
        guard symbols.count <= Self.maxSymbols else {
            throw GRPCStatus(.invalidArgument, "\(symbols.count) symbols; at most \(Self.maxSymbols) per call")
        }
        for (k, symbol) in symbols.enumerated() { try SymbolRules.check(symbol, field: "symbols[\(k)]") }
        var found = [PulseV1.Quote?](repeating: nil, count: symbols.count)
        var missing: [Int] = []
        for (k, symbol) in symbols.enumerated() {
            if let quote = data.ticks.latest.quote(symbol) { found[k] = quote } else { missing.append(k) }
        }
        if !missing.isEmpty {
            let cached = try await cached(missing.map { symbols[$0] }, context: context)
            missing = zip(missing, cached).compactMap { k, quote in
                if let quote { found[k] = quote; return nil }
                return k
            }
        }
        var notFound = Set<Int>()
        if !missing.isEmpty, data.database != nil {
            let wanted = missing.map { symbols[$0] }
            let stored = try await data.withDatabase(context) { connection, timeout in
                var results: [StoredQuote.Outcome] = []
                for symbol in wanted {
                    results.append(
                        try await StoredQuote.read(symbol, store: BarStore(connection: connection), timeout: timeout))
                }
                return results
            }
            for (k, outcome) in zip(missing, stored) {
                if case .quote(let quote) = outcome { found[k] = quote } else { notFound.insert(k) }
            }
        } else {
            notFound.formUnion(missing)
        }
        var response = PulseV1.GetQuotesResponse()
        response.quotes = found.compactMap { $0 }
        response.notFound = notFound.sorted().map { symbols[$0] }
        return response
    }

    /// Quotes from the Redis cache (nil where none is cached, everywhere when Redis is away).
    private func cached(_ symbols: [String], context: ServerContext) async throws -> [PulseV1.Quote?] {
        guard let cache = data.cache, data.redis?.isConnected == true else {
            return Array(repeating: nil, count: symbols.count)
        }
        let timeout = try data.callTimeout(context)
        let values: [[UInt8]?]
        do {
            values = try await cache.quotes(symbols, timeout: timeout)
        } catch {
            return Array(repeating: nil, count: symbols.count)
        }
        return zip(symbols, values).map { symbol, bytes in
            guard let bytes, let tick = try? PulseV1.Tick(serializedBytes: bytes), tick.symbol == symbol else {
                return nil
            }
            var quote = PulseV1.Quote()
            quote.symbol = symbol
            quote.timeMs = tick.timeMs
            quote.price = tick.price
            quote.bid = tick.bid
            quote.ask = tick.ask
            quote.sequence = tick.sequence
            return quote
        }
    }
}

/// A quote made from the last stored bars: the last 1-minute bar's close (or the last daily bar's) as the price,
/// the session's open, high, low and volume over its bars, and the previous session's last close.
enum StoredQuote {
    enum Outcome: Sendable {
        case quote(PulseV1.Quote)
        case unknown
        case noBars
    }

    static func read(_ symbol: String, store: BarStore, timeout: Duration) async throws -> Outcome {
        let latest = try await store.connection.query(
            """
            SELECT s.id,
                (SELECT ts FROM bars WHERE symbol_id = s.id AND timeframe = '1m' ORDER BY ts DESC LIMIT 1),
                (SELECT ts FROM bars WHERE symbol_id = s.id AND timeframe = '1d' ORDER BY ts DESC LIMIT 1)
            FROM symbols s WHERE s.symbol = $1
            """, [.text(symbol)], binaryResults: true, timeout: timeout)
        guard latest.rowCount == 1, let id = try latest.int(0, 0) else { return .unknown }
        let minute = try latest.timestamp(0, 1)
        let daily = try latest.timestamp(0, 2)
        let minuteDay = minute.map { EasternTime.sessionDay(at: floorDiv($0, 1_000_000)) }
        let dailyDay = daily.map { floorDiv($0, 86_400_000_000) }
        let symbolID = Int32(id)
        if let minuteDay, minuteDay >= (dailyDay ?? .min) {
            let start = EasternTime.instant(ofWallClock: minuteDay * 86_400) * 1_000_000
            let end = EasternTime.instant(ofWallClock: (minuteDay + 1) * 86_400) * 1_000_000
            let result = try await store.connection.query(
                """
                WITH day AS (
                    SELECT ts, open, high, low, close, volume FROM bars
                    WHERE symbol_id = $1 AND timeframe = '1m' AND ts >= $2 AND ts < $3)
                SELECT (SELECT ts FROM day ORDER BY ts DESC LIMIT 1), (SELECT close FROM day ORDER BY ts DESC LIMIT 1),
                    (SELECT open FROM day ORDER BY ts LIMIT 1), (SELECT max(high) FROM day),
                    (SELECT min(low) FROM day), (SELECT sum(volume) FROM day),
                    coalesce(
                        (SELECT close FROM bars WHERE symbol_id = $1 AND timeframe = '1m' AND ts < $2
                            ORDER BY ts DESC LIMIT 1),
                        (SELECT close FROM bars WHERE symbol_id = $1 AND timeframe = '1d' AND ts < $4
                            ORDER BY ts DESC LIMIT 1))
                """,
                [
                    .int32(symbolID), .timestamp(microseconds: start), .timestamp(microseconds: end),
                    .timestamp(microseconds: minuteDay * 86_400_000_000),
                ], binaryResults: true, timeout: timeout)
            return .quote(
                try quote(
                    symbol, time: try result.timestamp(0, 0), price: try result.double(0, 1),
                    open: try result.double(0, 2), high: try result.double(0, 3), low: try result.double(0, 4),
                    volume: try result.double(0, 5), previousClose: try result.double(0, 6)))
        }
        guard daily != nil else { return .noBars }
        let result = try await store.connection.query(
            """
            SELECT ts, close, open, high, low, volume, lag(close) OVER (ORDER BY ts) FROM (
                SELECT ts, close, open, high, low, volume FROM bars
                WHERE symbol_id = $1 AND timeframe = '1d' ORDER BY ts DESC LIMIT 2) last_two
            ORDER BY ts DESC LIMIT 1
            """, [.int32(symbolID)], binaryResults: true, timeout: timeout)
        return .quote(
            try quote(
                symbol, time: try result.timestamp(0, 0), price: try result.double(0, 1), open: try result.double(0, 2),
                high: try result.double(0, 3), low: try result.double(0, 4), volume: try result.double(0, 5),
                previousClose: try result.double(0, 6)))
    }

    private static func quote(
        _ symbol: String, time: Int64?, price: Double?, open: Double?, high: Double?, low: Double?, volume: Double?,
        previousClose: Double?
    ) throws -> PulseV1.Quote {
        var quote = PulseV1.Quote()
        quote.symbol = symbol
        quote.timeMs = floorDiv(time ?? 0, 1000)
        quote.price = price ?? .nan
        quote.open = open ?? .nan
        quote.high = high ?? .nan
        quote.low = low ?? .nan
        quote.volume = volume ?? 0
        if let previousClose {
            quote.previousClose = previousClose
            quote.change = quote.price - previousClose
            quote.changePercent = previousClose != 0 ? 100 * quote.change / previousClose : .nan
        }
        return quote
    }

}

import PulseProtocol
import PulseRPC
import PulseStore

/// ListSymbols: the `symbols` table with each symbol's stored range and bar count (of its finest stored series,
/// 1-minute bars when it has any, else daily bars).
struct SymbolCatalog: Sendable {
    let data: ServerDataLayer

    func list(_ request: PulseV1.ListSymbolsRequest, context: ServerContext) async throws
        -> PulseV1.ListSymbolsResponse
    {
        if !request.prefix.isEmpty { try SymbolRules.check(request.prefix, field: "prefix") }
        let prefix = request.prefix
        let limit = request.limit
        return try await data.withDatabase(context) { connection, timeout in
            let result = try await connection.query(
                """
                SELECT s.symbol, coalesce(s.name, ''), coalesce(s.exchange, ''), s.currency, s.source,
                    st.first_ts, st.last_ts, coalesce(st.n, 0)
                FROM symbols s
                LEFT JOIN LATERAL (
                    SELECT min(ts) AS first_ts, max(ts) AS last_ts, count(*) AS n FROM bars b
                    WHERE b.symbol_id = s.id AND b.timeframe = CASE
                        WHEN EXISTS (SELECT 1 FROM bars WHERE symbol_id = s.id AND timeframe = '1m') THEN '1m'
                        ELSE '1d' END) st ON true
                WHERE starts_with(s.symbol, $1)
                ORDER BY s.symbol LIMIT $2::bigint
                """, [.text(prefix), limit == 0 ? .null : .int(Int64(limit))], binaryResults: true, timeout: timeout)
            var response = PulseV1.ListSymbolsResponse()
            for row in 0..<result.rowCount {
                var info = PulseV1.SymbolInfo()
                info.symbol = result.string(row, 0) ?? ""
                info.name = result.string(row, 1) ?? ""
                info.exchange = result.string(row, 2) ?? ""
                info.currency = result.string(row, 3) ?? ""
                info.source = Self.source(result.string(row, 4) ?? "")
                info.firstTimeMs = (try result.timestamp(row, 5) ?? 0) / 1000
                info.lastTimeMs = (try result.timestamp(row, 6) ?? 0) / 1000
                info.barCount = UInt64(max(0, try result.int(row, 7) ?? 0))
                response.symbols.append(info)
            }
            return response
        }
    }

    static func source(_ name: String) -> PulseV1.DataSource {
        switch name {
        case "alphavantage", "alpha_vantage", "alphaVantage": return .alphaVantage
        case "simulated": return .simulated
        case "csv": return .csv
        default: return .unspecified
        }
    }
}

import Foundation

/// Ranks symbols by a statistic of their latest stored bars, in one SQL statement: for each symbol of the
/// universe the last `window` + 1 bars before `end` (an index range scan per symbol through `LATERAL … ORDER BY
/// ts DESC LIMIT`), log returns with `lag()` and positions with `row_number()` over the symbol's window, then one
/// aggregate row per symbol (`FILTER` picks the newest and oldest bar), filtered, sorted and limited in SQL.
///
/// ```swift
/// let rows = try await Screener(connection: connection).screen(
///     ScreenQuery(metric: .return, timeframe: "1d", window: 20, limit: 10))
/// ```
public struct Screener {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// - Parameter timeout: the statement's deadline (the call's own); PostgreSQL cancels it when it passes.
    public func screen(_ query: ScreenQuery, timeout: Duration? = nil) async throws -> [ScreenResult] {
        var parameters: [PostgresValue] = [
            .text(query.timeframe), query.end.map { .timestamp(microseconds: $0) } ?? .text("infinity"),
            .text(Self.arrayLiteral(query.symbols)), .int(Int64(query.window)),
            .double(query.annualisation), .double(query.minPrice), .double(query.minAverageVolume),
        ]
        var conditions = [
            "last_close >= $6", "coalesce(average_volume, 0) >= $7", "\(query.metric.expression) IS NOT NULL",
        ]
        if let minimum = query.minValue {
            parameters.append(.double(minimum))
            conditions.append("\(query.metric.expression) >= $\(parameters.count)")
        }
        if let maximum = query.maxValue {
            parameters.append(.double(maximum))
            conditions.append("\(query.metric.expression) <= $\(parameters.count)")
        }
        parameters.append(.int(Int64(query.limit)))
        let order = query.ascending ? "ASC" : "DESC"
        let sql = """
            WITH universe AS (
                SELECT id, symbol FROM symbols
                WHERE cardinality($3::text[]) = 0 OR symbol = ANY ($3::text[])
            ),
            recent AS (
                SELECT u.symbol, r.ts, r.high, r.close, r.volume,
                       row_number() OVER newest_first AS position,
                       ln(r.close / lag(r.close) OVER oldest_first) AS log_return
                FROM universe u
                CROSS JOIN LATERAL (
                    SELECT b.ts, b.high, b.close, b.volume FROM bars b
                    WHERE b.symbol_id = u.id AND b.timeframe = $1 AND b.ts < $2
                    ORDER BY b.ts DESC LIMIT $4 + 1
                ) r
                WINDOW newest_first AS (PARTITION BY u.symbol ORDER BY r.ts DESC),
                       oldest_first AS (PARTITION BY u.symbol ORDER BY r.ts)
            ),
            per_symbol AS (
                SELECT symbol, count(*) AS bars, max(ts) AS last_ts,
                       max(close) FILTER (WHERE position = 1) AS last_close,
                       max(close) FILTER (WHERE position = $4 + 1) AS first_close,
                       max(volume) FILTER (WHERE position = 1) AS last_volume,
                       max(high) FILTER (WHERE position = 1) AS last_high,
                       avg(volume) FILTER (WHERE position > 1) AS average_volume,
                       max(high) FILTER (WHERE position > 1) AS prior_high,
                       stddev_samp(log_return) * sqrt($5::float8) AS volatility
                FROM recent GROUP BY symbol HAVING count(*) = $4 + 1
            ),
            measured AS (
                SELECT *, last_close / first_close - 1 AS window_return,
                       last_volume / nullif(average_volume, 0) AS volume_spike,
                       last_high / nullif(prior_high, 0) - 1 AS new_high
                FROM per_symbol
            )
            SELECT symbol, \(query.metric.expression) AS value, last_ts, last_close, last_volume, average_volume,
                   window_return, volatility, prior_high, bars
            FROM measured
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY value \(order), symbol
            LIMIT $\(parameters.count)
            """
        let result = try await connection.query(sql, parameters, binaryResults: true, timeout: timeout)
        return try (0..<result.rowCount).map { row throws(PostgresError) in
            ScreenResult(
                symbol: result.string(row, 0) ?? "", value: try result.double(row, 1) ?? .nan,
                time: try result.timestamp(row, 2) ?? 0, close: try result.double(row, 3) ?? .nan,
                volume: try result.double(row, 4) ?? .nan, averageVolume: try result.double(row, 5) ?? .nan,
                windowReturn: try result.double(row, 6) ?? .nan, volatility: try result.double(row, 7) ?? .nan,
                priorHigh: try result.double(row, 8) ?? .nan, bars: Int(try result.int(row, 9) ?? 0))
        }
    }

    /// `{"AAPL","MSFT"}`: a text[] literal (symbols are checked before they get here; quotes and backslashes are
    /// escaped anyway).
    static func arrayLiteral(_ symbols: [String]) -> String {
        let quoted = symbols.map { symbol in
            "\"" + symbol.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                + "\""
        }
        return "{" + quoted.joined(separator: ",") + "}"
    }
}

@available(*, unavailable)
extension Screener: Sendable {}

/// What to screen.
public struct ScreenQuery: Sendable, Equatable {
    public enum Metric: String, Sendable, CaseIterable {
        case `return`, volumeSpike, volatility, newHigh

        /// The column of `measured` the metric is.
        var expression: String {
            switch self {
            case .return: return "window_return"
            case .volumeSpike: return "volume_spike"
            case .volatility: return "volatility"
            case .newHigh: return "new_high"
            }
        }
    }

    public var metric: Metric
    /// Empty: every symbol.
    public var symbols: [String] = []
    /// A stored timeframe (`1d`, `1m`, …).
    public var timeframe: String
    public var window: Int
    /// Only bars before this time (µs since the Unix epoch); nil: the latest.
    public var end: Int64?
    public var limit: Int
    public var ascending = false
    public var minValue: Double?
    public var maxValue: Double?
    public var minPrice: Double = 0
    public var minAverageVolume: Double = 0
    /// Periods a year, for annualising volatility.
    public var annualisation: Double

    public init(metric: Metric, timeframe: String, window: Int, limit: Int, annualisation: Double) {
        self.metric = metric
        self.timeframe = timeframe
        self.window = window
        self.limit = limit
        self.annualisation = annualisation
    }
}

/// One symbol's row of a screen.
public struct ScreenResult: Sendable, Equatable {
    public var symbol: String
    public var value: Double
    /// The last bar's time, µs since the Unix epoch.
    public var time: Int64
    public var close: Double
    public var volume: Double
    public var averageVolume: Double
    public var windowReturn: Double
    public var volatility: Double
    public var priorHigh: Double
    public var bars: Int
}

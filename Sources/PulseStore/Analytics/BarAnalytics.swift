/// Analytical queries over one symbol's stored bars, each one SQL statement with window functions and CTEs, so
/// PostgreSQL does the work next to the data: returns over a window, session VWAP, rolling volatility, drawdown,
/// and the holes in a symbol's minutes.
///
/// Ranges are `[start, end)` in µs since the Unix epoch (nil: unbounded). Statistics that look back (returns,
/// volatility, VWAP's session) read the bars they need from before `start` themselves, so a value at `start`
/// equals the one a query over all history gives there.
///
/// ```swift
/// let analytics = BarAnalytics(connection: connection)
/// let monthly = try await analytics.returns("AAPL", timeframe: "1d", window: 21)
/// let holes = try await analytics.holes("AAPL", sessions: [(open: 1_704_205_800, close: 1_704_229_200)])
/// ```
public struct BarAnalytics {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// The most sessions `holes` takes at once (about 40 years).
    public static let maxSessions = 10_000

    /// Simple returns over `window` bars: at each bar, close ÷ the close `window` bars earlier − 1. A bar with
    /// fewer than `window` bars before it, or whose earlier close is 0, has none.
    public func returns(
        _ symbol: String, timeframe: String, window: Int, start: Int64? = nil, end: Int64? = nil,
        timeout: Duration? = nil
    ) async throws -> [AnalyticsPoint] {
        try checkWindow(window)
        let sql = """
            WITH \(Self.seriesCTE),
            measured AS (
                SELECT ts, close / nullif(lag(close, $5::int) OVER (ORDER BY ts), 0) - 1 AS value FROM series
            )
            SELECT ts, value FROM measured WHERE ts >= $3 AND value IS NOT NULL ORDER BY ts
            """
        return try await points(sql, symbol, timeframe, start, end, window, timeout: timeout)
    }

    /// Rolling volatility: the sample standard deviation of the last `window` log returns (ln of close ÷ the
    /// previous close) at each bar, × √`periodsPerYear` (1 for none). A bar with fewer than `window` returns
    /// behind it, or a non-positive close among them, has none.
    public func rollingVolatility(
        _ symbol: String, timeframe: String, window: Int, periodsPerYear: Double = 1, start: Int64? = nil,
        end: Int64? = nil, timeout: Duration? = nil
    ) async throws -> [AnalyticsPoint] {
        try checkWindow(window, minimum: 2)
        guard periodsPerYear.isFinite, periodsPerYear > 0 else {
            throw BarAnalyticsError.invalidArgument("periods a year must be a positive number")
        }
        let sql = """
            WITH \(Self.seriesCTE),
            returns AS (
                SELECT ts, CASE WHEN close > 0 AND lag(close) OVER (ORDER BY ts) > 0
                                THEN ln(close / lag(close) OVER (ORDER BY ts)) END AS r
                FROM series
            ),
            rolling AS (
                SELECT ts, stddev_samp(r) OVER last_returns AS deviation, count(r) OVER last_returns AS returns
                FROM returns
                WINDOW last_returns AS (ORDER BY ts ROWS BETWEEN $5::int - 1 PRECEDING AND CURRENT ROW)
            )
            SELECT ts, deviation * sqrt($6::float8) FROM rolling
            WHERE ts >= $3 AND returns = $5::int ORDER BY ts
            """
        return try await points(
            sql, symbol, timeframe, start, end, window, [.double(periodsPerYear)], timeout: timeout)
    }

    /// Session VWAP at each bar: Σ typical price × volume ÷ Σ volume over the bars of its US/Eastern calendar day
    /// so far (typical = (high + low + close) ÷ 3), the convention of PulseAnalytics' `TA.vwap`; NaN while the
    /// day's volume is 0.
    public func vwap(
        _ symbol: String, timeframe: String, start: Int64? = nil, end: Int64? = nil, timeout: Duration? = nil
    ) async throws -> [AnalyticsPoint] {
        let sql = """
            WITH symbol AS (SELECT id FROM symbols WHERE symbol = $1),
            series AS (
                SELECT b.ts, (b.high + b.low + b.close) / 3 AS typical, b.volume,
                       (b.ts AT TIME ZONE 'America/New_York')::date AS day
                FROM bars b, symbol
                WHERE b.symbol_id = symbol.id AND b.timeframe = $2 AND b.ts < $4
                  AND b.ts >= date_trunc('day', $3::timestamptz, 'America/New_York')
            ),
            running AS (
                SELECT ts, sum(typical * volume) OVER session_so_far AS weighted,
                       sum(volume) OVER session_so_far AS volume
                FROM series
                WINDOW session_so_far AS (PARTITION BY day ORDER BY ts ROWS UNBOUNDED PRECEDING)
            )
            SELECT ts, coalesce(weighted / nullif(volume, 0), 'NaN'::float8) FROM running
            WHERE ts >= $3 ORDER BY ts
            """
        return try await points(sql, symbol, timeframe, start, end, nil, timeout: timeout)
    }

    /// Drawdown at each bar of the range: close ÷ the highest close of the range so far − 1 (0 at a new high),
    /// with that peak and when it was; `DrawdownSeries.maximum` is the deepest.
    public func drawdown(
        _ symbol: String, timeframe: String, start: Int64? = nil, end: Int64? = nil, timeout: Duration? = nil
    ) async throws -> DrawdownSeries {
        let sql = """
            WITH symbol AS (SELECT id FROM symbols WHERE symbol = $1),
            series AS (
                SELECT b.ts, b.close, max(b.close) OVER (ORDER BY b.ts ROWS UNBOUNDED PRECEDING) AS peak
                FROM bars b, symbol
                WHERE b.symbol_id = symbol.id AND b.timeframe = $2 AND b.ts >= $3 AND b.ts < $4
            ),
            peaks AS (
                SELECT *, count(*) FILTER (WHERE close = peak) OVER (ORDER BY ts ROWS UNBOUNDED PRECEDING) AS run
                FROM series
            )
            SELECT ts, close, peak, first_value(ts) OVER (PARTITION BY run ORDER BY ts) AS peak_ts,
                   CASE WHEN peak > 0 THEN close / peak - 1 ELSE 'NaN'::float8 END AS drawdown
            FROM peaks ORDER BY ts
            """
        try await requireSymbol(symbol, timeout: timeout)
        let result = try await connection.query(
            sql, Self.rangeParameters(symbol, timeframe, start, end), binaryResults: true, timeout: timeout)
        let times = try result.timestampColumn(0)
        let closes = try result.float8Column(1)
        let peaks = try result.float8Column(2)
        let peakTimes = try result.timestampColumn(3)
        let drawdowns = try result.float8Column(4)
        let points = times.indices.map {
            DrawdownPoint(
                time: times[$0], close: closes[$0], peak: peaks[$0], peakTime: peakTimes[$0],
                drawdown: drawdowns[$0])
        }
        return DrawdownSeries(points: points)
    }

    /// The holes in a symbol's 1-minute bars inside `sessions` (Unix seconds, `[open, close)`, e.g. regular hours
    /// from `ExchangeCalendar`): each run of consecutive missing minutes, and sessions without any minute.
    public func holes(
        _ symbol: String, sessions: [(open: Int64, close: Int64)], timeout: Duration? = nil
    ) async throws -> [DataHole] {
        guard sessions.count <= Self.maxSessions else {
            throw BarAnalyticsError.invalidArgument("at most \(Self.maxSessions) sessions at once")
        }
        guard sessions.allSatisfy({ $0.open < $0.close && $0.open % 60 == 0 && $0.close % 60 == 0 }) else {
            throw BarAnalyticsError.invalidArgument("each session must open before it closes, on whole minutes")
        }
        try await requireSymbol(symbol, timeout: timeout)
        guard !sessions.isEmpty else { return [] }
        let sql = """
            WITH symbol AS (SELECT id FROM symbols WHERE symbol = $1),
            sessions AS (
                SELECT to_timestamp(o) AS open, to_timestamp(c) AS close, (c - o) / 60 AS minutes
                FROM unnest($2::bigint[], $3::bigint[]) AS s(o, c)
            ),
            expected AS (
                SELECT s.open AS session, m.ts
                FROM sessions s,
                     generate_series(s.open, s.close - interval '1 minute', interval '1 minute') AS m(ts)
            ),
            missing AS (
                SELECT e.session, e.ts,
                       e.ts - row_number() OVER (PARTITION BY e.session ORDER BY e.ts) * interval '1 minute' AS island
                FROM expected e
                WHERE NOT EXISTS (
                    SELECT 1 FROM bars b, symbol
                    WHERE b.symbol_id = symbol.id AND b.timeframe = '1m' AND b.ts = e.ts
                )
            ),
            runs AS (
                SELECT session, min(ts) AS first, max(ts) AS last, count(*) AS minutes
                FROM missing GROUP BY session, island
            )
            SELECT r.session, r.first, r.last, r.minutes, r.minutes = s.minutes AS whole_session
            FROM runs r JOIN sessions s ON s.open = r.session
            ORDER BY r.first
            """
        let opens = "{" + sessions.map { String($0.open) }.joined(separator: ",") + "}"
        let closes = "{" + sessions.map { String($0.close) }.joined(separator: ",") + "}"
        let result = try await connection.query(
            sql, [.text(symbol), .text(opens), .text(closes)], binaryResults: true, timeout: timeout)
        return try (0..<result.rowCount).map { row throws(PostgresError) in
            DataHole(
                session: try result.timestamp(row, 0) ?? 0, first: try result.timestamp(row, 1) ?? 0,
                last: try result.timestamp(row, 2) ?? 0, minutes: Int(try result.int(row, 3) ?? 0),
                wholeSession: try result.bool(row, 4) ?? false)
        }
    }

    /// The first and last stored bar times (µs) of a timeframe, nil when none is stored.
    public func storedRange(_ symbol: String, timeframe: String, timeout: Duration? = nil) async throws
        -> (first: Int64, last: Int64)?
    {
        try await requireSymbol(symbol, timeout: timeout)
        let result = try await connection.query(
            """
            SELECT min(b.ts), max(b.ts) FROM bars b JOIN symbols s ON s.id = b.symbol_id
            WHERE s.symbol = $1 AND b.timeframe = $2
            """, [.text(symbol), .text(timeframe)], binaryResults: true, timeout: timeout)
        guard result.rowCount == 1, let first = try result.timestamp(0, 0), let last = try result.timestamp(0, 1)
        else { return nil }
        return (first, last)
    }

    // MARK: - Shared parts

    /// `series`: the bars of `[$3, $4)` and the `$5` bars before `$3` (the look-back), oldest first by `ts`.
    private static let seriesCTE = """
        symbol AS (SELECT id FROM symbols WHERE symbol = $1),
        series AS (
            (SELECT b.ts, b.close FROM bars b, symbol
             WHERE b.symbol_id = symbol.id AND b.timeframe = $2 AND b.ts < $3
             ORDER BY b.ts DESC LIMIT $5::int)
            UNION ALL
            (SELECT b.ts, b.close FROM bars b, symbol
             WHERE b.symbol_id = symbol.id AND b.timeframe = $2 AND b.ts >= $3 AND b.ts < $4)
        )
        """

    private static func rangeParameters(_ symbol: String, _ timeframe: String, _ start: Int64?, _ end: Int64?)
        -> [PostgresValue]
    {
        [
            .text(symbol), .text(timeframe), start.map { .timestamp(microseconds: $0) } ?? .text("-infinity"),
            end.map { .timestamp(microseconds: $0) } ?? .text("infinity"),
        ]
    }

    /// Runs a query of `(ts, value)` rows over the range parameters, `window` as `$5` and `extra` after it.
    private func points(
        _ sql: String, _ symbol: String, _ timeframe: String, _ start: Int64?, _ end: Int64?, _ window: Int?,
        _ extra: [PostgresValue] = [], timeout: Duration?
    ) async throws -> [AnalyticsPoint] {
        try await requireSymbol(symbol, timeout: timeout)
        var parameters = Self.rangeParameters(symbol, timeframe, start, end)
        if let window { parameters.append(.int(Int64(window))) }
        parameters += extra
        let result = try await connection.query(sql, parameters, binaryResults: true, timeout: timeout)
        let times = try result.timestampColumn(0)
        let values = try result.float8Column(1)
        return zip(times, values).map { AnalyticsPoint(time: $0, value: $1) }
    }

    private func checkWindow(_ window: Int, minimum: Int = 1) throws(BarAnalyticsError) {
        guard window >= minimum, window <= 100_000 else {
            throw .invalidArgument("the window must be \(minimum) to 100000 bars, not \(window)")
        }
    }

    /// An unknown symbol is an error, not an empty answer (a typo must not look like a symbol without data).
    private func requireSymbol(_ symbol: String, timeout: Duration?) async throws {
        let result = try await connection.query(
            "SELECT 1 FROM symbols WHERE symbol = $1", [.text(symbol)], timeout: timeout)
        guard result.rowCount == 1 else { throw BarAnalyticsError.unknownSymbol(symbol) }
    }
}

@available(*, unavailable)
extension BarAnalytics: Sendable {}

/// A statistic at one bar.
public struct AnalyticsPoint: Sendable, Equatable {
    /// The bar's open time, µs since the Unix epoch.
    public var time: Int64
    public var value: Double

    public init(time: Int64, value: Double) {
        self.time = time
        self.value = value
    }
}

/// The drawdown at one bar.
public struct DrawdownPoint: Sendable, Equatable {
    public var time: Int64
    public var close: Double
    /// The highest close of the range up to this bar, and when it was (the latest bar that closed at it).
    public var peak: Double
    public var peakTime: Int64
    /// close ÷ peak − 1: 0 at a new high, negative below it.
    public var drawdown: Double
}

/// The drawdown at each bar of a range.
public struct DrawdownSeries: Sendable, Equatable {
    public var points: [DrawdownPoint]

    /// The deepest point (the first of equal depths); nil for no bars.
    public var maximum: DrawdownPoint? {
        points.reduce(nil) { deepest, point in
            guard let deepest else { return point }
            return point.drawdown < deepest.drawdown ? point : deepest
        }
    }
}

/// A run of consecutive missing minutes inside one session.
public struct DataHole: Sendable, Equatable {
    /// The session's open, µs since the Unix epoch.
    public var session: Int64
    /// The first and last missing minute (bar open times, µs).
    public var first: Int64
    public var last: Int64
    public var minutes: Int
    /// Every minute of the session is missing: a missing session, not a hole in one.
    public var wholeSession: Bool

    public init(session: Int64, first: Int64, last: Int64, minutes: Int, wholeSession: Bool) {
        self.session = session
        self.first = first
        self.last = last
        self.minutes = minutes
        self.wholeSession = wholeSession
    }
}

/// A request the analytical queries refuse.
public enum BarAnalyticsError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidArgument(String)
    case unknownSymbol(String)

    public var description: String {
        switch self {
        case .invalidArgument(let message): return message
        case .unknownSymbol(let symbol): return "no symbol \(symbol) is stored"
        }
    }
}

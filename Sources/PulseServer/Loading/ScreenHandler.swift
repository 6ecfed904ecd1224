import PulseAnalytics
import PulseProtocol
import PulseRPC
import PulseStore

/// `Quotes/Screen`: the request checked and mapped onto ``Screener``'s SQL, the rows back onto the wire.
enum ScreenHandler {
    static let defaultWindow = 20
    static let defaultLimit = 50
    static let maximum = 10_000

    /// The screen of `request`, from `cache` when a result of the store's current data version is there (see
    /// ``ScreenCache``); `noteAsked` records the request for ``DerivedDataRecomputer`` (false for its own calls).
    static func screen(
        _ request: PulseV1.ScreenRequest, pool: PostgresPool, timeout: Duration?, cache: MarketCache? = nil,
        noteAsked: Bool = true
    ) async throws -> PulseV1.ScreenResponse {
        let query = try self.query(request)
        let screens = cache.flatMap { $0.redis.isConnected ? ScreenCache(cache: $0, timeout: timeout) : nil }
        var key: String?
        if let screens {
            let version = try await LoadRequestCheck.database {
                try await pool.withConnection { try await ScreenCache.version(on: $0, timeout: timeout) }
            }
            key = ScreenCache.key(version: version, request: request)
            if let key, let hit = await screens.get(key, noting: noteAsked ? request : nil) { return hit }
        }
        let rows = try await LoadRequestCheck.database {
            try await pool.withConnection { try await Screener(connection: $0).screen(query, timeout: timeout) }
        }
        let response = self.response(query, rows)
        if let screens, let key { await screens.set(key, response) }
        return response
    }

    static func response(_ query: ScreenQuery, _ rows: [ScreenResult]) -> PulseV1.ScreenResponse {
        var response = PulseV1.ScreenResponse()
        response.metric = wire(query.metric)
        response.window = UInt32(query.window)
        response.rows = rows.map { row in
            var wire = PulseV1.ScreenRow()
            wire.symbol = row.symbol
            wire.value = row.value
            wire.timeMs = row.time / 1000
            wire.close = row.close
            wire.volume = row.volume
            wire.averageVolume = row.averageVolume
            wire.windowReturn = row.windowReturn
            wire.volatility = row.volatility
            wire.priorHigh = row.priorHigh
            wire.bars = UInt32(clamping: row.bars)
            return wire
        }
        return response
    }

    static func query(_ request: PulseV1.ScreenRequest) throws(GRPCStatus) -> ScreenQuery {
        let metric: ScreenQuery.Metric
        switch request.metric {
        case .unspecified, .return: metric = .return
        case .volumeSpike: metric = .volumeSpike
        case .volatility: metric = .volatility
        case .newHigh: metric = .newHigh
        default: throw GRPCStatus(.invalidArgument, "metric \(request.metric.rawValue) is not a ScreenMetric")
        }
        let timeframe = try LoadRequestCheck.timeframe(request.timeframe)
        let window = request.window == 0 ? defaultWindow : Int(request.window)
        guard window <= maximum else {
            throw GRPCStatus(.invalidArgument, "window \(window) is over the limit of \(maximum) bars")
        }
        let limit = request.limit == 0 ? defaultLimit : Int(request.limit)
        guard limit <= maximum else {
            throw GRPCStatus(.invalidArgument, "limit \(limit) is over the limit of \(maximum) rows")
        }
        for (name, value) in [
            ("min_value", request.minValue), ("max_value", request.maxValue), ("min_price", request.minPrice),
            ("min_average_volume", request.minAverageVolume),
        ] {
            if let value, value.isNaN { throw GRPCStatus(.invalidArgument, "\(name) is NaN") }
        }
        var query = ScreenQuery(
            metric: metric, timeframe: timeframe.description, window: window, limit: limit,
            annualisation: timeframe.periodsPerYear)
        query.symbols = try request.symbols.enumerated().map { index, symbol throws(GRPCStatus) in
            try LoadRequestCheck.symbol(symbol, field: "symbols[\(index)]")
        }
        query.end = request.endTimeMs == 0 ? nil : request.endTimeMs * 1000
        query.ascending = request.ascending
        query.minValue = request.minValue
        query.maxValue = request.maxValue
        query.minPrice = request.minPrice
        query.minAverageVolume = request.minAverageVolume
        return query
    }

    static func wire(_ metric: ScreenQuery.Metric) -> PulseV1.ScreenMetric {
        switch metric {
        case .return: return .return
        case .volumeSpike: return .volumeSpike
        case .volatility: return .volatility
        case .newHigh: return .newHigh
        }
    }
}

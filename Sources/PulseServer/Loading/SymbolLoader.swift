import PulseAnalytics
import PulseIO
import PulseMarketData
import PulseProtocol
import PulseRPC
import PulseStore

#if canImport(Glibc)
    import Glibc
#endif

/// One LoadSymbol call: checks the request, marks the symbol tracked, and loads its history from the source it
/// names — CSV bytes and simulated history are written before the call returns; an Alpha Vantage history is a
/// background job whose state the response reports.
struct SymbolLoader {
    let resources: LoadingResources
    let loop: EventLoop

    func load(_ request: PulseV1.LoadSymbolRequest) async throws -> PulseV1.LoadSymbolResponse {
        let symbol = try LoadRequestCheck.symbol(request.symbol)
        try LoadRequestCheck.range(start: request.startTimeMs, end: request.endTimeMs)
        let timeframe = try LoadRequestCheck.timeframe(request.timeframe)
        var source = request.source
        if source == .unspecified { source = resources.backfills != nil ? .alphaVantage : .simulated }
        var response = PulseV1.LoadSymbolResponse()
        response.symbol = symbol
        response.source = source
        switch source {
        case .csv:
            let bars = try csvBars(request)
            try await write(bars, symbol: symbol, timeframe: timeframe, source: "csv", into: &response)
        case .simulated:
            let bars = try simulatedBars(symbol: symbol, timeframe: timeframe, request: request)
            try await write(bars, symbol: symbol, timeframe: timeframe, source: "simulated", into: &response)
        case .alphaVantage:
            guard let backfills = resources.backfills else {
                throw GRPCStatus(
                    .failedPrecondition, "Alpha Vantage is not configured on this server (set ALPHA_VANTAGE_API_KEY)")
            }
            let job = try Self.backfillJob(symbol: symbol, timeframe: timeframe, request: request, now: Self.nowMs())
            let pool = resources.pools[loop]
            response.job = try await LoadRequestCheck.database {
                try await pool.withConnection { connection in
                    let id = try await BarStore(connection: connection).symbolID(for: symbol, source: "alphavantage")
                    try await Self.track(symbolID: id, source: "alphavantage", on: connection)
                }
                return try await backfills.start(job)
            }
        default:
            throw GRPCStatus(.invalidArgument, "source \(source.rawValue) is not a DataSource")
        }
        return response
    }

    /// The CSV's bars, checked as `pulse import` checks a file, inside the request's range.
    func csvBars(_ request: PulseV1.LoadSymbolRequest) throws(GRPCStatus) -> PulseStore.StoredBars {
        guard !request.csv.isEmpty else {
            throw GRPCStatus(.invalidArgument, "source CSV needs the bars in csv (an OHLCV CSV file's bytes)")
        }
        let series: BarSeries
        do {
            series = try request.csv.withUnsafeBufferPointer { try OHLCVCSV.read($0) }.bars
        } catch {
            throw GRPCStatus(.invalidArgument, "csv: \(error)")
        }
        guard let seconds = series.timestamps else {
            throw GRPCStatus(.invalidArgument, "csv: no parseable time column, so the bars cannot be stored")
        }
        let keep = seconds.indices.filter { index in
            let ms = seconds[index] * 1000
            return (request.startTimeMs == 0 || ms >= request.startTimeMs)
                && (request.endTimeMs == 0 || ms < request.endTimeMs)
        }
        let volume = series.volume ?? Array(repeating: 0, count: series.count)
        return PulseStore.StoredBars(
            timestamps: keep.map { seconds[$0] * 1_000_000 }, open: keep.map { series.open[$0] },
            high: keep.map { series.high[$0] }, low: keep.map { series.low[$0] }, close: keep.map { series.close[$0] },
            volume: keep.map { volume[$0] })
    }

    /// The simulated market's history for the range (defaults: up to now, a year back — 30 days intraday).
    func simulatedBars(symbol: String, timeframe: Timeframe, request: PulseV1.LoadSymbolRequest) throws(GRPCStatus)
        -> PulseStore.StoredBars
    {
        guard timeframe.unit == .minute || timeframe.unit == .hour || timeframe.unit == .day else {
            throw GRPCStatus(
                .invalidArgument, "simulated history comes in minutes, hours or days, not \(timeframe)")
        }
        let endMs = request.endTimeMs != 0 ? request.endTimeMs : Self.nowMs()
        let span: Int64 = timeframe.unit == .day ? 365 * 86_400_000 : 30 * 86_400_000
        let startMs = request.startTimeMs != 0 ? request.startTimeMs : endMs - span
        do {
            return try SimulatedHistory.bars(
                symbol: symbol, timeframe: timeframe, start: floorDiv(startMs, 1000),
                end: floorDiv(endMs + 999, 1000))
        } catch {
            throw GRPCStatus(.resourceExhausted, "simulated history: \(error)")
        }
    }

    /// Writes `bars` (when there are any) and marks the symbol tracked, on this loop's pool.
    func write(
        _ bars: PulseStore.StoredBars, symbol: String, timeframe: Timeframe, source: String,
        into response: inout PulseV1.LoadSymbolResponse
    ) async throws {
        let pool = resources.pools[loop]
        let summary = try await LoadRequestCheck.database {
            try await pool.withConnection { connection -> BarWriteSummary in
                let store = BarStore(connection: connection)
                let id = try await store.symbolID(for: symbol, source: source)
                try await Self.track(symbolID: id, source: source, on: connection)
                return try await store.write(
                    bars, symbolID: id, timeframe: timeframe.description, source: "\(source):LoadSymbol")
            }
        }
        response.barsLoaded = UInt64(summary.rowsWritten)
        // What was computed from the old bars (cached indicators) is stale now.
        if summary.rowsWritten > 0, let cache = resources.cache { _ = try? await cache.invalidate(symbol) }
        if let event = BarsIngestedEvent.written(
            symbol: symbol, timeframe: timeframe.description, bars: bars, rows: summary.rowsWritten)
        {
            resources.events?.publish(event)
        }
        if let first = bars.timestamps.min(), let last = bars.timestamps.max() {
            response.firstTimeMs = first / 1000
            response.lastTimeMs = last / 1000
        }
    }

    /// `symbols.tracking = 'active'` and the source the symbol is now loaded from.
    static func track(symbolID: Int32, source: String, on connection: PostgresConnection) async throws {
        try await connection.query(
            "UPDATE symbols SET tracking = 'active', source = $2, updated_at = now() WHERE id = $1",
            [.int32(symbolID), .text(source)])
    }

    /// The backfill a request asks for: the daily series in one unit, or intraday months from the start month
    /// (default: 12 months before the end) through the end month (default: this month).
    static func backfillJob(symbol: String, timeframe: Timeframe, request: PulseV1.LoadSymbolRequest, now: Int64)
        throws(GRPCStatus) -> BackfillJob
    {
        if timeframe == .oneDay { return .daily(symbol: symbol) }
        let interval: IntradayInterval
        switch timeframe {
        case .oneMinute: interval = .oneMinute
        case .fiveMinutes: interval = .fiveMinutes
        case .fifteenMinutes: interval = .fifteenMinutes
        case .thirtyMinutes: interval = .thirtyMinutes
        case .oneHour: interval = .sixtyMinutes
        default:
            throw GRPCStatus(
                .invalidArgument, "Alpha Vantage serves 1m, 5m, 15m, 30m, 1h and 1d bars, not \(timeframe)")
        }
        // The month of the last instant of [start, end).
        let endMonth = month(of: request.endTimeMs != 0 ? request.endTimeMs - 1 : now)
        let startMonth = request.startTimeMs != 0 ? month(of: request.startTimeMs) : endMonth - 12
        let first = max(startMonth, 2000 * 12)
        guard first <= endMonth else {
            throw GRPCStatus(
                .invalidArgument, "Alpha Vantage's intraday history starts in 2000-01; the range ends before")
        }
        do {
            return try BackfillJob(
                symbol: symbol, interval: interval, from: monthText(first), through: monthText(endMonth))
        } catch {
            throw GRPCStatus(.invalidArgument, error.message)
        }
    }

    /// year × 12 + month − 1 of the UTC date at `ms` (a range given in UTC dates covers whole months; Alpha
    /// Vantage's Eastern sessions of a month all start inside its UTC month).
    static func month(of ms: Int64) -> Int {
        let days = floorDiv(floorDiv(ms, 1000), 86_400)
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return Int(year) * 12 + Int(month) - 1
    }

    static func monthText(_ index: Int) -> String {
        let month = index % 12 + 1
        return "\(index / 12)-\(month < 10 ? "0" : "")\(month)"
    }

    static func nowMs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

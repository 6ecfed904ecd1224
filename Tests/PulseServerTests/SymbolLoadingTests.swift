import PulseAnalytics
import PulseClient
import PulseIO
import PulseMarketData
import PulseProtocol
import PulseRPC
import Testing

@testable import PulseServer

@Suite("LoadSymbol and Screen: checks, backfill ranges, simulated history")
struct SymbolLoadingTests {
    static func utcMs(_ year: Int, _ month: Int, _ day: Int) -> Int64 {
        // Days from 1970-01-01, by the civil-from-days inverse (checked against the known 2024-01-01 = 19723).
        var y = Int64(year)
        let m = Int64(month)
        y -= m <= 2 ? 1 : 0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return (era * 146_097 + doe - 719_468) * 86_400_000
    }

    @Test("the civil-date helper is right")
    func dateHelper() {
        #expect(Self.utcMs(2024, 1, 1) == 1_704_067_200_000)
    }

    @Test("a range in UTC dates becomes whole months; defaults are the last 12 months; daily is one unit")
    func backfillRanges() throws {
        var request = PulseV1.LoadSymbolRequest()
        request.startTimeMs = Self.utcMs(2024, 1, 1)
        request.endTimeMs = Self.utcMs(2024, 5, 1)
        let job = try SymbolLoader.backfillJob(symbol: "IBM", timeframe: .oneMinute, request: request, now: 0)
        #expect(job.months == ["2024-01", "2024-02", "2024-03", "2024-04"])
        #expect(job.id.rawValue == "IBM/1min/2024-01/2024-04")
        let recent = try SymbolLoader.backfillJob(
            symbol: "IBM", timeframe: .fiveMinutes, request: PulseV1.LoadSymbolRequest(),
            now: Self.utcMs(2024, 6, 15))
        #expect(recent.from == "2023-06" && recent.through == "2024-06" && recent.months.count == 13)
        request.startTimeMs = Self.utcMs(1995, 3, 1)
        #expect(
            try SymbolLoader.backfillJob(symbol: "X", timeframe: .oneHour, request: request, now: 0).from == "2000-01")
        let daily = try SymbolLoader.backfillJob(symbol: "IBM", timeframe: .oneDay, request: request, now: 0)
        #expect(daily.months == ["full"] && daily.timeframe == "1d")
        #expect(throws: GRPCStatus.self) {
            try SymbolLoader.backfillJob(symbol: "X", timeframe: .oneWeek, request: request, now: 0)
        }
        request.startTimeMs = 0
        request.endTimeMs = Self.utcMs(1999, 6, 1)
        #expect(throws: GRPCStatus.self) {
            try SymbolLoader.backfillJob(symbol: "X", timeframe: .oneMinute, request: request, now: 0)
        }
    }

    @Test(
        "symbols are trimmed and upper-cased; anything else is INVALID_ARGUMENT",
        arguments: ["", " ", "A B", "ÄPPL", "X;DROP"])
    func badSymbols(text: String) {
        #expect(throws: GRPCStatus.self) { try LoadRequestCheck.symbol(text) }
    }

    @Test("good symbols")
    func goodSymbols() throws {
        #expect(try LoadRequestCheck.symbol(" brk.b ") == "BRK.B")
        #expect(try LoadRequestCheck.symbol("^GSPC") == "^GSPC")
        #expect(try LoadRequestCheck.symbol("EURUSD=X") == "EURUSD=X")
    }

    @Test("screen requests map onto the query with defaults and limits")
    func screenQuery() throws {
        var request = PulseV1.ScreenRequest()
        var query = try ScreenHandler.query(request)
        #expect(query.metric == .return && query.window == 20 && query.limit == 50 && query.timeframe == "1d")
        #expect(query.annualisation == 252 && query.end == nil && query.minValue == nil)
        request.metric = .volatility
        request.timeframe = PulseV1.Timeframe(5, .minute)
        request.endTimeMs = 1_700_000_000_000
        request.symbols = ["aapl"]
        query = try ScreenHandler.query(request)
        #expect(query.annualisation == 252 * 78 && query.end == 1_700_000_000_000_000 && query.symbols == ["AAPL"])
        request.window = 10_001
        #expect(throws: GRPCStatus.self) { try ScreenHandler.query(request) }
    }

    @Test("simulated history: deterministic, on sessions, consistent bars")
    func simulatedHistory() throws {
        let start = Self.utcMs(2024, 11, 25) / 1000
        let end = Self.utcMs(2024, 12, 3) / 1000
        let a = try SimulatedHistory.bars(symbol: "SIM", timeframe: .fiveMinutes, start: start, end: end)
        let b = try SimulatedHistory.bars(symbol: "SIM", timeframe: .fiveMinutes, start: start, end: end)
        #expect(a == b)
        // Four full sessions of 78 five-minute bars and the half day after Thanksgiving (09:30–13:00: 42).
        #expect(a.count == 4 * 78 + 42)
        for i in 0..<a.count {
            #expect(a.low[i] <= min(a.open[i], a.close[i]) && a.high[i] >= max(a.open[i], a.close[i]))
        }
        let other = try SimulatedHistory.bars(symbol: "OTHER", timeframe: .fiveMinutes, start: start, end: end)
        #expect(other.timestamps == a.timestamps && other.close != a.close)
        let daily = try SimulatedHistory.bars(
            symbol: "SIM", timeframe: .oneDay, start: Self.utcMs(2024, 1, 1) / 1000, end: Self.utcMs(2025, 1, 1) / 1000)
        #expect(daily.count == 252)  // NYSE sessions in 2024
        #expect(throws: SimulatedHistory.TooManyBars.self) {
            try SimulatedHistory.bars(
                symbol: "SIM", timeframe: .oneMinute, start: 0, end: Self.utcMs(2024, 1, 1) / 1000)
        }
    }

    @Test("without a database every call is UNAVAILABLE")
    func noDatabase() async throws {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.loops = .exactly(1)
        let group = try EventLoopGroup(loops: 1)
        let pool = try ComputePool(threads: 1)
        let blocking = try BlockingPool(threads: 1)
        let server = RPCServer(
            configuration: configuration, services: [SymbolLoadingService(resources: nil)], group: group,
            computePool: pool, blockingPool: blocking)
        let address = try await server.start()
        defer {
            blocking.shutdown()
            pool.shutdown()
            group.shutdown()
        }
        try await PulseClient.withClient(host: "127.0.0.1", port: address.port) { client in
            await #expect(throws: RPCError(code: .unavailable, message: "no database configured")) {
                _ = try await client.loading.loadSymbol(symbol: "IBM", source: .simulated)
            }
            await #expect(throws: RPCError(code: .unavailable, message: "no database configured")) {
                _ = try await client.loading.screen(metric: .return)
            }
        }
        server.initiateGracefulShutdown(gracePeriod: 0.1)
        await server.waitForShutdown()
    }
}

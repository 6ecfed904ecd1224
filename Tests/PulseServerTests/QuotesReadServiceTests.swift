import Logging
import PulseClient
import PulseIO
import PulseMarketData
import PulseProtocol
import PulseRPC
import PulseServer
import Testing

/// The Quotes read side without a database: the clock and calendar at a fixed time against hand-checked NYSE
/// hours, quotes from the server's own ticks, and the errors of what needs PostgreSQL.
@Suite("Quotes read side: clock, sessions, quotes from the tick hub, errors without a database")
struct QuotesReadServiceTests {
    /// 2024-11-29 15:00 UTC: 10:00 in New York on the day after Thanksgiving, a half day (13:00 close).
    static let halfDayMorningMs: Int64 = 1_732_892_400_000

    static func withClient(_ body: (PulseClient, TickHub) async throws -> Void) async throws {
        try await withServer { client, hub, _ in try await body(client, hub) }
    }

    static func withServer(_ body: (PulseClient, TickHub, RPCServer) async throws -> Void) async throws {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.loops = .exactly(1)
        let group = try EventLoopGroup(loops: 1)
        let pool = try ComputePool(threads: 1)
        let blocking = try BlockingPool(threads: 1)
        let hub = TickHub()
        let data = ServerDataLayer(
            database: nil, redis: nil, group: group, ticks: hub, logger: Logger(label: "test"))
        let services: [any RPCService] = [QuotesReadService(data: data, now: { Self.halfDayMorningMs })]
        let server = RPCServer(
            configuration: configuration, services: services, group: group, computePool: pool, blockingPool: blocking)
        let address = try await server.start()
        func stop() async {
            server.initiateGracefulShutdown(gracePeriod: 0.1)
            await server.waitForShutdown()
            await data.close()
            blocking.shutdown()
            pool.shutdown()
            group.shutdown()
        }
        do {
            try await PulseClient.withClient(host: "127.0.0.1", port: address.port) { try await body($0, hub, server) }
            await stop()
        } catch {
            await stop()
            throw error
        }
    }

    @Test func clockOnAHalfDay() async throws {
        try await Self.withClient { client, _ in
            let clock = try await client.quotes.clock()
            #expect(clock.timeMs == Self.halfDayMorningMs)
            #expect(clock.isOpen && !clock.isExtendedHours)
            #expect(clock.nextCloseTimeMs == 1_732_903_200_000)  // 13:00 New York = 18:00 UTC
            #expect(clock.nextOpenTimeMs == 1_733_149_800_000)  // Monday 2024-12-02 09:30 New York
        }
    }

    @Test func sessionsOfThanksgivingWeek() async throws {
        try await Self.withClient { client, _ in
            // 2024-11-25 00:00 UTC to 2024-11-30 00:00 UTC: Thursday the 28th is a holiday, Friday a half day.
            let sessions = try await client.quotes.sessions(start: 1_732_492_800_000, end: 1_732_924_800_000)
            #expect(sessions.map(\.date) == ["2024-11-25", "2024-11-26", "2024-11-27", "2024-11-29"])
            #expect(sessions.map(\.earlyClose) == [false, false, false, true])
            #expect(sessions[0].openTimeMs == 1_732_545_000_000)  // 09:30 EST = 14:30 UTC
            #expect(sessions[0].preMarketOpenTimeMs == 1_732_525_200_000)  // 04:00 EST
            #expect(sessions[3].afterHoursCloseTimeMs == 1_732_917_600_000)  // 17:00 EST on a half day
        }
    }

    @Test func quoteFromTheServersOwnTicks() async throws {
        try await Self.withClient { client, hub in
            var tick = PulseV1.Tick(symbol: "HUB", sequence: 1, timeMs: Self.halfDayMorningMs, price: 10, size: 5)
            hub.publish(tick)
            tick.sequence = 2
            tick.price = 12
            tick.size = 1
            tick.bid = 11.9
            tick.ask = 12.1
            hub.publish(tick)
            tick.sequence = 1  // an older tick does not replace the latest
            tick.price = 99
            hub.publish(tick)
            let quote = try await client.quotes.quote("HUB")
            #expect(quote.sequence == 2 && quote.price == 12 && quote.bid == 11.9 && quote.ask == 12.1)
            #expect(quote.open == 10 && quote.high == 12 && quote.low == 10 && quote.volume == 6)
            let both = try await client.quotes.quotes(["HUB", "NONE"])
            #expect(both.quotes.map(\.symbol) == ["HUB"] && both.notFound == ["NONE"])
        }
    }

    @Test func whatNeedsADatabaseSaysSo() async throws {
        try await Self.withClient { client, _ in
            let quotes = client.quotes(retry: .none)
            await #expect(throws: RPCError(code: .notFound, message: "no quote for NONE")) {
                _ = try await quotes.quote("NONE")
            }
            await #expect(throws: RPCError(code: .unavailable, message: "no database configured")) {
                _ = try await quotes.bars("HUB")
            }
            await #expect(throws: RPCError(code: .invalidArgument, message: "symbol is empty")) {
                _ = try await quotes.quote("")
            }
        }
    }

    @Test func idempotentCallsAreRetriedOnUnavailableOnly() async throws {
        try await Self.withServer { client, _, server in
            let retrying = client.quotes(
                retry: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(20)))
            await #expect(throws: RPCError(code: .unavailable, message: "no database configured")) {
                _ = try await retrying.bars("HUB")
            }
            #expect(await server.statistics().byStatus[14] == 3)  // three attempts, each UNAVAILABLE
            await #expect(throws: RPCError.self) { _ = try await retrying.quote("NONE") }
            #expect(await server.statistics().byStatus[5] == 1)  // NOT_FOUND is not retried
            await #expect(throws: RPCError.self) { _ = try await client.quotes(retry: .none).bars("HUB") }
            #expect(await server.statistics().byStatus[14] == 4)  // no retry: one more attempt
        }
    }
}

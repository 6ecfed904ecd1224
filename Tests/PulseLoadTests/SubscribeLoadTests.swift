import Foundation
import PulseProtocol
import Testing

@testable import PulseLoad

@Suite("Subscriptions against a fake feed with known timestamps and a hole", .serialized)
struct SubscribeLoadTests {
    @Test("latency from the tick's timestamp; the hole is counted, conflation and announced gaps are not")
    func latencyAndGaps() async throws {
        try await withTestServer(services: [FakeQuoteFeed(ageMs: 40)]) { port, _ in
            var configuration = SubscribeLoadConfiguration(
                host: "127.0.0.1", port: port, symbols: ["AAPL", "MSFT"], schema: protocolSchema)
            configuration.streams = 4
            configuration.connections = 2
            configuration.duration = 3.0  // the 25 ticks take 0.25 s; the rest is room for a loaded machine
            let report = try await SubscribeLoad.run(configuration)
            let stream = try #require(report.stream)
            let ticksPerSymbol = FakeQuoteFeed.sentSequences.count
            #expect(stream.messages == 4 * 2 * ticksPerSymbol)
            #expect(stream.missing == 4 * 2 * 3, "ticks 11-13 of each symbol on each stream (not the announced gap)")
            #expect(stream.announcedMissing == 4 * 2 * FakeQuoteFeed.announcedGap.count)
            #expect(stream.conflated == 4 * 2 * 2)
            #expect(stream.outOfOrder == 0)
            #expect(stream.timeField == "ingest_time_us")
            // The true age is 40 ms (the market time is an hour older and must not be used).
            #expect(report.latency.p50 >= 40 && report.latency.p50 < 45, "p50 \(report.latency.p50)")
            #expect(report.latency.max < 60)
            #expect(report.errorCount == 0)
            #expect(report.ok == 4)
            #expect(!report.partial)
        }
    }

    @Test("streams that all end early give a partial report")
    func serverGoesAway() async throws {
        let started = Date()
        let report = try await withTestServer(services: [FakeQuoteFeed(ageMs: 5)]) { port, server in
            var configuration = SubscribeLoadConfiguration(
                host: "127.0.0.1", port: port, symbols: ["AAPL"], schema: protocolSchema)
            configuration.streams = 3
            configuration.duration = 10
            async let run = SubscribeLoad.run(configuration)
            try await Task.sleep(for: .milliseconds(500))
            server.initiateGracefulShutdown(gracePeriod: 0)
            await server.waitForShutdown()
            return try await run
        }
        #expect(report.partial)
        #expect(report.stream?.messages == 3 * FakeQuoteFeed.sentSequences.count)
        #expect(report.errors.first?.0 == "UNAVAILABLE")
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test("an unreachable server is a clear error")
    func unreachable() async throws {
        var configuration = SubscribeLoadConfiguration(
            host: "127.0.0.1", port: 1, symbols: ["AAPL"], schema: protocolSchema)
        configuration.streams = 2
        await #expect(throws: LoadError.self) { try await SubscribeLoad.run(configuration) }
    }
}

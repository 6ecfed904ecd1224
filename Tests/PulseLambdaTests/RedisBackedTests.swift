import PulseBridge
import PulseMarketData
import PulseStore
import PulseTestSupport
import Testing

@testable import PulseLambda

@Suite("The SQS consumer and the connection registry against a real Redis")
struct RedisBackedTests {
    private func context() -> LambdaContext {
        LambdaContext(requestID: "r", deadlineMs: LambdaClock.nowMs() + 60_000)
    }

    private func failures(_ bytes: [UInt8]) throws -> [String] {
        guard case .array(let items) = try JSONValue.parse(bytes)["batchItemFailures"] else { return ["<none>"] }
        return items.compactMap { $0["itemIdentifier"]?.string }
    }

    @Test("AWS's sample SQS event: a bars_ingested body drops the symbol's cache; other bodies are batch failures")
    func consumer() async throws {
        try await TestRedis.with { server, redis in
            let cache = MarketCache(redis: redis)
            try await cache.setDerived("IBM", "ind:v1:abc", [1, 2, 3])
            try await cache.setDerived("MSFT", "ind:v1:def", [4])
            let consumer = BarsIngestedConsumer(processor: DerivedDataInvalidation(cache: cache))

            let answer = try await consumer.handle(fixture("sam-sqs-bars-ingested.json"), context: context())
            #expect(try failures(answer) == [])
            #expect(try await cache.derived("IBM", "ind:v1:abc") == nil)
            #expect(try await cache.derived("MSFT", "ind:v1:def") == [4])  // another symbol: untouched

            // Redelivered: nothing more to drop, and still a success.
            #expect(
                try failures(try await consumer.handle(fixture("sam-sqs-bars-ingested.json"), context: context())) == []
            )

            let sample = try await consumer.handle(fixture("sam-sqs-receive-message.json"), context: context())
            #expect(try failures(sample) == ["19dd0b57-b21e-4ac1-bd88-01bbb068cb78"])

            // A batch of two: only the bad record is handed back.
            let good = SQSEvent.Record(
                messageID: "good",
                body: BarsIngestedEvent(
                    symbol: "MSFT", timeframe: "1m", from: 0, to: 60, count: 2
                ).json, receiveCount: 1, eventSourceARN: nil)
            let batch =
                #"{"Records":[\#(record(good)),\#(record(.init(messageID: "bad", body: "{}", receiveCount: 3, eventSourceARN: nil)))]}"#
            #expect(try failures(try await consumer.handle(Array(batch.utf8), context: context())) == ["bad"])
            #expect(try await cache.derived("MSFT", "ind:v1:def") == nil)

            // Redis gone: the work could not be done, so the record goes back for another try.
            try await server.stop()
            let down = try await consumer.handle(fixture("sam-sqs-bars-ingested.json"), context: context())
            #expect(try failures(down) == ["19dd0b57-b21e-4ac1-bd88-01bbb068cb78"])
        }
    }

    private func record(_ record: SQSEvent.Record) -> String {
        JSONValue.object([
            JSONMember(name: "messageId", value: .string(record.messageID)),
            JSONMember(name: "body", value: .string(record.body)),
            JSONMember(name: "eventSource", value: .string("aws:sqs")),
            JSONMember(
                name: "attributes",
                value: .object([
                    JSONMember(name: "ApproximateReceiveCount", value: .string(String(record.receiveCount)))
                ])),
        ]).json
    }

    @Test("subscribe, unsubscribe and disconnect keep both sides and the followed set in step, across clients")
    func registry() async throws {
        try await TestRedis.with { server, redis in
            let first = ConnectionRegistry(redis: redis, maxSymbolsPerConnection: 3)
            // A second client: another Lambda instance sees the same registry.
            let otherClient = RedisClient(configuration: try RedisConfiguration(url: server.url), loop: redis.loop)
            #expect(await otherClient.waitUntilConnected(timeout: .seconds(5)))
            let second = ConnectionRegistry(redis: otherClient, maxSymbolsPerConnection: 3)

            #expect(try await first.subscribe("c1", ["AAPL", "MSFT"]) == ["AAPL", "MSFT"])
            #expect(try await second.subscribe("c2", ["AAPL"]) == ["AAPL"])
            #expect(try await second.symbols(of: "c1") == ["AAPL", "MSFT"])
            #expect(try await first.connections(following: "AAPL") == ["c1", "c2"])
            #expect(try await first.followedSymbols() == ["AAPL", "MSFT"])

            // All or none past the limit: c1 keeps its two.
            await #expect(throws: BridgeError.self) { _ = try await first.subscribe("c1", ["IBM", "GOOG"]) }
            #expect(try await first.symbols(of: "c1") == ["AAPL", "MSFT"])
            #expect(try await first.subscribe("c1", ["MSFT", "IBM"]) == ["AAPL", "IBM", "MSFT"])

            #expect(try await second.unsubscribe("c1", ["MSFT"]) == ["AAPL", "IBM"])
            #expect(try await first.followedSymbols() == ["AAPL", "IBM"])
            #expect(try await first.connections(following: "MSFT") == [])

            #expect(try await second.disconnect("c1") == 2)
            #expect(try await first.connections(following: "AAPL") == ["c2"])
            #expect(try await first.followedSymbols() == ["AAPL"])
            #expect(try await first.disconnect("c2") == 1)
            #expect(try await first.followedSymbols() == [])
            // The connection's set expires on its own (API Gateway may drop a $disconnect).
            _ = try await first.subscribe("c3", ["AAPL"])
            let ttl = try await redis.command("TTL", "ws:conn:c3").integer ?? -1
            #expect(ttl > 10_000 && ttl <= 10_800)
            await otherClient.close()
        }
    }
}

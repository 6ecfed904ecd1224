import PulseTestSupport
import Testing

@testable import PulseStore

@Suite("Market cache in Redis: TTLs, invalidation, eviction that spares the tick log", .serialized)
struct MarketCacheTests {
    @Test("the latest quote and derived values have TTLs; invalidation drops exactly the symbol's derived values")
    func quotesAndInvalidation() async throws {
        try await TestRedis.with { _, redis in
            let cache = MarketCache(redis: redis, quoteTTL: .seconds(30), derivedTTL: .seconds(60))
            try await cache.setQuote("AAPL", [1, 2, 3])
            #expect(try await cache.quote("AAPL") == [1, 2, 3])
            #expect(try await cache.quotes(["AAPL", "MSFT"]) == [[1, 2, 3], nil])
            let ttl = try await redis.command("PTTL", "quote:{AAPL}").integer ?? -1
            #expect(ttl > 0 && ttl <= 30_000)  // a TTL is set, and it is the configured one at most
            try await cache.setDerived("AAPL", "ind:rsi:14:1d", [9])
            try await cache.setDerived("AAPL", "bars:5m", [8])
            try await cache.setDerived("MSFT", "bars:5m", [7])
            #expect(try await cache.derived("AAPL", "bars:5m") == [8])
            #expect((try await redis.command("PTTL", "cache:{AAPL}:bars:5m").integer ?? -1) > 0)
            #expect(try await cache.invalidate("AAPL") == 2)
            #expect(try await cache.derived("AAPL", "bars:5m") == nil)
            #expect(try await cache.derived("AAPL", "ind:rsi:14:1d") == nil)
            #expect(try await cache.derived("MSFT", "bars:5m") == [7])  // another symbol's values stay
            #expect(try await cache.quote("AAPL") == [1, 2, 3])  // the quote is not derived data
            #expect(try await cache.invalidate("AAPL") == 0)
        }
    }

    @Test("under maxmemory, eviction takes cache keys and never the tick streams")
    func evictionSparesStreams() async throws {
        try await TestRedis.with { _, redis in
            #expect(try await redis.command("CONFIG", "GET", "maxmemory-policy").array?.last?.string == "volatile-lru")
            let log = TickLog(redis: redis)
            _ = try await log.claim("SPY", epoch: 1)
            try await log.append(
                "SPY", epoch: 1, (1...2_000).map { TickLog.Entry(sequence: $0, timeMs: Int64($0), price: 1) })
            try await redis.command("CONFIG", "SET", "maxmemory", "4mb")
            let cache = MarketCache(redis: redis)
            let value = [UInt8](repeating: 0x5A, count: 4_096)
            for index in 0..<3_000 {
                try await cache.setDerived("SYM\(index % 50)", "blob:\(index)", value)
            }
            let info = try await redis.command("INFO", "stats").string ?? ""
            let evicted =
                info.split(separator: "\r\n").first { $0.hasPrefix("evicted_keys:") }
                .flatMap { Int($0.dropFirst("evicted_keys:".count)) } ?? 0
            #expect(evicted > 0, "12 MB of cache into 4 MB must evict")
            #expect(try await redis.command("XLEN", "tick:{SPY}").integer == 2_000)
            #expect(try await log.lastSequence("SPY") == 2_000)
        }
    }
}

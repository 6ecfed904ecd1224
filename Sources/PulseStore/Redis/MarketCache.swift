import PulseIO

#if canImport(Glibc)
    import Glibc
#endif

/// The cache in Redis: the latest quote per symbol, and derived values (recent bars, computed indicators) that
/// are recomputed when new data lands. Every key has a TTL, so under `maxmemory-policy volatile-lru` eviction
/// takes only cache keys, never the tick streams (which have none).
///
/// Derived keys are registered in a per-symbol set when written, so `invalidate(symbol)` deletes exactly them
/// in one round trip, without scanning the keyspace.
public struct MarketCache: Sendable {
    public let redis: RedisClient
    /// How long the latest quote stays without being refreshed.
    public var quoteTTL: Duration
    /// How long a derived value stays when nothing invalidates it.
    public var derivedTTL: Duration
    /// How long a request clients stopped asking for is still recomputed when new bars land.
    public var askedTTL: Duration = .seconds(3600)

    public init(redis: RedisClient, quoteTTL: Duration = .seconds(300), derivedTTL: Duration = .seconds(600)) {
        self.redis = redis
        self.quoteTTL = quoteTTL
        self.derivedTTL = derivedTTL
    }

    static func quoteKey(_ symbol: String) -> String { "quote:{\(symbol)}" }
    static func derivedKey(_ symbol: String, _ name: String) -> String { "cache:{\(symbol)}:\(name)" }
    static func registryKey(_ symbol: String) -> String { "cache:{\(symbol)}:keys" }
    static func askedKey(_ symbol: String) -> String { "cache:{\(symbol)}:asked" }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        max(1, duration.wholeMilliseconds)
    }

    /// Stores the symbol's latest quote (opaque bytes: the encoded `Quote` or `Tick`).
    public func setQuote(_ symbol: String, _ bytes: [UInt8]) async throws(RedisError) {
        try await redis.command(
            "SET", RedisArgument(Self.quoteKey(symbol)), RedisArgument(bytes), "PX",
            RedisArgument(Self.milliseconds(quoteTTL)))
    }

    /// Stores several symbols' latest quotes in one pipelined write.
    public func setQuotes(_ quotes: [(symbol: String, bytes: [UInt8])]) async throws(RedisError) {
        let ttl = RedisArgument(Self.milliseconds(quoteTTL))
        let results = await redis.pipeline(
            quotes.map { ["SET", RedisArgument(Self.quoteKey($0.symbol)), RedisArgument($0.bytes), "PX", ttl] })
        for result in results { _ = try result.get() }
    }

    /// The symbol's latest quote, if cached.
    public func quote(_ symbol: String) async throws(RedisError) -> [UInt8]? {
        if case .bulk(let bytes) = try await redis.command("GET", RedisArgument(Self.quoteKey(symbol))) {
            return bytes
        }
        return nil
    }

    /// The latest quotes of several symbols in one round trip (nil where none is cached).
    public func quotes(_ symbols: [String], timeout: Duration? = nil) async throws(RedisError) -> [[UInt8]?] {
        guard !symbols.isEmpty else { return [] }
        let reply = try await redis.command(
            ["MGET"] + symbols.map { RedisArgument(Self.quoteKey($0)) }, timeout: timeout)
        return (reply.array ?? []).map { value in
            if case .bulk(let bytes) = value { return bytes }
            return nil
        }
    }

    /// Stores a value derived from the symbol's data under `name` (e.g. `bars:5m:…`, `ind:rsi:14:1d`).
    public func setDerived(_ symbol: String, _ name: String, _ bytes: [UInt8], timeout: Duration? = nil)
        async throws(RedisError)
    {
        let key = Self.derivedKey(symbol, name)
        let ttl = RedisArgument(Self.milliseconds(derivedTTL))
        let results = await redis.pipeline(
            [
                ["SET", RedisArgument(key), RedisArgument(bytes), "PX", ttl],
                ["SADD", RedisArgument(Self.registryKey(symbol)), RedisArgument(key)],
                // The registry outlives each entry by a TTL of its own, so a quiet symbol leaves nothing behind.
                ["PEXPIRE", RedisArgument(Self.registryKey(symbol)), ttl],
            ], timeout: timeout)
        for result in results { _ = try result.get() }
    }

    /// A derived value, if cached. With `asked` (the encoded request it answers), the request is also noted as
    /// asked, in the same round trip (see ``askedRequests(_:limit:timeout:)``).
    public func derived(_ symbol: String, _ name: String, asked: [UInt8]? = nil, timeout: Duration? = nil)
        async throws(RedisError) -> [UInt8]?
    {
        var commands: [[RedisArgument]] = []
        if let asked { commands = askedCommands(symbol, asked) }
        commands.append(["GET", RedisArgument(Self.derivedKey(symbol, name))])
        let results = await redis.pipeline(commands, timeout: timeout)
        for result in results.dropLast() { _ = try result.get() }
        if case .bulk(let bytes) = try results[results.count - 1].get() { return bytes }
        return nil
    }

    /// Notes that a client asked for a derived value computed from `request` (opaque bytes: the encoded request),
    /// so ``askedRequests(_:limit:timeout:)`` can recompute it when new bars land. One sorted set per symbol, scored by
    /// when each request was last asked; it expires with the last ask (``askedTTL``), and invalidation keeps it.
    private func askedCommands(_ symbol: String, _ request: [UInt8]) -> [[RedisArgument]] {
        let key = RedisArgument(Self.askedKey(symbol))
        return [
            ["ZADD", key, RedisArgument(Self.nowMilliseconds()), RedisArgument(request)],
            ["PEXPIRE", key, RedisArgument(Self.milliseconds(askedTTL))],
        ]
    }

    /// The requests clients asked of `symbol` within ``askedTTL``, most recently asked first, at most `limit`;
    /// older ones are dropped from the set on the way.
    public func askedRequests(_ symbol: String, limit: Int = 32, timeout: Duration? = nil) async throws(RedisError)
        -> [[UInt8]]
    {
        let key = RedisArgument(Self.askedKey(symbol))
        let oldest = Self.nowMilliseconds() - Self.milliseconds(askedTTL)
        let results = await redis.pipeline(
            [
                ["ZREMRANGEBYSCORE", key, "-inf", RedisArgument("(\(oldest)")],
                ["ZREVRANGE", key, 0, RedisArgument(Int64(max(1, limit) - 1))],
            ], timeout: timeout)
        _ = try results[0].get()
        return (try results[1].get().array ?? []).compactMap { value in
            if case .bulk(let bytes) = value { return bytes }
            return nil
        }
    }

    /// Forgets a request that can no longer be computed (its spec became invalid for the symbol's data).
    public func forgetAsked(_ symbol: String, request: [UInt8], timeout: Duration? = nil) async throws(RedisError) {
        _ = try await redis.command(
            "ZREM", RedisArgument(Self.askedKey(symbol)), RedisArgument(request), timeout: timeout)
    }

    private static func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Drops every derived value of the symbol (new bars landed); returns how many were dropped.
    @discardableResult
    public func invalidate(_ symbol: String) async throws(RedisError) -> Int {
        let reply = try await redis.command(
            "EVAL", RedisArgument(Self.invalidateScript), 1, RedisArgument(Self.registryKey(symbol)))
        return Int(reply.integer ?? 0)
    }

    /// KEYS: the registry set. Deletes every key it names and the set itself; returns how many values existed.
    static let invalidateScript = """
        local keys = redis.call('SMEMBERS', KEYS[1])
        local dropped = 0
        for _, key in ipairs(keys) do dropped = dropped + redis.call('DEL', key) end
        redis.call('DEL', KEYS[1])
        return dropped
        """
}

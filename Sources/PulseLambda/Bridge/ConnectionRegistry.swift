import PulseBridge
import PulseStore

/// Which WebSocket connections follow which symbols, in Redis so every Lambda instance (and the pusher) sees
/// the same: `ws:conn:{id}` the connection's symbols, `ws:sym:{SYMBOL}` the symbol's connections, `ws:symbols`
/// the symbols someone follows (what the pusher reads). Each change is one Lua script, so the two sides never
/// disagree and the per-connection limit holds under concurrent subscribes. Connection sets expire 3 h after
/// their last change (API Gateway closes sockets after 2 h and may not deliver every `$disconnect`); the
/// pusher also drops connections API Gateway says are gone.
///
/// The scripts touch keys they compute, which plain Redis allows and Redis Cluster does not (hiredis 0.14 has
/// no cluster support either).
public struct ConnectionRegistry: Sendable {
    public let redis: RedisClient
    public var prefix: String
    public var maxSymbolsPerConnection: Int
    public var connectionTTLSeconds: Int

    public init(
        redis: RedisClient, prefix: String = "ws:", maxSymbolsPerConnection: Int = 50,
        connectionTTLSeconds: Int = 10_800
    ) {
        self.redis = redis
        self.prefix = prefix
        self.maxSymbolsPerConnection = maxSymbolsPerConnection
        self.connectionTTLSeconds = connectionTTLSeconds
    }

    func connectionKey(_ id: String) -> String { prefix + "conn:" + id }
    func symbolKey(_ symbol: String) -> String { prefix + "sym:" + symbol }
    var symbolsKey: String { prefix + "symbols" }

    /// Adds `symbols` to the connection's set (all or none) and returns the set, sorted.
    /// - Throws: RESOURCE_EXHAUSTED past ``maxSymbolsPerConnection``; UNAVAILABLE when Redis cannot be reached.
    public func subscribe(_ connection: String, _ symbols: [String]) async throws(BridgeError) -> [String] {
        let reply = try await run(
            Self.subscribeScript, key: connection,
            [
                RedisArgument(prefix), RedisArgument(connection), RedisArgument(maxSymbolsPerConnection),
                RedisArgument(connectionTTLSeconds),
            ] + symbols.map { RedisArgument($0) })
        if let total = reply.integer {
            throw BridgeError(
                .resourceExhausted,
                "too many symbols: at most \(maxSymbolsPerConnection) per connection, this would make \(total)")
        }
        return Self.sortedStrings(reply)
    }

    /// Removes `symbols` from the connection's set and returns what remains, sorted.
    public func unsubscribe(_ connection: String, _ symbols: [String]) async throws(BridgeError) -> [String] {
        let reply = try await run(
            Self.unsubscribeScript, key: connection,
            [RedisArgument(prefix), RedisArgument(connection)] + symbols.map { RedisArgument($0) })
        return Self.sortedStrings(reply)
    }

    /// Forgets the connection (`$disconnect`, or 410 Gone); returns how many symbols it followed.
    @discardableResult
    public func disconnect(_ connection: String) async throws(BridgeError) -> Int {
        let reply = try await run(
            Self.disconnectScript, key: connection, [RedisArgument(prefix), RedisArgument(connection)])
        return Int(reply.integer ?? 0)
    }

    public func symbols(of connection: String) async throws(BridgeError) -> [String] {
        Self.sortedStrings(try await command(["SMEMBERS", RedisArgument(connectionKey(connection))]))
    }

    /// The connections following `symbol`, sorted.
    public func connections(following symbol: String) async throws(BridgeError) -> [String] {
        Self.sortedStrings(try await command(["SMEMBERS", RedisArgument(symbolKey(symbol))]))
    }

    /// Every symbol at least one connection follows, sorted.
    public func followedSymbols() async throws(BridgeError) -> [String] {
        Self.sortedStrings(try await command(["SMEMBERS", RedisArgument(symbolsKey)]))
    }

    private func run(_ script: String, key connection: String, _ arguments: [RedisArgument])
        async throws(BridgeError) -> RedisValue
    {
        try await command(["EVAL", RedisArgument(script), 1, RedisArgument(connectionKey(connection))] + arguments)
    }

    private func command(_ arguments: [RedisArgument]) async throws(BridgeError) -> RedisValue {
        do {
            return try await redis.command(arguments)
        } catch {
            // The error may name the Redis host: the caller gets a fixed text.
            throw BridgeError(.unavailable, "the subscription registry is unavailable; try again")
        }
    }

    static func sortedStrings(_ reply: RedisValue) -> [String] {
        (reply.array ?? []).compactMap(\.string).sorted()
    }

    /// KEYS[1] the connection's set; ARGV prefix, id, limit, ttl, symbols…: the set after, or its would-be size.
    static let subscribeScript = """
        local prefix, id, limit, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
        local added = {}
        for i = 5, #ARGV do
          if redis.call('SISMEMBER', KEYS[1], ARGV[i]) == 0 then table.insert(added, ARGV[i]) end
        end
        local total = redis.call('SCARD', KEYS[1]) + #added
        if total > limit then return total end
        for _, symbol in ipairs(added) do
          redis.call('SADD', KEYS[1], symbol)
          redis.call('SADD', prefix .. 'sym:' .. symbol, id)
          redis.call('SADD', prefix .. 'symbols', symbol)
        end
        if total > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
        return redis.call('SMEMBERS', KEYS[1])
        """

    /// KEYS[1] the connection's set; ARGV prefix, id, symbols…: the set after.
    static let unsubscribeScript = """
        local prefix, id = ARGV[1], ARGV[2]
        for i = 3, #ARGV do
          local symbol = ARGV[i]
          redis.call('SREM', KEYS[1], symbol)
          redis.call('SREM', prefix .. 'sym:' .. symbol, id)
          if redis.call('SCARD', prefix .. 'sym:' .. symbol) == 0 then redis.call('SREM', prefix .. 'symbols', symbol) end
        end
        return redis.call('SMEMBERS', KEYS[1])
        """

    /// KEYS[1] the connection's set; ARGV prefix, id: how many symbols it followed.
    static let disconnectScript = """
        local prefix, id = ARGV[1], ARGV[2]
        local symbols = redis.call('SMEMBERS', KEYS[1])
        for _, symbol in ipairs(symbols) do
          redis.call('SREM', prefix .. 'sym:' .. symbol, id)
          if redis.call('SCARD', prefix .. 'sym:' .. symbol) == 0 then redis.call('SREM', prefix .. 'symbols', symbol) end
        end
        redis.call('DEL', KEYS[1])
        return #symbols
        """
}

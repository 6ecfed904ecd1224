import PulseIO
import PulseStore

/// The right to write one symbol's ticks: exactly one ingester holds it at a time. `epoch` fences the tick
/// log (a later owner's epoch refuses an earlier owner's appends); `highWater` is the last sequence number
/// the symbol's log is known to have had, so numbering continues after a restart.
public struct SymbolLease: Sendable, Equatable {
    public var symbol: String
    public var epoch: UInt64
    public var highWater: UInt64

    public init(symbol: String, epoch: UInt64, highWater: UInt64) {
        self.symbol = symbol
        self.epoch = epoch
        self.highWater = highWater
    }
}

/// Who may ingest which symbol. The PostgreSQL implementation (an advisory lock on a dedicated connection,
/// epochs and high-water marks in a table) is the durable one; `RedisOwnership` serves a deployment without
/// a database.
public protocol SymbolOwnership: Sendable {
    /// Becomes the symbol's owner, or returns nil when another live owner holds it.
    func acquire(_ symbol: String) async throws -> SymbolLease?
    /// Keeps the lease alive and records the high-water mark; false when the lease was lost.
    func renew(_ lease: SymbolLease, highWater: UInt64) async throws -> Bool
    /// Gives the symbol up.
    func release(_ lease: SymbolLease) async
}

/// Ownership through Redis alone: a key per symbol set with NX and an expiry, renewed by its holder; each
/// new owner takes the next epoch and claims it in the tick log, fencing whoever held it before.
public struct RedisOwnership: SymbolOwnership {
    public let redis: RedisClient
    public let log: TickLog
    /// Who this process is, written into the owner key.
    public let instance: String
    /// How long a lease lives without renewal.
    public var leaseTime: Duration

    public init(redis: RedisClient, log: TickLog, instance: String, leaseTime: Duration = .seconds(5)) {
        self.redis = redis
        self.log = log
        self.instance = instance
        self.leaseTime = leaseTime
    }

    static func ownerKey(_ symbol: String) -> String { "owner:{\(symbol)}" }
    static func epochCounterKey(_ symbol: String) -> String { "owner:{\(symbol)}:epochs" }
    static func highWaterKey(_ symbol: String) -> String { "owner:{\(symbol)}:high-water" }

    private var leaseMilliseconds: Int64 { max(1, leaseTime.wholeMilliseconds) }

    public func acquire(_ symbol: String) async throws -> SymbolLease? {
        let taken = try await redis.command(
            "SET", RedisArgument(Self.ownerKey(symbol)), RedisArgument(instance), "NX", "PX",
            RedisArgument(leaseMilliseconds))
        guard !taken.isNull else { return nil }
        let epoch = UInt64(try await redis.command("INCR", RedisArgument(Self.epochCounterKey(symbol))).integer ?? 0)
        guard try await log.claim(symbol, epoch: epoch) else { return nil }
        let recorded = try await redis.command("GET", RedisArgument(Self.highWaterKey(symbol))).integer ?? 0
        let top = try await log.lastSequence(symbol)
        return SymbolLease(symbol: symbol, epoch: epoch, highWater: max(UInt64(max(recorded, 0)), top))
    }

    public func renew(_ lease: SymbolLease, highWater: UInt64) async throws -> Bool {
        let reply = try await redis.command(
            "EVAL", RedisArgument(Self.renewScript), 2, RedisArgument(Self.ownerKey(lease.symbol)),
            RedisArgument(Self.highWaterKey(lease.symbol)), RedisArgument(instance), RedisArgument(leaseMilliseconds),
            RedisArgument(highWater))
        return reply.integer == 1
    }

    public func release(_ lease: SymbolLease) async {
        _ = try? await redis.command(
            "EVAL", RedisArgument(Self.releaseScript), 1, RedisArgument(Self.ownerKey(lease.symbol)),
            RedisArgument(instance))
    }

    /// KEYS: owner, high-water. ARGV: instance, lease ms, high-water. Extends the lease only for its holder.
    static let renewScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        local current = tonumber(redis.call('GET', KEYS[2]) or '0')
        if tonumber(ARGV[3]) > current then redis.call('SET', KEYS[2], ARGV[3]) end
        return 1
        """

    static let releaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """
}

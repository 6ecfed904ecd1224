import PulseIO
import PulseStore
import Synchronization

/// Server streams open per API key, for the key's `max_streams` limit.
///
/// With Redis the limit holds across every instance: each open stream is a member of the key's sorted set
/// `auth:streams:{<key id>}`, scored by when its lease ends. A stream is admitted by one Lua script (on Redis'
/// clock) that drops expired leases and adds the new one only while fewer than the limit remain; each instance
/// renews its own streams' leases every ``renewInterval`` and removes a stream when it ends. An instance that dies
/// stops renewing, so its streams stop counting within ``leaseTTL``. Without Redis, or while it cannot be reached,
/// the limit is counted on this instance alone (as the rate limits are).
final class StreamSlots: Sendable {
    /// One admitted stream: release it when the stream ends.
    enum Slot: Sendable, Equatable {
        case local(keyID: Int64)
        case shared(keyID: Int64, member: String)
    }

    let redis: RedisClient?
    let leaseTTL: Duration
    let renewInterval: Duration
    private let instance: String
    private let nextStream = Atomic<UInt64>(1)
    private let local = Mutex<[Int64: Int]>([:])
    /// The shared leases this instance holds, by key id, for renewal.
    private let held = Mutex<[Int64: Set<String>]>([:])

    init(redis: RedisClient? = nil, leaseTTL: Duration = .seconds(15), renewInterval: Duration = .seconds(5)) {
        self.redis = redis
        self.leaseTTL = leaseTTL
        self.renewInterval = renewInterval
        var random = SystemRandomNumberGenerator()
        instance = String(random.next() as UInt64, radix: 16)
    }

    /// Whether admitting a stream takes a Redis round trip (the interceptor then takes its suspending path).
    var isShared: Bool { redis != nil }

    static func key(_ keyID: Int64) -> String { "auth:streams:{\(keyID)}" }

    /// Takes a slot on this instance alone if the key has fewer than `limit` open here.
    func acquireLocal(keyID: Int64, limit: Int) -> Slot? {
        local.withLock { open in
            let current = open[keyID, default: 0]
            guard current < limit else { return nil }
            open[keyID] = current + 1
            return .local(keyID: keyID)
        }
    }

    /// Takes a slot counted across instances (on this instance alone when Redis cannot answer); nil when the key
    /// has `limit` streams open.
    func acquire(keyID: Int64, limit: Int, timeout: Duration = .seconds(2)) async -> Slot? {
        guard let redis, redis.isConnected else { return acquireLocal(keyID: keyID, limit: limit) }
        let member = "\(instance):\(nextStream.wrappingAdd(1, ordering: .relaxed).oldValue)"
        // Held before the script runs, so a renewal in between keeps the new lease.
        held.withLock { $0[keyID, default: []].insert(member) }
        do {
            let reply = try await redis.command(
                [
                    "EVAL", RedisArgument(Self.acquireScript), 1, RedisArgument(Self.key(keyID)),
                    RedisArgument(member), RedisArgument(Int64(limit)), RedisArgument(leaseTTL.wholeMilliseconds),
                ], timeout: timeout)
            if reply.integer == 1 { return .shared(keyID: keyID, member: member) }
            forget(keyID, member)
            return nil
        } catch {
            forget(keyID, member)
            return acquireLocal(keyID: keyID, limit: limit)
        }
    }

    func release(_ slot: Slot) {
        switch slot {
        case .local(let keyID):
            local.withLock { open in
                let remaining = open[keyID, default: 1] - 1
                open[keyID] = remaining > 0 ? remaining : nil
            }
        case .shared(let keyID, let member):
            forget(keyID, member)
            guard let redis else { return }
            // If Redis misses this, the lease ends by itself: it is no longer renewed.
            Task { _ = try? await redis.command("ZREM", RedisArgument(Self.key(keyID)), RedisArgument(member)) }
        }
    }

    /// Streams of the key open on this instance.
    func count(keyID: Int64) -> Int {
        local.withLock { $0[keyID, default: 0] } + held.withLock { $0[keyID]?.count ?? 0 }
    }

    private func forget(_ keyID: Int64, _ member: String) {
        held.withLock { held in
            held[keyID]?.remove(member)
            if held[keyID]?.isEmpty == true { held[keyID] = nil }
        }
    }

    /// Renews this instance's leases until cancelled.
    func run() async {
        guard let redis else { return }
        while !Task.isCancelled {
            do { try await Task.sleep(for: renewInterval) } catch { return }
            let leases = held.withLock { $0 }
            guard !leases.isEmpty, redis.isConnected else { continue }
            let ttl = RedisArgument(leaseTTL.wholeMilliseconds)
            _ = await redis.pipeline(
                leases.map { keyID, members in
                    ["EVAL", RedisArgument(Self.renewScript), 1, RedisArgument(Self.key(keyID)), ttl]
                        + members.map { RedisArgument($0) }
                })
        }
    }

    /// KEYS: the key's set. ARGV: member, limit, lease in ms. 1 when admitted.
    static let acquireScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
        redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return 1
        """

    /// KEYS: the key's set. ARGV: lease in ms, then the members to renew. Only members still there are renewed
    /// (`XX`): a lease that ended or was released is not brought back.
    static let renewScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i]) end
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        return 0
        """
}

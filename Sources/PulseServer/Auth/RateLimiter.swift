import Logging
import PulseIO
import PulseStore
import Synchronization

/// Per-key call rates, held together by every instance: each instance keeps a local ``TokenBucket`` per key, and
/// with Redis its tokens are leased from one shared bucket per key (a Lua script refills it at the key's rate and
/// hands out what it holds). A reconciliation pass every ``AuthSettings/reconcileInterval`` leases what the
/// recent demand will need, so a call almost never waits for Redis; a key whose local bucket runs dry asks Redis
/// inline at most once per half interval. Without Redis (or while it is down) each instance refills locally at
/// the full rate, which is exact for one instance and lets N instances admit up to N times the rate.
public final class RateLimiter: Sendable {
    public enum Decision: Sendable, Equatable {
        case admitted
        /// Refused; try again after this many milliseconds.
        case limited(retryAfterMs: Int64)
    }

    struct KeyState {
        var bucket: TokenBucket
        /// Calls asked for since the last reconciliation (admitted or not).
        var demand = 0
        var lastUse: UInt64
        var lastInlineLease: UInt64 = 0
        /// Milliseconds until the shared bucket holds a token, from its last answer.
        var sharedWaitMs: Int64 = 0
    }

    private let redis: RedisClient?
    private let interval: Duration
    private let keys = Mutex<[Int64: KeyState]>([:])
    private let logger: Logger
    /// Whether the last lease from Redis worked; while not, buckets refill locally.
    private let sharedWorking = Atomic<Bool>(true)

    public init(redis: RedisClient?, interval: Duration, logger: Logger = Logger(label: "pulse.ratelimit")) {
        self.redis = redis
        self.interval = interval
        self.logger = logger
    }

    /// Redis key of a key's shared bucket.
    static func sharedKey(_ keyID: Int64) -> String { "pulse:ratelimit:\(keyID)" }

    private var shared: Bool { redis != nil && sharedWorking.load(ordering: .relaxed) }

    /// Takes one token for key `keyID` allowed `rate` calls per second with a bucket `burst` deep.
    public func admit(keyID: Int64, rate: Double, burst: Int) async -> Decision {
        let now = MonotonicClock.now()
        let shared = self.shared
        let first = keys.withLock { keys -> Decision? in
            var state =
                keys[keyID]
                ?? KeyState(
                    bucket: TokenBucket(rate: rate, burst: Double(burst), full: !shared, now: now), lastUse: now)
            state.bucket.configure(rate: rate, burst: Double(burst))
            state.demand += 1
            state.lastUse = now
            if !shared { state.bucket.refill(now: now) }
            defer { keys[keyID] = state }
            if state.bucket.take() { return .admitted }
            if shared, now &- state.lastInlineLease >= interval.wholeNanoseconds / 2 {
                state.lastInlineLease = now
                return nil  // ask Redis now
            }
            return .limited(retryAfterMs: retryAfter(state, shared: shared))
        }
        if let first { return first }
        await lease(
            keyID: keyID, rate: rate, burst: burst, want: max(1, Int(min(Double(burst), rate * interval.seconds))))
        return keys.withLock { keys in
            guard var state = keys[keyID] else { return .admitted }
            defer { keys[keyID] = state }
            if !self.shared { state.bucket.refill(now: MonotonicClock.now()) }
            return state.bucket.take() ? .admitted : .limited(retryAfterMs: retryAfter(state, shared: self.shared))
        }
    }

    private func retryAfter(_ state: KeyState, shared: Bool) -> Int64 {
        let local = state.bucket.millisecondsUntilToken()
        return shared ? max(local, state.sharedWaitMs, 1) : max(local, 1)
    }

    /// Leases for every key used lately what its recent demand needs; forgets keys idle for a minute.
    func reconcile() async {
        guard redis != nil else { return }
        let now = MonotonicClock.now()
        let wanted: [(Int64, Double, Int, Int)] = keys.withLock { keys in
            keys = keys.filter { now &- $0.value.lastUse < 60_000_000_000 }
            var wanted: [(Int64, Double, Int, Int)] = []
            for (id, var state) in keys where state.demand > 0 || state.bucket.tokens < 1 {
                // Two intervals of the demand just seen, less what is still here, within the bucket's depth.
                let need = min(state.bucket.capacity, Double(state.demand) * 2) - state.bucket.tokens
                state.demand = 0
                keys[id] = state
                if need >= 1 { wanted.append((id, state.bucket.rate, Int(state.bucket.capacity), Int(need))) }
            }
            return wanted
        }
        for (id, rate, burst, want) in wanted { await lease(keyID: id, rate: rate, burst: burst, want: want) }
    }

    /// Runs ``reconcile()`` every interval until cancelled.
    func run() async {
        guard let redis else { return }
        while !Task.isCancelled {
            await reconcile()
            try? await redis.loop.sleep(nanoseconds: interval.wholeNanoseconds)
        }
    }

    private func lease(keyID: Int64, rate: Double, burst: Int, want: Int) async {
        guard let redis else { return }
        let capacity = burst > 0 ? burst : max(1, Int(rate.rounded(.up)))
        do {
            let reply = try await redis.command(
                "EVAL", RedisArgument(Self.leaseScript), "1", RedisArgument(Self.sharedKey(keyID)), RedisArgument(rate),
                RedisArgument(capacity), RedisArgument(want), timeout: .milliseconds(500))
            guard case .array(let parts) = reply, parts.count == 2, case .integer(let granted) = parts[0],
                case .integer(let waitMs) = parts[1]
            else { throw RedisError(.server, "unexpected reply to the rate-limit lease") }
            sharedWorking.store(true, ordering: .relaxed)
            keys.withLock { keys in
                keys[keyID]?.bucket.add(Double(granted))
                keys[keyID]?.sharedWaitMs = waitMs
            }
        } catch {
            if sharedWorking.exchange(false, ordering: .relaxed) {
                logger.warning("rate limits fall back to local buckets: \(error)")
            }
        }
    }

    /// KEYS[1]: the shared bucket; ARGV: rate per second, capacity, tokens wanted. Refills by Redis' own clock
    /// (one clock for every instance), grants what it holds up to the want, and returns {granted, ms until the
    /// next token}. The key expires once it would be full again anyway.
    static let leaseScript = """
        local rate = tonumber(ARGV[1])
        local capacity = tonumber(ARGV[2])
        local want = tonumber(ARGV[3])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
        local tokens = tonumber(b[1]) or capacity
        local ts = tonumber(b[2]) or now
        if now > ts then tokens = math.min(capacity, tokens + (now - ts) * rate / 1000) end
        local granted = math.min(want, math.floor(tokens))
        if granted < 0 then granted = 0 end
        tokens = tokens - granted
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
        redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
        local wait = 0
        if tokens < 1 then wait = math.ceil((1 - tokens) * 1000 / rate) end
        return {granted, wait}
        """
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}

import PulseStore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Grants Alpha Vantage requests within the key's budget. The budget belongs to the key, not to a process:
/// ``RedisRequestPacer`` shares it between every instance.
public protocol RequestPacer: Sendable {
    /// Returns when one request may be sent (waiting out a per-minute window if needed); throws
    /// `.dailyQuotaExhausted` when today's budget is spent, `.pacerUnavailable` when it cannot tell.
    func acquire() async throws(AlphaVantageError)
}

/// No budget at all (tests, keys without limits).
public struct UnlimitedPacer: RequestPacer {
    public init() {}
    public func acquire() async throws(AlphaVantageError) {}
}

/// A key's request budget: one window per US/Eastern day (`dailyLimit`) and one per minute (`perMinuteLimit`),
/// each counted from zero when it begins. ``acquire(reserve:)`` is the waiting rule both pacers share: a full
/// minute is waited out (up to `maximumWait`), a full day throws `.dailyQuotaExhausted` with the time until
/// midnight US/Eastern.
struct PacerBudget: Sendable {
    /// One window a request counts against at time `t`: its name (unique per window instance), kind, limit, and
    /// how long its count must be kept (to the window's end, with slack).
    struct Window {
        var name: String
        var kind: String
        var limit: Int
        var ttlMilliseconds: Int64
    }

    let dailyLimit: Int
    let perMinuteLimit: Int
    let maximumWait: Duration

    func windows(at t: Int64) -> [Window] {
        var windows: [Window] = []
        if perMinuteLimit > 0 {
            let minute = t / 60
            windows.append(
                Window(
                    name: "minute:\(minute)", kind: "minute", limit: perMinuteLimit,
                    ttlMilliseconds: (minute + 1) * 60_000 - t * 1000 + 1000))
        }
        if dailyLimit > 0 {
            let day = EasternDay.of(t)
            windows.append(
                Window(
                    name: "day:\(day)", kind: "day", limit: dailyLimit,
                    ttlMilliseconds: (EasternDay.start(of: day + 1) - t) * 1000 + 3_600_000))
        }
        return windows
    }

    /// Calls `reserve` (granted, or the full window's kind and milliseconds left) until a request is granted.
    func acquire(
        shared: String, reserve: () async throws(AlphaVantageError) -> (granted: Bool, kind: String, Int64)
    ) async throws(AlphaVantageError) {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: maximumWait)
        while true {
            let (granted, kind, remainingMilliseconds) = try await reserve()
            if granted { return }
            let wait = Duration.milliseconds(max(remainingMilliseconds, 1))
            if kind == "day" {
                throw AlphaVantageError(
                    .dailyQuotaExhausted,
                    "the \(shared)budget of \(dailyLimit) Alpha Vantage requests for today is spent",
                    retryAfter: wait)
            }
            guard clock.now.advanced(by: wait) <= deadline else {
                throw AlphaVantageError(
                    .rateLimited, "the \(shared)budget of \(perMinuteLimit) requests a minute is spent",
                    retryAfter: wait)
            }
            do {
                try await Task.sleep(for: wait)
            } catch {
                throw AlphaVantageError(.transport, "cancelled while waiting for the request budget")
            }
        }
    }
}

/// The key's budget (``PacerBudget``) counted in this process: for one instance without Redis. Instances sharing
/// a key need ``RedisRequestPacer``, or each would spend the whole budget.
public final class LocalRequestPacer: RequestPacer {
    private let budget: PacerBudget
    private let now: @Sendable () -> Int64
    /// Each window's count and when it may be forgotten (Unix milliseconds).
    private let used = Mutex<[String: (count: Int, expiresMs: Int64)]>([:])

    public init(
        dailyLimit: Int, perMinuteLimit: Int = 0, maximumWait: Duration = .seconds(120),
        now: @escaping @Sendable () -> Int64 = RedisRequestPacer.wallClock
    ) {
        budget = PacerBudget(dailyLimit: dailyLimit, perMinuteLimit: perMinuteLimit, maximumWait: maximumWait)
        self.now = now
    }

    public convenience init(configuration: AlphaVantageConfiguration) {
        self.init(dailyLimit: configuration.dailyLimit, perMinuteLimit: configuration.perMinuteLimit)
    }

    public func acquire() async throws(AlphaVantageError) {
        try await budget.acquire(shared: "") { () throws(AlphaVantageError) in reserve() }
    }

    private func reserve() -> (granted: Bool, kind: String, Int64) {
        let t = now()
        let windows = budget.windows(at: t)
        return used.withLock { used in
            used = used.filter { $0.value.expiresMs > t * 1000 }
            for window in windows where (used[window.name]?.count ?? 0) >= window.limit {
                return (false, window.kind, (used[window.name]?.expiresMs ?? t * 1000) - t * 1000)
            }
            for window in windows {
                let count = (used[window.name]?.count ?? 0) + 1
                used[window.name] = (count, used[window.name]?.expiresMs ?? t * 1000 + window.ttlMilliseconds)
            }
            return (true, "", 0)
        }
    }
}

/// A request budget per key kept in Redis, so every instance using the key draws on the same count
/// (``PacerBudget``'s windows), checked and incremented together by one Lua script (atomic in Redis), each
/// expiring with its window.
///
/// Keys: `pulse:av:quota:<id>:day:<day>` and `…:minute:<minute>`, where `<id>` is the first 16 hex digits of
/// the API key's SHA-256 (the key itself never reaches Redis).
public final class RedisRequestPacer: RequestPacer {
    static let script = """
        for i = 1, #KEYS do
          local used = tonumber(redis.call('GET', KEYS[i]) or '0')
          if used >= tonumber(ARGV[2 * i - 1]) then return {0, i, redis.call('PTTL', KEYS[i])} end
        end
        for i = 1, #KEYS do
          local n = redis.call('INCR', KEYS[i])
          if n == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[2 * i]) end
        end
        return {1, 0, 0}
        """

    private let redis: RedisClient
    private let keyID: String
    private let budget: PacerBudget
    public var dailyLimit: Int { budget.dailyLimit }
    public var perMinuteLimit: Int { budget.perMinuteLimit }
    public var maximumWait: Duration { budget.maximumWait }
    private let now: @Sendable () -> Int64

    /// - Parameters:
    ///   - apiKey: the key whose budget this is (hashed; never stored).
    ///   - dailyLimit: requests per US/Eastern day, 0 = none (free tier: 25).
    ///   - perMinuteLimit: requests per minute, 0 = none (premium plans: 75 and up).
    ///   - now: the current time in Unix seconds (tests move it).
    public init(
        redis: RedisClient, apiKey: String, dailyLimit: Int, perMinuteLimit: Int = 0,
        maximumWait: Duration = .seconds(120), now: @escaping @Sendable () -> Int64 = RedisRequestPacer.wallClock
    ) {
        self.redis = redis
        self.keyID = String(SHA256.hex(SHA256.hash(Array(apiKey.utf8))).prefix(16))
        budget = PacerBudget(dailyLimit: dailyLimit, perMinuteLimit: perMinuteLimit, maximumWait: maximumWait)
        self.now = now
    }

    public convenience init(redis: RedisClient, configuration: AlphaVantageConfiguration) {
        self.init(
            redis: redis, apiKey: configuration.apiKey, dailyLimit: configuration.dailyLimit,
            perMinuteLimit: configuration.perMinuteLimit)
    }

    public func acquire() async throws(AlphaVantageError) {
        try await budget.acquire(shared: "shared ") { () throws(AlphaVantageError) in try await reserve() }
    }

    /// One atomic check-and-count: whether a request may go now, else which window is full and for how long.
    private func reserve() async throws(AlphaVantageError) -> (granted: Bool, kind: String, Int64) {
        let windows = budget.windows(at: now())
        guard !windows.isEmpty else { return (true, "", 0) }
        var arguments: [RedisArgument] = ["EVAL", RedisArgument(Self.script), RedisArgument(windows.count)]
        arguments += windows.map { RedisArgument("pulse:av:quota:\(keyID):\($0.name)") }
        for window in windows { arguments += [RedisArgument(window.limit), RedisArgument(window.ttlMilliseconds)] }
        let reply: RedisValue
        do {
            reply = try await redis.command(arguments)
        } catch {
            throw AlphaVantageError(.pacerUnavailable, "cannot reach the shared request budget: \(error.message)")
        }
        guard let parts = reply.array, parts.count == 3, let granted = parts[0].integer,
            let index = parts[1].integer, let ttl = parts[2].integer
        else { throw AlphaVantageError(.pacerUnavailable, "unexpected pacer reply \(reply)") }
        if granted == 1 { return (true, "", 0) }
        // PTTL is -1 for a key without expiry (never set by us) or -2 when it just expired: retry soon.
        return (false, windows[Int(index) - 1].kind, ttl > 0 ? ttl : 10)
    }

    /// Unix time in seconds.
    public static let wallClock: @Sendable () -> Int64 = {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec)
    }
}

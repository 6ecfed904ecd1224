import PulseStore

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

/// A request budget per key kept in Redis, so every instance using the key draws on the same count: one
/// counter per US/Eastern day (`dailyLimit`) and one per minute (`perMinuteLimit`), checked and incremented
/// together by one Lua script (atomic in Redis), each expiring with its window. A full minute is waited out
/// (up to `maximumWait`); a full day throws `.dailyQuotaExhausted` with the time until midnight US/Eastern.
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
    public let dailyLimit: Int
    public let perMinuteLimit: Int
    public let maximumWait: Duration
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
        self.dailyLimit = dailyLimit
        self.perMinuteLimit = perMinuteLimit
        self.maximumWait = maximumWait
        self.now = now
    }

    public convenience init(redis: RedisClient, configuration: AlphaVantageConfiguration) {
        self.init(
            redis: redis, apiKey: configuration.apiKey, dailyLimit: configuration.dailyLimit,
            perMinuteLimit: configuration.perMinuteLimit)
    }

    public func acquire() async throws(AlphaVantageError) {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: maximumWait)
        while true {
            let (granted, window, remainingMilliseconds) = try await reserve()
            if granted { return }
            let wait = Duration.milliseconds(max(remainingMilliseconds, 1))
            if window == "day" {
                throw AlphaVantageError(
                    .dailyQuotaExhausted,
                    "the shared budget of \(dailyLimit) Alpha Vantage requests for today is spent",
                    retryAfter: wait)
            }
            guard clock.now.advanced(by: wait) <= deadline else {
                throw AlphaVantageError(
                    .rateLimited, "the shared budget of \(perMinuteLimit) requests a minute is spent",
                    retryAfter: wait)
            }
            do {
                try await Task.sleep(for: wait)
            } catch {
                throw AlphaVantageError(.transport, "cancelled while waiting for the request budget")
            }
        }
    }

    /// One atomic check-and-count: whether a request may go now, else which window is full and for how long.
    private func reserve() async throws(AlphaVantageError) -> (Bool, String, Int64) {
        let t = now()
        var keys: [(key: String, window: String, limit: Int, ttlMilliseconds: Int64)] = []
        if perMinuteLimit > 0 {
            let minute = t / 60
            keys.append(
                (
                    "pulse:av:quota:\(keyID):minute:\(minute)", "minute", perMinuteLimit,
                    (minute + 1) * 60_000 - t * 1000 + 1000
                ))
        }
        if dailyLimit > 0 {
            let day = EasternDay.of(t)
            let ttl = (EasternDay.start(of: day + 1) - t) * 1000 + 3_600_000
            keys.append(("pulse:av:quota:\(keyID):day:\(day)", "day", dailyLimit, ttl))
        }
        guard !keys.isEmpty else { return (true, "", 0) }
        var arguments: [RedisArgument] = ["EVAL", RedisArgument(Self.script), RedisArgument(keys.count)]
        arguments += keys.map { RedisArgument($0.key) }
        for key in keys { arguments += [RedisArgument(key.limit), RedisArgument(key.ttlMilliseconds)] }
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
        let window = keys[Int(index) - 1].window
        // PTTL is -1 for a key without expiry (never set by us) or -2 when it just expired: retry soon.
        return (false, window, ttl > 0 ? ttl : 10)
    }

    /// Unix time in seconds.
    public static let wallClock: @Sendable () -> Int64 = {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec)
    }
}

import PulseIO
import PulseStore
import Synchronization

/// How instances learn that keys were revoked: `pulse keys revoke` increments ``versionKey`` in Redis, and every
/// server polls it. A change bumps ``generation``, which empties every loop's key cache at its next use.
///
/// While the feed works (polled successfully within ``staleAfter``) verified keys are trusted for the long TTL;
/// without Redis, or when polls fail, only for the short one, so a revocation is noticed within that bound.
public final class RevocationFeed: Sendable {
    /// The Redis key holding the revocation counter.
    public static let versionKey = "pulse:auth:keys-version"

    private let redis: RedisClient?
    private let interval: Duration
    /// A poll older than this means the feed is not working.
    let staleAfter: UInt64
    private let generationValue = Atomic<UInt64>(0)
    private let lastSuccess = Atomic<UInt64>(0)

    public init(redis: RedisClient?, interval: Duration) {
        self.redis = redis
        self.interval = interval
        staleAfter = max(interval.wholeNanoseconds * 5, 1_000_000_000)
    }

    /// Changes whenever a revocation was announced (or the counter was lost, which may hide one).
    public var generation: UInt64 { generationValue.load(ordering: .acquiring) }

    /// Whether revocations are arriving now.
    public func isLive(now: UInt64 = MonotonicClock.now()) -> Bool {
        let last = lastSuccess.load(ordering: .relaxed)
        return redis != nil && last != 0 && now &- last < staleAfter
    }

    /// Polls until cancelled. Runs on the Redis client's loop.
    public func run() async {
        guard let redis else { return }
        var seen: String?? = .none
        while !Task.isCancelled {
            if let value = try? await redis.command("GET", RedisArgument(Self.versionKey), timeout: .seconds(1)) {
                let current = value.string
                // A change, and also the first answer after none (start-up, an outage): keys cached before it
                // may have been revoked while nobody was listening, so they are checked again.
                let resumed = !isLive()
                if resumed || seen != .some(current) { generationValue.add(1, ordering: .releasing) }
                seen = .some(current)
                lastSuccess.store(MonotonicClock.now(), ordering: .relaxed)
            }
            try? await redis.loop.sleep(nanoseconds: interval.wholeNanoseconds)
        }
    }

    /// Announces a revocation to every instance (the CLI calls this after revoking).
    public static func announce(on redis: RedisClient) async throws(RedisError) {
        try await redis.command("INCR", RedisArgument(versionKey))
    }
}

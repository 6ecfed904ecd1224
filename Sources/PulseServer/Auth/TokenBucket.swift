/// A token bucket: `capacity` tokens at most, refilled at `rate` per second (locally), or topped up with tokens
/// leased elsewhere (``add(_:)``). A value type with no clock of its own, so its arithmetic is tested directly.
public struct TokenBucket: Sendable, Equatable {
    public private(set) var rate: Double
    public private(set) var capacity: Double
    public private(set) var tokens: Double
    private var updatedAt: UInt64

    /// - Parameters:
    ///   - burst: the depth; 0 means one second of `rate` (at least one token).
    ///   - full: start full (a local bucket) or empty (one fed by leases).
    public init(rate: Double, burst: Double, full: Bool, now: UInt64) {
        self.rate = rate
        capacity = Self.capacity(rate: rate, burst: burst)
        tokens = full ? capacity : 0
        updatedAt = now
    }

    static func capacity(rate: Double, burst: Double) -> Double {
        burst > 0 ? burst : max(1, rate.rounded(.up))
    }

    /// Takes a key's current limits (they may change when the key is looked up again).
    public mutating func configure(rate: Double, burst: Double) {
        self.rate = rate
        capacity = Self.capacity(rate: rate, burst: burst)
        tokens = min(tokens, capacity)
    }

    /// Adds what `rate` earned since the last refill (monotonic nanoseconds).
    public mutating func refill(now: UInt64) {
        if now > updatedAt {
            tokens = min(capacity, tokens + Double(now - updatedAt) / 1e9 * rate)
        }
        updatedAt = now
    }

    /// Adds leased tokens, up to the capacity.
    public mutating func add(_ count: Double) {
        tokens = min(capacity, tokens + count)
    }

    /// Takes one token if there is one.
    public mutating func take() -> Bool {
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Milliseconds until the local refill makes a whole token.
    public func millisecondsUntilToken() -> Int64 {
        guard tokens < 1, rate > 0 else { return 0 }
        return Int64(((1 - tokens) / rate * 1000).rounded(.up))
    }
}

/// How to reach Alpha Vantage and how much of it this key may use.
///
/// From the environment (``init(environment:)``): `ALPHA_VANTAGE_API_KEY`, `ALPHA_VANTAGE_BASE_URL`,
/// `ALPHA_VANTAGE_ENTITLEMENT` (`realtime`|`delayed`, premium keys), `ALPHA_VANTAGE_DAILY_LIMIT` (default 25, the
/// free tier; 0 = none), `ALPHA_VANTAGE_PER_MINUTE` (premium plans' rate, e.g. 75; default 0 = none).
public struct AlphaVantageConfiguration: Sendable {
    public static let defaultBaseURL = "https://www.alphavantage.co/query"

    public var apiKey: String
    /// The `/query` endpoint; tests point it at a local fake.
    public var baseURL: String
    /// `entitlement=` for premium keys (`realtime` or `delayed`); nil sends none (end-of-day data on free keys).
    public var entitlement: AlphaVantageEntitlement?
    /// Requests per US/Eastern day for the key, shared by every instance through the pacer; 0 = unlimited.
    public var dailyLimit: Int
    /// Requests per minute for the key; 0 = unlimited.
    public var perMinuteLimit: Int
    public var retry: RetryPolicy
    /// The pause after a `Note` (Alpha Vantage's per-minute limit) before the next attempt.
    public var rateLimitPause: Duration
    public var timeout: Duration

    public init(
        apiKey: String, baseURL: String = AlphaVantageConfiguration.defaultBaseURL,
        entitlement: AlphaVantageEntitlement? = nil, dailyLimit: Int = 25, perMinuteLimit: Int = 0,
        retry: RetryPolicy = RetryPolicy(), rateLimitPause: Duration = .seconds(60), timeout: Duration = .seconds(30)
    ) {
        self.apiKey = apiKey
        self.baseURL = baseURL
        self.entitlement = entitlement
        self.dailyLimit = dailyLimit
        self.perMinuteLimit = perMinuteLimit
        self.retry = retry
        self.rateLimitPause = rateLimitPause
        self.timeout = timeout
    }

    /// Reads the `ALPHA_VANTAGE_*` variables of `environment`.
    /// - Throws: `.missingAPIKey` without a key; `.invalidCall` for a value that cannot be used.
    public init(environment: [String: String]) throws(AlphaVantageError) {
        guard let key = environment["ALPHA_VANTAGE_API_KEY"], !key.isEmpty else {
            throw AlphaVantageError(.missingAPIKey, "set ALPHA_VANTAGE_API_KEY (https://www.alphavantage.co/support/)")
        }
        self.init(apiKey: key)
        if let url = environment["ALPHA_VANTAGE_BASE_URL"], !url.isEmpty { baseURL = url }
        if let text = environment["ALPHA_VANTAGE_ENTITLEMENT"], !text.isEmpty {
            guard let value = AlphaVantageEntitlement(rawValue: text) else {
                throw AlphaVantageError(.invalidCall, "ALPHA_VANTAGE_ENTITLEMENT must be realtime or delayed")
            }
            entitlement = value
        }
        func count(_ name: String) throws(AlphaVantageError) -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Int(text), value >= 0 else {
                throw AlphaVantageError(
                    .invalidCall, "\(name) must be a whole number ≥ 0, not \(text.debugDescription)")
            }
            return value
        }
        if let value = try count("ALPHA_VANTAGE_DAILY_LIMIT") { dailyLimit = value }
        if let value = try count("ALPHA_VANTAGE_PER_MINUTE") { perMinuteLimit = value }
    }
}

/// Premium keys' `entitlement=` parameter.
public enum AlphaVantageEntitlement: String, Sendable {
    case realtime, delayed
}

/// Retries with exponential backoff and full jitter: attempt n waits a random time in [d/2, d] where
/// d = min(initialDelay · 2ⁿ⁻¹, maximumDelay), so instances that failed together do not retry in lockstep.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included (1 = no retry).
    public var maximumAttempts: Int
    public var initialDelay: Duration
    public var maximumDelay: Duration

    public init(maximumAttempts: Int = 4, initialDelay: Duration = .seconds(1), maximumDelay: Duration = .seconds(60)) {
        self.maximumAttempts = max(1, maximumAttempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }

    /// The pause before attempt `attempt + 1`, after `attempt` (≥ 1) failed attempts.
    public func delay(after attempt: Int) -> Duration {
        let base = initialDelay.wholeNanoseconds
        let cap = maximumDelay.wholeNanoseconds
        let shift = min(attempt - 1, 40)
        let step = base > cap >> UInt64(shift) ? cap : min(cap, base << UInt64(shift))
        return .nanoseconds(Int64(UInt64.random(in: step / 2...max(step, 1))))
    }
}

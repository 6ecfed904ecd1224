/// One row of `api_keys`: what a key may do and until when. The key itself is never stored, only its SHA-256.
public struct APIKeyRecord: Sendable, Equatable {
    public var id: Int64
    public var name: String
    /// The first characters of the key (`pt_1a2b3c4d`), so an operator can tell keys apart without the secret.
    public var prefix: String
    public var scopes: [String]
    /// Calls per second allowed (0: unlimited) and the bucket's depth (0: one second of `rate`).
    public var rate: Double
    public var burst: Int
    /// Server streams open at once (0: unlimited).
    public var maxStreams: Int
    /// Microseconds since the Unix epoch; nil for a key that never expires / was never revoked.
    public var expiresAtMicros: Int64?
    public var revokedAtMicros: Int64?
    public var createdAtMicros: Int64

    public init(
        id: Int64, name: String, prefix: String, scopes: [String], rate: Double = 0, burst: Int = 0,
        maxStreams: Int = 0, expiresAtMicros: Int64? = nil, revokedAtMicros: Int64? = nil, createdAtMicros: Int64 = 0
    ) {
        self.id = id
        self.name = name
        self.prefix = prefix
        self.scopes = scopes
        self.rate = rate
        self.burst = burst
        self.maxStreams = maxStreams
        self.expiresAtMicros = expiresAtMicros
        self.revokedAtMicros = revokedAtMicros
        self.createdAtMicros = createdAtMicros
    }
}

/// What a new key is created with (besides its hash).
public struct NewAPIKey: Sendable {
    public var name: String
    public var hash: [UInt8]
    public var prefix: String
    public var scopes: [String]
    public var rate: Double
    public var burst: Int
    public var maxStreams: Int
    public var expiresAtMicros: Int64?

    public init(
        name: String, hash: [UInt8], prefix: String, scopes: [String], rate: Double = 0, burst: Int = 0,
        maxStreams: Int = 0, expiresAtMicros: Int64? = nil
    ) {
        self.name = name
        self.hash = hash
        self.prefix = prefix
        self.scopes = scopes
        self.rate = rate
        self.burst = burst
        self.maxStreams = maxStreams
        self.expiresAtMicros = expiresAtMicros
    }
}

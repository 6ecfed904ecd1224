/// Whether calls need an API key (`--auth` / `PULSE_AUTH`), and how long verified keys are trusted.
public struct AuthSettings: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        /// On for a non-loopback address, off on loopback (the default).
        case auto
        case on
        case off
    }

    public var mode: Mode = .auto
    /// How long a verified key is trusted while revocations arrive through Redis (its watcher polls every
    /// ``revocationPollInterval``).
    public var trustedCacheTTL: Duration = .seconds(60)
    /// How long it is trusted without a working revocation feed (no Redis, or Redis down): bounds how late a
    /// revocation is noticed then.
    public var shortCacheTTL: Duration = .seconds(1)
    public var revocationPollInterval: Duration = .milliseconds(200)
    /// How often rate-limit buckets are reconciled with the other instances through Redis.
    public var reconcileInterval: Duration = .milliseconds(100)

    public init() {}

    /// Whether auth is on for a server bound to `host`.
    public func isEnabled(host: String) -> Bool {
        switch mode {
        case .on: return true
        case .off: return false
        case .auto: return !Self.isLoopback(host)
        }
    }

    /// `localhost`, `127.0.0.0/8` and `::1`.
    public static func isLoopback(_ host: String) -> Bool {
        let trimmed = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if trimmed == "localhost" || trimmed == "::1" { return true }
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

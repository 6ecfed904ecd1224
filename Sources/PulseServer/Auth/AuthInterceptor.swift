import PulseIO
import PulseProtocol
import PulseRPC
import PulseStore

#if canImport(Glibc)
    import Glibc
#endif

/// Who may call what, and how much: every call but health needs `authorization: Bearer <key>` (or `x-api-key`)
/// naming a key that exists, is not revoked or expired, and holds the method's scope (``APIKeyScope``); then the
/// key's rate (``RateLimiter``) and open-stream limits apply. Handlers never look at credentials.
///
/// Missing, malformed, unknown, revoked or expired keys are UNAUTHENTICATED; a missing scope PERMISSION_DENIED; a
/// limit RESOURCE_EXHAUSTED with a `google.rpc.RetryInfo` in `grpc-status-details-bin`; a key store that cannot
/// answer UNAVAILABLE.
struct AuthInterceptor: ServerInterceptor {
    let verifier: KeyVerifier
    let limiter: RateLimiter
    let streams: StreamSlots

    var hooks: ServerInterceptorHooks { .start }
    static let authorizationName = Array("authorization".utf8)

    /// A key found in this loop's cache with no rate limit is decided here, without suspending (most calls).
    func admitWithoutSuspending(_ context: ServerContext) throws -> Bool {
        guard let scope = APIKeyScope.required(for: context.method) else { return true }
        guard let header = context.metadata.textBytes(utf8Name: Self.authorizationName),
            let key = try verifier.cached(header, on: context.loop), key.record.rate <= 0,
            !(streams.isShared && Self.limitsStreams(key.record, context))
        else { return false }
        try Self.check(key, scope: scope, context)
        try acquireLocalStream(key.record, context)
        return true
    }

    func willStart(_ context: ServerContext) async throws {
        guard let scope = APIKeyScope.required(for: context.method) else { return }
        let metadata = context.metadata
        let key: VerifiedKey
        if let header = metadata.textBytes(utf8Name: Self.authorizationName) {
            if let known = try verifier.cached(header, on: context.loop) {
                key = known
            } else {
                key = try await verifier.record(
                    presented: String(decoding: header, as: UTF8.self), parse: Self.bearerKey, on: context.loop)
            }
        } else if let header = metadata["x-api-key"] {
            key = try await verifier.record(presented: header, parse: Self.plainKey, on: context.loop)
        } else {
            throw GRPCStatus(.unauthenticated, "missing API key: send metadata `authorization: Bearer <key>`")
        }
        try Self.check(key, scope: scope, context)
        let record = key.record
        if record.rate > 0 {
            let decision = await limiter.admit(keyID: record.id, rate: record.rate, burst: record.burst)
            if case .limited(let retryAfterMs) = decision {
                throw Self.exhausted(
                    context, "API key '\(record.name)' is over its rate of \(record.rate) calls per second",
                    retryAfterMs: retryAfterMs)
            }
        }
        try await acquireStream(record, context)
    }

    /// Revoked, expired, or without the method's scope: refused.
    private static func check(_ key: VerifiedKey, scope: APIKeyScope, _ context: ServerContext) throws(GRPCStatus) {
        // Fields read through `key` (not a local copy of the record): the common pass retains none of its strings.
        if key.record.revokedAtMicros != nil {
            throw GRPCStatus(.unauthenticated, "API key '\(key.record.name)' was revoked")
        }
        // The wall clock only for a key that expires: most calls skip the system call.
        if let expires = key.record.expiresAtMicros, expires <= Self.wallClockMicros() {
            throw GRPCStatus(.unauthenticated, "API key '\(key.record.name)' has expired")
        }
        guard key.holds(scope) else {
            throw GRPCStatus(
                .permissionDenied,
                "API key '\(key.record.name)' lacks scope '\(scope.rawValue)' needed by \(context.method.path) "
                    + "(it has \(key.record.scopes.joined(separator: ",")))")
        }
    }

    /// A server stream of a key with a stream limit takes one of its slots until the call ends.
    private static func limitsStreams(_ record: APIKeyRecord, _ context: ServerContext) -> Bool {
        context.method.kind == .serverStreaming && record.maxStreams > 0
    }

    /// A stream slot counted across instances when Redis is there (``StreamSlots``), released when the call ends.
    private func acquireStream(_ record: APIKeyRecord, _ context: ServerContext) async throws(GRPCStatus) {
        guard Self.limitsStreams(record, context) else { return }
        try hold(await streams.acquire(keyID: record.id, limit: record.maxStreams), record, context)
    }

    private func acquireLocalStream(_ record: APIKeyRecord, _ context: ServerContext) throws(GRPCStatus) {
        guard Self.limitsStreams(record, context) else { return }
        try hold(streams.acquireLocal(keyID: record.id, limit: record.maxStreams), record, context)
    }

    private func hold(_ slot: StreamSlots.Slot?, _ record: APIKeyRecord, _ context: ServerContext) throws(GRPCStatus) {
        guard let slot else {
            throw Self.exhausted(
                context, "API key '\(record.name)' already has \(record.maxStreams) streams open, its limit",
                retryAfterMs: 1000)
        }
        let streams = self.streams
        context.onCallEnd { streams.release(slot) }
    }

    /// RESOURCE_EXHAUSTED with a RetryInfo detail.
    private static func exhausted(_ context: ServerContext, _ message: String, retryAfterMs: Int64) -> GRPCStatus {
        let status = GRPCStatus(.resourceExhausted, message + "; retry after \(retryAfterMs) ms")
        context.addTrailer(
            "grpc-status-details-bin", .binary(status.detailsWithRetryInfo(retryAfterMs: retryAfterMs)))
        return status
    }

    /// The key of an `authorization: Bearer <key>` value (the scheme in any case).
    static func bearerKey(_ header: String) -> String? {
        let bytes = Array(header.utf8)
        let scheme = Array("bearer ".utf8)
        guard bytes.count > scheme.count else { return nil }
        for index in 0..<scheme.count where bytes[index] | 0x20 != scheme[index] { return nil }
        return trimmingSpaces(bytes[scheme.count...])
    }

    /// The key of an `x-api-key: <key>` value.
    static func plainKey(_ header: String) -> String? { trimmingSpaces(Array(header.utf8)[...]) }

    static func wallClockMicros() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &now)  // expiry needs no more than a few ms of precision
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }
}

/// `bytes` without leading and trailing spaces and tabs, as a string.
func trimmingSpaces(_ bytes: ArraySlice<UInt8>) -> String {
    var start = bytes.startIndex
    var end = bytes.endIndex
    while start < end, bytes[start] == 32 || bytes[start] == 9 { start += 1 }
    while end > start, bytes[end - 1] == 32 || bytes[end - 1] == 9 { end -= 1 }
    return String(decoding: bytes[start..<end], as: UTF8.self)
}

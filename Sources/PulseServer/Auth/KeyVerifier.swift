import Logging
import PulseIO
import PulseProtocol
import PulseStore

#if canImport(Glibc)
    import Glibc
#endif

/// Checks presented API keys against the key store, with a cache per loop so a known key costs no database
/// round trip: entries are trusted for ``AuthSettings/trustedCacheTTL`` while the ``RevocationFeed`` is live, for
/// ``AuthSettings/shortCacheTTL`` otherwise, and dropped whenever a revocation is announced.
///
/// Lookups go through a PostgreSQL pool of the call's loop (non-blocking libpq); concurrent lookups of one key on
/// a loop share one query. The key store being unreachable is UNAVAILABLE, never a pass.
final class KeyVerifier: Sendable {
    private struct Entry {
        var key: VerifiedKey?
        var verifiedAt: UInt64
        var generation: UInt64
    }
    private struct LoopState {
        /// The header value of the last hit and its entry: calls on a loop mostly repeat the same key, and
        /// comparing bytes is cheaper than hashing a string.
        var lastRaw: [UInt8] = []
        var last: Entry?
        var entries: [String: Entry] = [:]
        var inflight: [String: Task<APIKeyRecord?, any Error>] = [:]
    }

    /// Entries per loop before the cache is emptied (keeps a flood of made-up keys from growing it).
    static let maxEntries = 10_000
    /// Different keys being looked up at once per loop; beyond, calls with uncached keys get UNAVAILABLE.
    static let maxLookups = 64

    private let pools: LoopLocal<PostgresPool>?
    private let state: LoopLocal<LoopState>
    private let feed: RevocationFeed
    private let trustedTTL: UInt64
    private let shortTTL: UInt64
    private let logger: Logger

    init(
        database: PostgresConfiguration?, group: EventLoopGroup, feed: RevocationFeed, settings: AuthSettings,
        logger: Logger
    ) {
        var options = PostgresPool.Options()
        options.maxConnections = 2
        options.maxBackoff = .seconds(2)
        pools = database.map { configuration in
            LoopLocal(group: group) { PostgresPool(configuration: configuration, loop: $0, options: options) }
        }
        state = LoopLocal(group: group) { _ in LoopState() }
        self.feed = feed
        trustedTTL = settings.trustedCacheTTL.wholeNanoseconds
        shortTTL = settings.shortCacheTTL.wholeNanoseconds
        self.logger = logger
    }

    /// The record of the key a call presents (revoked and expired ones included: the caller decides). Runs on
    /// `loop`. The cache is keyed by the header's raw value, so a known key costs one dictionary lookup and no
    /// parsing; `parse` extracts the key from it on a miss.
    /// - Throws: UNAUTHENTICATED for a malformed key or one the store does not know, UNAVAILABLE when the store
    ///   cannot answer.
    func record(presented raw: String, parse: (String) -> String?, on loop: EventLoop) async throws(GRPCStatus)
        -> VerifiedKey
    {
        if let known = try cached(raw, on: loop) { return known }
        guard let key = parse(raw), APIKeySecret.isWellFormed(key) else {
            throw GRPCStatus(.unauthenticated, "invalid API key: keys look like pt_ followed by 64 hex digits")
        }
        return try await lookup(key, raw: raw, generation: feed.generation, on: loop)
    }

    /// The cached answer for the header value `raw`, when it is still trusted (synchronous: a hit never suspends
    /// the call).
    func cached(_ raw: ArraySlice<UInt8>, on loop: EventLoop) throws(GRPCStatus) -> VerifiedKey? {
        let generation = feed.generation
        // The repeat of the last hit: compared in place, the entry copied only when it is the one.
        if let last = state[loop].last, last.generation == generation, Self.same(state[loop].lastRaw, raw),
            let key = try trusted(last)
        {
            return key
        }
        let text = String(decoding: raw, as: UTF8.self)
        guard let entry = state[loop].entries[text], entry.generation == generation else { return nil }
        let key = try trusted(entry)
        if key != nil {
            state[loop].lastRaw = Array(raw)
            state[loop].last = entry
        }
        return key
    }

    func cached(_ raw: String, on loop: EventLoop) throws(GRPCStatus) -> VerifiedKey? {
        try cached(Array(raw.utf8)[...], on: loop)
    }

    /// Byte equality through `memcmp` (a generic `elementsEqual` walks element by element).
    private static func same(_ stored: [UInt8], _ raw: ArraySlice<UInt8>) -> Bool {
        guard stored.count == raw.count else { return false }
        return stored.withUnsafeBytes { left in
            raw.withUnsafeBytes { right in memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0 }
        }
    }

    private func trusted(_ entry: Entry) throws(GRPCStatus) -> VerifiedKey? {
        let now = MonotonicClock.now()
        // An unknown key is remembered only briefly: a key created a moment ago must work at once.
        let ttl = entry.key != nil && feed.isLive(now: now) ? trustedTTL : shortTTL
        guard now &- entry.verifiedAt < ttl else { return nil }
        return try Self.known(entry.key)
    }

    private func lookup(_ key: String, raw: String, generation: UInt64, on loop: EventLoop) async throws(GRPCStatus)
        -> VerifiedKey
    {
        guard let pools else {
            throw GRPCStatus(.unavailable, "authentication is on but this server has no key store (no database)")
        }
        let task: Task<APIKeyRecord?, any Error>
        if let running = state[loop].inflight[raw] {
            task = running
        } else if state[loop].inflight.count >= Self.maxLookups {
            // A flood of made-up keys must not queue unbounded work on the database.
            throw GRPCStatus(.unavailable, "too many API key checks in progress; try again later")
        } else {
            let pool = pools[loop]
            task = Task(executorPreference: loop) {
                try await APIKeyStore(pool: pool, timeout: .seconds(3)).lookup(hash: APIKeySecret.hash(key))
            }
            state[loop].inflight[raw] = task
        }
        let record: APIKeyRecord?
        do {
            record = try await task.value
        } catch {
            state[loop].inflight[raw] = nil
            logger.warning("API key store unavailable: \(error)")
            throw GRPCStatus(.unavailable, "the API key store is unavailable; try again later")
        }
        state[loop].inflight[raw] = nil
        if state[loop].entries.count >= Self.maxEntries { state[loop].entries.removeAll(keepingCapacity: true) }
        state[loop].last = nil  // the memo may hold this key's older entry
        let verified = record.map(VerifiedKey.init)
        state[loop].entries[raw] = Entry(key: verified, verifiedAt: MonotonicClock.now(), generation: generation)
        return try Self.known(verified)
    }

    private static func known(_ key: VerifiedKey?) throws(GRPCStatus) -> VerifiedKey {
        guard let key else { throw GRPCStatus(.unauthenticated, "unknown API key") }
        return key
    }

    /// Closes every loop's pool (at shutdown).
    func close() async {
        guard let pools else { return }
        _ = await pools.collect { pool in pool.close() }
    }
}

/// A key's record as the store returned it, with its scopes as bits: one immutable object per cache entry, so a
/// call that hits the cache costs a retain rather than a copy of the record's strings, and the scope check no
/// string comparison.
final class VerifiedKey: Sendable {
    let record: APIKeyRecord
    private let scopeBits: UInt8

    init(_ record: APIKeyRecord) {
        self.record = record
        var bits: UInt8 = 0
        for name in record.scopes {
            if let scope = APIKeyScope(rawValue: name) { bits |= Self.bit(scope) }
        }
        scopeBits = bits
    }

    /// The key may call what needs `scope` (`admin` holds them all).
    func holds(_ scope: APIKeyScope) -> Bool { scopeBits & (Self.bit(scope) | Self.bit(.admin)) != 0 }

    private static func bit(_ scope: APIKeyScope) -> UInt8 {
        switch scope {
        case .read: 1
        case .load: 2
        case .backtest: 4
        case .admin: 8
        }
    }
}

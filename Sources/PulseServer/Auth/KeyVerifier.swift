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
        var record: APIKeyRecord?
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
        -> APIKeyRecord
    {
        if let known = try cached(raw, on: loop) { return known }
        guard let key = parse(raw), APIKeySecret.isWellFormed(key) else {
            throw GRPCStatus(.unauthenticated, "invalid API key: keys look like pt_ followed by 64 hex digits")
        }
        return try await lookup(key, raw: raw, generation: feed.generation, on: loop)
    }

    /// The cached answer for the header value `raw`, when it is still trusted (synchronous: a hit never suspends
    /// the call).
    func cached(_ raw: ArraySlice<UInt8>, on loop: EventLoop) throws(GRPCStatus) -> APIKeyRecord? {
        let generation = feed.generation
        // The repeat of the last hit: compared in place, the entry copied only when it is the one.
        let repeated = state[loop].last?.generation == generation && Self.same(state[loop].lastRaw, raw)
        if repeated, let last = state[loop].last, let record = try trusted(last) {
            return record
        }
        let text = String(decoding: raw, as: UTF8.self)
        guard let entry = state[loop].entries[text], entry.generation == generation else { return nil }
        let record = try trusted(entry)
        if record != nil {
            state[loop].lastRaw = Array(raw)
            state[loop].last = entry
        }
        return record
    }

    func cached(_ raw: String, on loop: EventLoop) throws(GRPCStatus) -> APIKeyRecord? {
        try cached(Array(raw.utf8)[...], on: loop)
    }

    /// Byte equality through `memcmp` (a generic `elementsEqual` walks element by element).
    private static func same(_ stored: [UInt8], _ raw: ArraySlice<UInt8>) -> Bool {
        guard stored.count == raw.count else { return false }
        return stored.withUnsafeBytes { left in
            raw.withUnsafeBytes { right in memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0 }
        }
    }

    private func trusted(_ entry: Entry) throws(GRPCStatus) -> APIKeyRecord? {
        let now = MonotonicClock.now()
        // An unknown key is remembered only briefly: a key created a moment ago must work at once.
        let ttl = entry.record != nil && feed.isLive(now: now) ? trustedTTL : shortTTL
        guard now &- entry.verifiedAt < ttl else { return nil }
        return try Self.known(entry.record)
    }

    private func lookup(_ key: String, raw: String, generation: UInt64, on loop: EventLoop) async throws(GRPCStatus)
        -> APIKeyRecord
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
        state[loop].entries[raw] = Entry(record: record, verifiedAt: MonotonicClock.now(), generation: generation)
        return try Self.known(record)
    }

    private static func known(_ record: APIKeyRecord?) throws(GRPCStatus) -> APIKeyRecord {
        guard let record else { throw GRPCStatus(.unauthenticated, "unknown API key") }
        return record
    }

    /// Closes every loop's pool (at shutdown).
    func close() async {
        guard let pools else { return }
        _ = await pools.collect { pool in pool.close() }
    }
}

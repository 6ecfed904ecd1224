import PulseIO
import Synchronization

/// The tick log: one Redis Stream per symbol (`tick:{SYMBOL}`) whose entry ids are the symbol's sequence
/// numbers (`<sequence>-0`), so resuming after sequence N is one `XRANGE (N-0 +`.
///
/// Exactly one ingester writes a symbol. It claims the symbol with an epoch (issued by PostgreSQL with the
/// advisory lock that makes it the owner) and every append runs in a Lua script that checks that epoch
/// atomically with the `XADD`: a former owner that has not noticed it lost the lock is refused (`FENCED`),
/// because Redis alone refuses only ids at or below the stream's top and two writers could take turns.
///
/// Retention: at most `maxLength` entries (approximate trimming, `MAXLEN ~`) and, when `maxAge` is set, no
/// entry older than that (checked every `timeTrimInterval` appends). The guaranteed resume window is the
/// smaller of the two: `maxLength ÷ the symbol's tick rate`, and `maxAge`.
public struct TickLog: Sendable {
    /// One tick as the log keeps it (the symbol is the stream, the sequence the entry id).
    public struct Entry: Sendable, Equatable {
        public var sequence: UInt64
        public var timeMs: Int64
        public var price: Double
        public var size: Double
        public var bid: Double
        public var ask: Double
        public var ingestTimeUs: Int64

        public init(
            sequence: UInt64, timeMs: Int64, price: Double, size: Double = 0, bid: Double = 0, ask: Double = 0,
            ingestTimeUs: Int64 = 0
        ) {
            self.sequence = sequence
            self.timeMs = timeMs
            self.price = price
            self.size = size
            self.bid = bid
            self.ask = ask
            self.ingestTimeUs = ingestTimeUs
        }
    }

    /// What a resume returns: the retained ticks after the asked sequence, and the ones no longer retained.
    public struct Replay: Sendable, Equatable {
        public var entries: [Entry]
        /// Sequences after the resume point that were trimmed away (inclusive range), if any.
        public var missing: ClosedRange<UInt64>?
    }

    public let redis: RedisClient
    public var maxLength: Int
    public var maxAge: Duration?
    public var timeTrimInterval: UInt64 = 1_000

    /// The append script's SHA once Redis has it, so appends send `EVALSHA` and not the script's text.
    private let appendSHA = LoadedScript(TickLog.appendScript)

    public init(redis: RedisClient, maxLength: Int = 100_000, maxAge: Duration? = nil) {
        self.redis = redis
        self.maxLength = maxLength
        self.maxAge = maxAge
    }

    public static func streamKey(_ symbol: String) -> String { "tick:{\(symbol)}" }
    static func epochKey(_ symbol: String) -> String { "tick:{\(symbol)}:epoch" }

    /// Makes `epoch` the symbol's owner epoch unless a later one holds it; returns whether it does now.
    public func claim(_ symbol: String, epoch: UInt64) async throws(RedisError) -> Bool {
        let reply = try await redis.command(
            ["EVAL", RedisArgument(Self.claimScript), 1, RedisArgument(Self.epochKey(symbol)), RedisArgument(epoch)])
        return reply.integer == 1
    }

    /// The highest sequence in the log (0 when empty).
    public func lastSequence(_ symbol: String) async throws(RedisError) -> UInt64 {
        let reply = try await redis.command("XREVRANGE", RedisArgument(Self.streamKey(symbol)), "+", "-", "COUNT", 1)
        guard let first = reply.array?.first, let id = first.array?.first?.string else { return 0 }
        return Self.sequence(ofID: id) ?? 0
    }

    /// Appends ticks (strictly increasing sequences) as the owner of `epoch`, in one round trip.
    ///
    /// - Throws: `.server` with a message starting `FENCED` when another owner holds the symbol, or Redis'
    ///   own error when a sequence is at or below the log's top.
    public func append(_ symbol: String, epoch: UInt64, _ entries: [Entry]) async throws(RedisError) {
        guard !entries.isEmpty else { return }
        var arguments: [RedisArgument] = [
            2, RedisArgument(Self.streamKey(symbol)), RedisArgument(Self.epochKey(symbol)), RedisArgument(epoch),
            RedisArgument(maxLength),
        ]
        // The time cut-off for age trimming, when one is due in this batch (0: none).
        let cutoff: Int64
        if let maxAge, entries.contains(where: { $0.sequence % timeTrimInterval == 0 }) {
            let newest = entries.map(\.timeMs).max() ?? 0
            cutoff = newest - Int64(maxAge.components.seconds * 1000)
        } else {
            cutoff = 0
        }
        arguments.append(RedisArgument(cutoff))
        arguments.reserveCapacity(arguments.count + entries.count * 7)
        for entry in entries {
            arguments += [
                RedisArgument("\(entry.sequence)-0"), RedisArgument(entry.timeMs), RedisArgument(entry.price),
                RedisArgument(entry.size), RedisArgument(entry.bid), RedisArgument(entry.ask),
                RedisArgument(entry.ingestTimeUs),
            ]
        }
        try await appendSHA.run(arguments, on: redis)
    }

    /// The retained ticks after `sequence` (at most `limit`), and the range trimmed away before them.
    public func replay(_ symbol: String, after sequence: UInt64, limit: Int = 10_000) async throws(RedisError) -> Replay
    {
        let reply = try await redis.command(
            "XRANGE", RedisArgument(Self.streamKey(symbol)), RedisArgument("(\(sequence)-0"), "+", "COUNT",
            RedisArgument(limit))
        let entries = (reply.array ?? []).compactMap(Self.entry)
        var missing: ClosedRange<UInt64>?
        if let first = entries.first, first.sequence > sequence + 1 {
            missing = (sequence + 1)...(first.sequence - 1)
        } else if entries.isEmpty {
            // Nothing after the point: either the client is current, or everything after it was trimmed.
            let last = try await lastSequence(symbol)
            if last > sequence { missing = (sequence + 1)...last }
        }
        return Replay(entries: entries, missing: missing)
    }

    /// Waits up to `block` for ticks after the given sequence of each symbol; returns them by symbol.
    /// Blocking reads should use a client of their own, so they do not delay other commands.
    public func follow(_ after: [String: UInt64], block: Duration, count: Int = 1_000) async throws(RedisError)
        -> [String: [Entry]]
    {
        let symbols = after.keys.sorted()
        guard !symbols.isEmpty else { return [:] }
        let milliseconds = block.wholeMilliseconds
        var arguments: [RedisArgument] = ["XREAD", "COUNT", RedisArgument(count), "BLOCK", RedisArgument(milliseconds)]
        arguments.append("STREAMS")
        arguments += symbols.map { RedisArgument(Self.streamKey($0)) }
        arguments += symbols.map { RedisArgument("\(after[$0]!)-0") }
        let reply = try await redis.command(arguments, timeout: block + .seconds(2))
        var result: [String: [Entry]] = [:]
        for stream in reply.array ?? [] {
            guard let parts = stream.array, parts.count == 2, let key = parts[0].string else { continue }
            let symbol = String(key.dropFirst("tick:{".count).dropLast())
            result[symbol] = (parts[1].array ?? []).compactMap(Self.entry)
        }
        return result
    }

    // MARK: Encoding

    private static let fieldNames = ["t", "p", "s", "b", "a", "i"]

    static func sequence(ofID id: String) -> UInt64? {
        guard let dash = id.firstIndex(of: "-") else { return UInt64(id) }
        return UInt64(id[..<dash])
    }

    static func entry(_ value: RedisValue) -> Entry? {
        guard let parts = value.array, parts.count == 2, let id = parts[0].string,
            let sequence = sequence(ofID: id), let fields = parts[1].array
        else { return nil }
        var values: [String: String] = [:]
        var index = 0
        while index + 1 < fields.count {
            if let name = fields[index].string { values[name] = fields[index + 1].string }
            index += 2
        }
        return Entry(
            sequence: sequence, timeMs: values["t"].flatMap { Int64($0) } ?? 0,
            price: values["p"].flatMap { Double($0) } ?? 0, size: values["s"].flatMap { Double($0) } ?? 0,
            bid: values["b"].flatMap { Double($0) } ?? 0, ask: values["a"].flatMap { Double($0) } ?? 0,
            ingestTimeUs: values["i"].flatMap { Int64($0) } ?? 0)
    }

    /// KEYS: epoch key. ARGV: epoch. Sets it when not lower than the current; 1 if `epoch` holds the symbol.
    static let claimScript = """
        local current = tonumber(redis.call('GET', KEYS[1]) or '0')
        local epoch = tonumber(ARGV[1])
        if epoch < current then return 0 end
        redis.call('SET', KEYS[1], ARGV[1])
        return 1
        """

    /// KEYS: stream, epoch key. ARGV: epoch, max length, time cut-off (ms, 0 = none), then per entry: id, t, p, s,
    /// b, a, i. Refuses with FENCED unless the epoch is the symbol's; appends every entry; trims.
    static let appendScript = """
        if redis.call('GET', KEYS[2]) ~= ARGV[1] then
            return redis.error_reply('FENCED the symbol is owned by a later epoch')
        end
        local maxlen = ARGV[2]
        for i = 4, #ARGV, 7 do
            redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, ARGV[i], 't', ARGV[i + 1], 'p', ARGV[i + 2],
                's', ARGV[i + 3], 'b', ARGV[i + 4], 'a', ARGV[i + 5], 'i', ARGV[i + 6])
        end
        local cutoff = tonumber(ARGV[3])
        if cutoff > 0 then
            local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 256)
            local keep = nil
            for _, entry in ipairs(oldest) do
                local fields = entry[2]
                local t = nil
                for j = 1, #fields, 2 do if fields[j] == 't' then t = tonumber(fields[j + 1]) end end
                if t ~= nil and t >= cutoff then keep = entry[1]; break end
            end
            if keep ~= nil then redis.call('XTRIM', KEYS[1], 'MINID', keep)
            elseif #oldest > 0 then redis.call('XTRIM', KEYS[1], 'MINID', oldest[#oldest][1]) end
        end
        return #ARGV - 3
        """
}

/// A Lua script run by its SHA: loaded once (`SCRIPT LOAD`), and again after a Redis restart forgot it
/// (`NOSCRIPT`), so a hot path sends 40 bytes instead of the script.
final class LoadedScript: Sendable {
    let source: String
    private let sha = Mutex<String?>(nil)

    init(_ source: String) { self.source = source }

    /// `EVALSHA sha ARGUMENTS…` (the arguments start with the key count).
    @discardableResult
    func run(_ arguments: [RedisArgument], on redis: RedisClient) async throws(RedisError) -> RedisValue {
        for attempt in 0..<2 {
            let known = sha.withLock { $0 }
            let digest: String
            if let known, attempt == 0 {
                digest = known
            } else {
                digest = try await redis.command("SCRIPT", "LOAD", RedisArgument(source)).string ?? ""
                sha.withLock { $0 = digest }
            }
            do {
                return try await redis.command(["EVALSHA", RedisArgument(digest)] + arguments)
            } catch  where error.code == .server && error.message.hasPrefix("NOSCRIPT") && attempt == 0 {
                continue
            }
        }
        return try await redis.command(["EVAL", RedisArgument(source)] + arguments)
    }
}

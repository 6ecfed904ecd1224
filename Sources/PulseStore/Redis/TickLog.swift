import PulseIO
import Synchronization

/// The tick log: one Redis Stream per symbol (`tick:{SYMBOL}`) whose entry ids are the symbol's sequence
/// numbers (`<sequence>-0`), so resuming after sequence N is one `XRANGE (N-0 +`.
///
/// Exactly one ingester writes a symbol. It claims the symbol with an epoch (issued by PostgreSQL with the
/// advisory lock that makes it the owner) and every append — a batch of ticks — runs in a Lua script that checks
/// that epoch once, atomically with all of the batch's `XADD`s: a former owner that has not noticed it lost the
/// lock is refused (`FENCED`), because Redis alone refuses only ids at or below the stream's top and two writers
/// could take turns.
///
/// Each entry holds one field, `tick`: the tick packed in 48 bytes (see `TickLog+Encoding.swift`).
///
/// Retention: at most `maxLength` entries (approximate trimming, `MAXLEN ~` after each append) and, when `maxAge`
/// is set, no entry older than that (checked every `timeTrimInterval` sequences). The guaranteed resume window is the
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
    /// The most ticks one script appends: a longer batch goes as several scripts in the same pipelined write, so
    /// Redis is never blocked by one script for more than a few milliseconds (nor a script past the command timeout).
    public var maxEntriesPerScript = 1_024

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

    /// One symbol's ticks for ``append(_:)``: strictly increasing sequences, written as the owner of `epoch`.
    public struct Batch: Sendable, Equatable {
        public var symbol: String
        public var epoch: UInt64
        public var entries: [Entry]

        public init(symbol: String, epoch: UInt64, entries: [Entry]) {
            self.symbol = symbol
            self.epoch = epoch
            self.entries = entries
        }
    }

    /// Appends ticks (strictly increasing sequences) as the owner of `epoch`, in one round trip.
    ///
    /// - Throws: `.server` with a message starting `FENCED` when another owner holds the symbol, or Redis'
    ///   own error when a sequence is at or below the log's top.
    public func append(_ symbol: String, epoch: UInt64, _ entries: [Entry]) async throws(RedisError) {
        guard let arguments = try appendArguments(Batch(symbol: symbol, epoch: epoch, entries: entries)) else { return }
        try await appendSHA.run(arguments, on: redis)
    }

    /// Appends several symbols' batches in one pipelined write: one fenced script per symbol and up to
    /// ``maxEntriesPerScript`` ticks (the epoch checked once, atomically with all of its `XADD`s), in order.
    /// Returns each batch's outcome in order (its first failure); the symbols must be distinct. A batch split over
    /// several scripts that meets a fencing change lands up to the change and nothing after it.
    public func append(_ batches: [Batch]) async -> [Result<Void, RedisError>] {
        var outcomes = [Result<Void, RedisError>](repeating: .success(()), count: batches.count)
        var commands: [[RedisArgument]] = []
        var positions: [Int] = []
        let limit = max(1, maxEntriesPerScript)
        for (index, batch) in batches.enumerated() {
            var start = 0
            while start < batch.entries.count {
                let end = min(start + limit, batch.entries.count)
                let part = Batch(symbol: batch.symbol, epoch: batch.epoch, entries: Array(batch.entries[start..<end]))
                do throws(RedisError) {
                    if let arguments = try appendArguments(part) {
                        commands.append(arguments)
                        positions.append(index)
                    }
                } catch {
                    outcomes[index] = .failure(error)
                    break
                }
                start = end
            }
        }
        let results = await appendSHA.run(pipelined: commands, on: redis)
        for (position, result) in zip(positions, results) {
            if case .failure(let error) = result, case .success = outcomes[position] {
                outcomes[position] = .failure(error)
            }
        }
        return outcomes
    }

    /// The script's arguments for `batch` (nil when it is empty): keys, epoch, retention, then each run of
    /// consecutive sequences as its first sequence and its packed entries.
    private func appendArguments(_ batch: Batch) throws(RedisError) -> [RedisArgument]? {
        guard let first = batch.entries.first, let last = batch.entries.last else { return nil }
        // Lua numbers are doubles: ids past 2^53 would be formatted wrongly.
        guard last.sequence < 1 << 53 else {
            throw RedisError(.server, "sequence \(last.sequence) is beyond what the tick log can number")
        }
        // The time cut-off for age trimming, when one is due in this batch (0: none).
        var cutoff: Int64 = 0
        if let maxAge,
            first.sequence % timeTrimInterval == 0
                || last.sequence / timeTrimInterval > first.sequence / timeTrimInterval
        {
            let newest = batch.entries.map(\.timeMs).max() ?? 0
            cutoff = newest - Int64(maxAge.components.seconds * 1000)
        }
        var arguments: [RedisArgument] = [
            2, RedisArgument(Self.streamKey(batch.symbol)), RedisArgument(Self.epochKey(batch.symbol)),
            RedisArgument(batch.epoch), RedisArgument(maxLength), RedisArgument(cutoff),
        ]
        for run in Self.packedRuns(batch.entries) { arguments += [RedisArgument(run.first), RedisArgument(run.bytes)] }
        return arguments
    }

    /// The retained ticks after `sequence` (at most `limit`), and the range trimmed away before them.
    public func replay(_ symbol: String, after sequence: UInt64, limit: Int = 10_000) async throws(RedisError) -> Replay
    {
        var entries = try await entries(symbol, after: sequence, limit: limit)
        if entries.isEmpty {
            // Nothing after the point: either the client is current, or everything after it was trimmed. The top
            // alone cannot tell, since an append may have landed after the read; so read again after the top:
            // what was there up to it and is absent now was trimmed, what came since is simply new.
            let top = try await lastSequence(symbol)
            guard top > sequence else { return Replay(entries: [], missing: nil) }
            entries = try await self.entries(symbol, after: sequence, limit: limit)
            if entries.isEmpty { return Replay(entries: [], missing: (sequence + 1)...top) }
        }
        // Appends only add above the top, so what lies between the point and the first entry is gone for good:
        // trimmed, or never logged (appends that failed while Redis was away).
        let first = entries[0].sequence
        return Replay(entries: entries, missing: first > sequence + 1 ? (sequence + 1)...(first - 1) : nil)
    }

    private func entries(_ symbol: String, after sequence: UInt64, limit: Int) async throws(RedisError) -> [Entry] {
        let reply = try await redis.command(
            "XRANGE", RedisArgument(Self.streamKey(symbol)), RedisArgument("(\(sequence)-0"), "+", "COUNT",
            RedisArgument(limit))
        return (reply.array ?? []).compactMap(Self.entry)
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

    /// KEYS: epoch key. ARGV: epoch. Sets it when not lower than the current; 1 if `epoch` holds the symbol.
    static let claimScript = """
        local current = tonumber(redis.call('GET', KEYS[1]) or '0')
        local epoch = tonumber(ARGV[1])
        if epoch < current then return 0 end
        redis.call('SET', KEYS[1], ARGV[1])
        return 1
        """

    /// KEYS: stream, epoch key. ARGV: epoch, max length, time cut-off (ms, 0 = none), then per run of consecutive
    /// sequences: its first sequence and its entries packed (48 bytes each, see TickLog+Encoding). Refuses with
    /// FENCED unless the epoch is the symbol's; appends every entry with its sequence as the id (`<n>-0`); trims by
    /// count once (`MAXLEN ~`, whole nodes) and, when a cut-off is given, by age. Returns how many it appended.
    static let appendScript = """
        if redis.call('GET', KEYS[2]) ~= ARGV[1] then
            return redis.error_reply('FENCED the symbol is owned by a later epoch')
        end
        local appended = 0
        for r = 4, #ARGV, 2 do
            local first = tonumber(ARGV[r])
            local packed = ARGV[r + 1]
            if #packed % 48 ~= 0 then return redis.error_reply('ERR packed ticks are not a multiple of 48 bytes') end
            for i = 0, #packed / 48 - 1 do
                redis.call('XADD', KEYS[1], string.format('%d-0', first + i), 'tick',
                    string.sub(packed, i * 48 + 1, i * 48 + 48))
            end
            appended = appended + #packed / 48
        end
        redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', ARGV[2])
        local cutoff = tonumber(ARGV[3])
        if cutoff > 0 then
            local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 256)
            local keep = nil
            for _, entry in ipairs(oldest) do
                local fields = entry[2]
                local t = nil
                for j = 1, #fields, 2 do
                    if fields[j] == 'tick' and #fields[j + 1] == 48 then t = struct.unpack('<i8', fields[j + 1])
                    elseif fields[j] == 't' then t = tonumber(fields[j + 1]) end
                end
                if t ~= nil and t >= cutoff then keep = entry[1]; break end
            end
            if keep ~= nil then redis.call('XTRIM', KEYS[1], 'MINID', keep)
            elseif #oldest > 0 then redis.call('XTRIM', KEYS[1], 'MINID', oldest[#oldest][1]) end
        end
        return appended
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

    /// Several `EVALSHA`s in one pipelined write, each one's outcome in order. Those Redis answers `NOSCRIPT`
    /// (it forgot the script: none of them ran) are sent again, in order, once the script is loaded.
    func run(pipelined commands: [[RedisArgument]], on redis: RedisClient) async -> [Result<RedisValue, RedisError>] {
        guard !commands.isEmpty else { return [] }
        var digest = sha.withLock { $0 }
        if digest == nil {
            switch await load(on: redis) {
            case .success(let loaded): digest = loaded
            case .failure(let error): return commands.map { _ in .failure(error) }
            }
        }
        var results = await redis.pipeline(commands.map { ["EVALSHA", RedisArgument(digest!)] + $0 })
        let forgotten = results.indices.filter { Self.isNoScript(results[$0]) }
        guard !forgotten.isEmpty else { return results }
        switch await load(on: redis) {
        case .success(let loaded):
            let retried = await redis.pipeline(forgotten.map { ["EVALSHA", RedisArgument(loaded)] + commands[$0] })
            for (index, result) in zip(forgotten, retried) { results[index] = result }
        case .failure(let error):
            for index in forgotten { results[index] = .failure(error) }
        }
        return results
    }

    private func load(on redis: RedisClient) async -> Result<String, RedisError> {
        do {
            let digest = try await redis.command("SCRIPT", "LOAD", RedisArgument(source)).string ?? ""
            sha.withLock { $0 = digest }
            return .success(digest)
        } catch {
            return .failure(error)
        }
    }

    private static func isNoScript(_ result: Result<RedisValue, RedisError>) -> Bool {
        if case .failure(let error) = result { return error.code == .server && error.message.hasPrefix("NOSCRIPT") }
        return false
    }
}

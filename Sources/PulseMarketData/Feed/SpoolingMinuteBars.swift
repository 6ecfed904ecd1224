import PulseIO
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Minute bars that survive PostgreSQL being away: written straight through to `inner` while it answers; when a
/// write fails, the bars go to a bounded local spool file (appended and fsync'd on the blocking pool, so a crash
/// loses nothing that was acknowledged) and are drained to `inner` in their original order once it answers
/// again — before any newer bar, so the database sees the same sequence of writes it would have seen. Bars are
/// idempotent upserts, so a drain interrupted by a crash and replayed rewrites nothing.
///
/// When the spool reaches its bound the *oldest* bars are kept and newer ones are dropped (counted, and logged
/// loudly by the owner through ``Statistics/dropped``): the file is append-only, and the stored series stays
/// complete from the outage's start up to the bound, a single hole at its end that a backfill can fill.
///
/// ```swift
/// let sink = try await SpoolingMinuteBars(inner: bars, directory: dir, loop: loop, blocking: blocking)
/// try await sink.write(symbol: "AAPL", bars: bars)   // never throws for PostgreSQL being away
/// sink.flush()                                       // now and then: drains in the background
/// ```
public final class SpoolingMinuteBars: MinuteBarSink {
    public struct Statistics: Sendable, Equatable {
        /// Bars waiting in the spool, and the spool file's size.
        public var pending = 0
        public var bytes = 0
        public var spooled = 0
        public var drained = 0
        public var dropped = 0

        public init() {}
    }

    struct Record: Sendable {
        var symbol: String
        var bar: MinuteBarBuilder.Bar
    }

    private struct State {
        var pending: [Record] = []
        var bytes = 0
        var statistics = Statistics()
        var draining = false
        /// A bar was dropped for want of room: drop the rest too until the spool has drained.
        var full = false
    }

    public let path: String
    public let maxBytes: Int
    private let inner: any MinuteBarSink
    private let blocking: BlockingPool
    /// Where drains run: the loop `inner` belongs to (a PostgreSQL pool is used on its own loop only).
    private let loop: EventLoop
    private let state = Mutex(State())
    /// Serialises the file's appends and rewrites (taken only on blocking-pool threads).
    private let fileLock = Mutex(())
    /// Held (flock) for the sink's life so a second process cannot share the spool.
    private let lock: Mutex<Int32>

    /// Opens (or creates) `directory`/minute-bars.spool and loads what an earlier run left in it; throws when
    /// another process holds it.
    public init(
        inner: any MinuteBarSink, directory: String, loop: EventLoop, blocking: BlockingPool, maxBytes: Int = 64 << 20
    ) async throws {
        self.inner = inner
        self.loop = loop
        self.blocking = blocking
        self.maxBytes = maxBytes
        path = directory + "/minute-bars.spool"
        let path = self.path
        let lock = try await blocking.run { () throws -> Int32 in
            mkdir(directory, 0o755)
            let fd = Glibc.open(directory + "/minute-bars.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw IOError(operation: "open", errno: errno) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                let code = errno
                Glibc.close(fd)
                throw IOError(operation: "flock (another process spools here)", errno: code)
            }
            return fd
        }
        self.lock = Mutex(lock)
        let loaded = try await blocking.run { () throws -> (Int, [Record]) in
            guard let text = try? Self.readFile(path) else { return (0, []) }
            return (text.utf8.count, text.split(separator: "\n").compactMap { Self.decode($0) })
        }
        state.withLock {
            $0.pending = loaded.1
            $0.bytes = loaded.0
            $0.statistics.pending = loaded.1.count
            $0.statistics.bytes = loaded.0
        }
    }

    deinit { close() }

    /// Gives the spool up to another process (what it holds stays in the file for the next one).
    public func close() {
        lock.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    public var statistics: Statistics { state.withLock { $0.statistics } }

    public func write(symbol: String, bars: [MinuteBarBuilder.Bar]) async throws {
        guard !bars.isEmpty else { return }
        // While anything is spooled, new bars queue behind it (order), and the feed never waits for a PostgreSQL
        // that is away more than once per outage: draining happens in the background (``flush()``).
        if state.withLock({ $0.pending.isEmpty }) {
            do {
                try await inner.write(symbol: symbol, bars: bars)
                return
            } catch {
                // PostgreSQL is away (or refused): keep the bars locally, in order.
            }
        }
        try await spool(bars.map { Record(symbol: symbol, bar: $0) })
        flush()
    }

    /// Starts draining the spool to `inner` in the background (one drain at a time), in order, stopping at the
    /// first failure; the next call tries again. Returns at once.
    public func flush() {
        let start = state.withLock { state -> Bool in
            guard !state.pending.isEmpty, !state.draining else { return false }
            state.draining = true
            return true
        }
        guard start else { return }
        Task(executorPreference: loop) { await self.drain() }
    }

    /// Writes the spooled bars in order until one fails; rewrites the file with what is left.
    func drain() async {
        var written = 0
        while true {
            let next: (String, [MinuteBarBuilder.Bar])? = state.withLock { state in
                guard written < state.pending.count else { return nil }
                let symbol = state.pending[written].symbol
                var end = written
                while end < state.pending.count && state.pending[end].symbol == symbol && end - written < 500 {
                    end += 1
                }
                return (symbol, state.pending[written..<end].map(\.bar))
            }
            guard let (symbol, bars) = next else { break }
            do {
                try await inner.write(symbol: symbol, bars: bars)
            } catch {
                break
            }
            written += bars.count
        }
        if written > 0 {
            let drained = written
            try? await blocking.run { try self.removeDrained(drained) }
        }
        state.withLock { $0.draining = false }
    }

    private func spool(_ records: [Record]) async throws {
        try await blocking.run { try self.append(records) }
    }

    /// On a blocking thread, under the file lock: appends what fits, keeping the state and the file in step.
    /// Once a bar did not fit, every later one is dropped until the spool drains (no holes between kept bars).
    private func append(_ records: [Record]) throws {
        try fileLock.withLock { _ in
            let (room, full) = state.withLock { (maxBytes - $0.bytes, $0.full) }
            var text = ""
            var accepted: [Record] = []
            if !full {
                for record in records {
                    let line = Self.encode(record)
                    if text.utf8.count + line.utf8.count > room { break }
                    text += line
                    accepted.append(record)
                }
            }
            if !text.isEmpty { try Self.append(text, to: path) }
            let size = text.utf8.count
            state.withLock { state in
                state.pending += accepted
                state.bytes += size
                state.statistics.spooled += accepted.count
                state.statistics.dropped += records.count - accepted.count
                if accepted.count < records.count { state.full = true }
                state.statistics.pending = state.pending.count
                state.statistics.bytes = state.bytes
            }
        }
    }

    /// On a blocking thread, under the file lock: forgets the first `count` bars and replaces the file with the
    /// rest (a temporary file fsync'd, then renamed over it).
    private func removeDrained(_ count: Int) throws {
        try fileLock.withLock { _ in
            let remaining = state.withLock { state -> [Record] in
                state.pending.removeFirst(count)
                state.statistics.drained += count
                state.statistics.pending = state.pending.count
                return state.pending
            }
            let text = remaining.map(Self.encode).joined()
            let temporary = path + ".tmp"
            unlink(temporary)
            try Self.append(text, to: temporary)
            guard rename(temporary, path) == 0 else { throw IOError(operation: "rename", errno: errno) }
            state.withLock { state in
                state.bytes = text.utf8.count
                state.statistics.bytes = state.bytes
                if remaining.isEmpty { state.full = false }
            }
        }
    }

    // MARK: File format: one bar a line, `SYMBOL start_ms open high low close volume trades` (Swift's shortest
    // round-tripping decimal for each Double, so a drained bar is bit-for-bit the one spooled).

    static func encode(_ record: Record) -> String {
        let bar = record.bar
        return
            "\(record.symbol) \(bar.startMs) \(bar.open) \(bar.high) \(bar.low) \(bar.close) \(bar.volume) \(bar.trades)\n"
    }

    /// The bytes one bar takes in the spool (for sizing a bound).
    public static func encodedSize(symbol: String, _ bar: MinuteBarBuilder.Bar) -> Int {
        encode(Record(symbol: symbol, bar: bar)).utf8.count
    }

    static func decode(_ line: Substring) -> Record? {
        let fields = line.split(separator: " ")
        guard fields.count == 8, let start = Int64(fields[1]), let open = Double(fields[2]),
            let high = Double(fields[3]), let low = Double(fields[4]), let close = Double(fields[5]),
            let volume = Double(fields[6]), let trades = Int(fields[7])
        else { return nil }  // a line torn by a crash mid-append: its bars were never acknowledged
        return Record(
            symbol: String(fields[0]),
            bar: MinuteBarBuilder.Bar(
                startMs: start, open: open, high: high, low: low, close: close, volume: volume, trades: trades))
    }

    static func append(_ text: String, to path: String) throws {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw IOError(operation: "open", errno: errno) }
        defer { Glibc.close(fd) }
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0 {
                if errno == EINTR { continue }
                throw IOError(operation: "write", errno: errno)
            }
            offset += count
        }
        guard fsync(fd) == 0 else { throw IOError(operation: "fsync", errno: errno) }
    }

    static func readFile(_ path: String) throws -> String {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IOError(operation: "open", errno: errno) }
        defer { Glibc.close(fd) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw IOError(operation: "read", errno: errno)
            }
            if count == 0 { break }
            data += chunk[0..<count]
        }
        return String(decoding: data, as: UTF8.self)
    }
}

extension MinuteBarSink {
    /// Retries whatever the sink holds back (a spool); nothing for a plain sink.
    public func flush() {}
}

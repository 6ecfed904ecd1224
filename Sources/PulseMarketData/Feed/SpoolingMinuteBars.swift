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
/// let sink = try await SpoolingMinuteBars(inner: PostgresMinuteBars(pool: pool), directory: dir, blocking: pool)
/// try await sink.write(symbol: "AAPL", bars: bars)   // never throws for PostgreSQL being away
/// await sink.flush()                                 // now and then: drains what was spooled
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
    }

    public let path: String
    public let maxBytes: Int
    private let inner: any MinuteBarSink
    private let blocking: BlockingPool
    private let state = Mutex(State())
    /// Held (flock) for the sink's life so a second process cannot share the spool.
    private let lock: Int32

    /// Opens (or creates) `directory`/minute-bars.spool and loads what an earlier run left in it; throws when
    /// another process holds it.
    public init(inner: any MinuteBarSink, directory: String, blocking: BlockingPool, maxBytes: Int = 64 << 20)
        async throws
    {
        self.inner = inner
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
        self.lock = lock
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

    deinit { Glibc.close(lock) }

    public var statistics: Statistics { state.withLock { $0.statistics } }

    public func write(symbol: String, bars: [MinuteBarBuilder.Bar]) async throws {
        guard !bars.isEmpty else { return }
        await flush()
        if state.withLock({ $0.pending.isEmpty }) {
            do {
                try await inner.write(symbol: symbol, bars: bars)
                return
            } catch {
                // PostgreSQL is away (or refused): keep the bars locally, in order.
            }
        }
        try await spool(bars.map { Record(symbol: symbol, bar: $0) })
    }

    /// Writes the spooled bars to `inner` in order, stopping at the first failure; empties the file when done.
    public func flush() async {
        let batch: [Record]? = state.withLock { state in
            guard !state.pending.isEmpty, !state.draining else { return nil }
            state.draining = true
            return state.pending
        }
        guard let batch else { return }
        var written = 0
        while written < batch.count {
            let symbol = batch[written].symbol
            var end = written
            while end < batch.count && batch[end].symbol == symbol && end - written < 500 { end += 1 }
            do {
                try await inner.write(symbol: symbol, bars: batch[written..<end].map(\.bar))
            } catch {
                break
            }
            written = end
        }
        let remaining: [Record] = state.withLock { state in
            state.pending.removeFirst(written)
            state.statistics.drained += written
            return state.pending
        }
        if written > 0 { try? await rewrite(remaining) }
        state.withLock { $0.draining = false }
    }

    private func spool(_ records: [Record]) async throws {
        var text = ""
        var accepted: [Record] = []
        let room = state.withLock { maxBytes - $0.bytes }
        for record in records {
            let line = Self.encode(record)
            if text.utf8.count + line.utf8.count > room { break }
            text += line
            accepted.append(record)
        }
        let dropped = records.count - accepted.count
        if !text.isEmpty {
            let path = self.path
            let bytes = text
            try await blocking.run { try Self.append(bytes, to: path) }
        }
        state.withLock { state in
            state.pending += accepted
            state.bytes += text.utf8.count
            state.statistics.spooled += accepted.count
            state.statistics.dropped += dropped
            state.statistics.pending = state.pending.count
            state.statistics.bytes = state.bytes
        }
    }

    /// Replaces the file with `records` (write a temporary file, fsync, rename, fsync the directory).
    private func rewrite(_ records: [Record]) async throws {
        let text = records.map(Self.encode).joined()
        let path = self.path
        try await blocking.run {
            let temporary = path + ".tmp"
            unlink(temporary)
            try Self.append(text, to: temporary)
            guard rename(temporary, path) == 0 else { throw IOError(operation: "rename", errno: errno) }
        }
        state.withLock { state in
            state.bytes = text.utf8.count
            state.statistics.pending = state.pending.count
            state.statistics.bytes = state.bytes
        }
    }

    // MARK: File format: one bar a line, `SYMBOL start_ms open high low close volume trades` (Swift's shortest
    // round-tripping decimal for each Double, so a drained bar is bit-for-bit the one spooled).

    static func encode(_ record: Record) -> String {
        let bar = record.bar
        return
            "\(record.symbol) \(bar.startMs) \(bar.open) \(bar.high) \(bar.low) \(bar.close) \(bar.volume) \(bar.trades)\n"
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
    public func flush() async {}
}

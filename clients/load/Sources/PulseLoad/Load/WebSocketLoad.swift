import HummingbirdWSClient
import Logging
import NIOCore
import NIOPosix
import PulseIO
import PulseProtocol
import Synchronization

/// What a WebSocket run does.
public struct WebSocketLoadConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The gateway's WebSocket path.
    public var path = "/ws"
    public var symbols: [String]
    public var sockets = 1
    /// Socket k subscribes to `symbols[k % symbols.count]` only (instead of all of them).
    public var spread = false
    public var duration = 10.0
    public var warmup = 0.0
    /// An API key, passed as `?key=` on the upgrade as API Gateway's WebSocket API takes it.
    public var apiKey: String?
    /// Threads of the client's event loops.
    public var threads = PulseIO.EventLoopGroup.coreCount
    public var progress: (@Sendable (String) -> Void)?
    public var stopOnInterrupt = false

    public init(host: String, port: Int, symbols: [String]) {
        self.host = host
        self.port = port
        self.symbols = symbols
    }
}

/// Browser-like subscribers of `pulse gateway`'s WebSocket: N sockets that each send the seed's subscribe
/// message and read pushes until the run ends, measuring every tick's latency from its `ingest_time_us` (the
/// sockets ask for it with `?timing=1`: the time the server's feed ingested the tick, on this machine's clock)
/// and checking each symbol's sequence numbers for holes the `conflated` counts and announced gaps do not explain.
///
/// A Python client would measure itself at a thousand sockets; this one runs on SwiftNIO's event loops (the
/// WebSocket client of hummingbird-websocket), one ``LoopStats`` per thread so recording never contends.
public enum WebSocketLoad {
    public static func run(_ configuration: WebSocketLoadConfiguration) async throws(LoadError) -> LoadReport {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.threads))
        let stats = (0..<max(1, configuration.threads)).map { _ in LoopStats() }
        let control = RunControl(
            start: MonotonicClock.now(), warmup: configuration.warmup, duration: configuration.duration,
            requestLimit: nil)
        let open = OpenSockets()
        let stopped = StopSignal()
        control.liveWorkers.store(configuration.sockets, ordering: .releasing)
        let interrupts = configuration.stopOnInterrupt ? InterruptWatch.start(control) : nil
        defer { interrupts?.cancel() }
        let url = Self.url(configuration)
        let subscriptions =
            configuration.spread
            ? configuration.symbols.map { SubscribeFrame.text([$0]) } : [SubscribeFrame.text(configuration.symbols)]
        let workers = Task {
            await withTaskGroup(of: Void.self) { tasks in
                for socket in 0..<configuration.sockets {
                    let shard = stats[socket % stats.count]
                    let subscribe = subscriptions[socket % subscriptions.count]
                    tasks.addTask {
                        defer { control.liveWorkers.subtract(1, ordering: .releasing) }
                        let outcome = await Self.socket(url, subscribe, group, shard, control, open, stopped)
                        shard.recordStreamEnd(control.isStopped ? nil : outcome)
                    }
                }
            }
        }
        await monitor(configuration, control, stats, open)
        stopped.fire()
        // Each socket sends a close frame and waits for the server's; a socket the server never answers is cut
        // by the client's close timeout.
        await workers.value
        let snapshot = StatsSnapshot(stats)
        try? await group.shutdownGracefully()
        if snapshot.messages == 0, snapshot.ok == 0, let (_, message) = snapshot.lastError {
            throw LoadError("cannot stream from \(url): \(message)")
        }
        return report(snapshot, configuration, control, url: url)
    }

    static func url(_ configuration: WebSocketLoadConfiguration) -> String {
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        var query = "timing=1"
        if let key = configuration.apiKey {
            query += "&key=" + (key.addingPercentEncodingForQuery())
        }
        return "ws://\(host):\(configuration.port)\(configuration.path)?\(query)"
    }

    /// Until the run's end (or every socket ended, or an interrupt), a progress line a second.
    private static func monitor(
        _ configuration: WebSocketLoadConfiguration, _ control: RunControl, _ stats: [LoopStats],
        _ open: OpenSockets
    ) async {
        let rate = ProgressRate()
        var lastLine = control.start
        while !control.isStopped {
            try? await Task.sleep(for: .milliseconds(50))
            let now = MonotonicClock.now()
            if now >= control.end {
                control.stop(at: now)
                break
            }
            if control.liveWorkers.load(ordering: .acquiring) == 0 {
                let last = StatsSnapshot(stats, histograms: false).lastError.map { "; the last: \($0.1)" } ?? ""
                control.stop(at: now, abort: "every socket ended before the run's end\(last)")
                break
            }
            guard let print = configuration.progress, now &- lastLine >= 1_000_000_000 else { continue }
            let interval = Double(now &- lastLine) / 1e9
            lastLine = now
            let snapshot = StatsSnapshot(stats)
            let line = ProgressLine.subscribe(
                snapshot, elapsed: Double(now &- control.start) / 1e9,
                perSecond: rate.perSecond(snapshot.messages, interval: interval),
                openStreams: open.count.load(ordering: .relaxed), unit: "sockets")
            print(now < control.warmupEnd ? "\(line)  (warming up: not recorded)" : line)
        }
    }

    /// One socket: connect, subscribe, read until the run stops, then close.
    private static func socket(
        _ url: String, _ subscribe: String, _ group: MultiThreadedEventLoopGroup, _ stats: LoopStats,
        _ control: RunControl, _ open: OpenSockets, _ stopped: StopSignal
    ) async -> CallOutcome {
        var settings = WebSocketClientConfiguration()
        settings.maxFrameSize = 1 << 17  // API Gateway's cap is 128 KB; pushes are a few hundred bytes
        settings.closeTimeout = .seconds(5)
        do {
            try await WebSocketClient.connect(
                url: url, configuration: settings, eventLoopGroup: group, logger: Self.logger
            ) { inbound, outbound, _ in
                open.count.add(1, ordering: .relaxed)
                defer { open.count.subtract(1, ordering: .relaxed) }
                try await outbound.write(.text(subscribe))
                // The run's end closes the socket, which ends the read loop below; a socket the server closed
                // first has returned by then (so the run sees it end), and the close is a no-op.
                Task {
                    await stopped.wait()
                    try? await outbound.close(.normalClosure, reason: nil)
                }
                var reader = PushReader()
                for try await message in inbound.messages(maxSize: 1 << 17) {
                    guard case .text(let text) = message else { continue }
                    reader.read(text, stats: stats, control: control)
                }
            }
            return .ok
        } catch {
            return .failed(.unavailable, "\(error)")
        }
    }

    private static let logger = Logger(label: "pulse-load.websocket") { _ in SwiftLogNoOpLogHandler() }

    private static func report(
        _ snapshot: StatsSnapshot, _ configuration: WebSocketLoadConfiguration, _ control: RunControl, url: String
    ) -> LoadReport {
        let stopped = control.stoppedAt == 0 ? MonotonicClock.now() : control.stoppedAt
        let seconds = max(1e-9, Double(stopped &- min(stopped, control.warmupEnd)) / 1e9)
        let figures = LoadReport.StreamFigures(
            streams: configuration.sockets, messages: snapshot.messages,
            messagesPerSecond: Double(snapshot.messages) / seconds, missing: snapshot.missing,
            conflated: snapshot.conflated, outOfOrder: snapshot.outOfOrder, announcedMissing: snapshot.announcedMissing,
            clockSkewed: snapshot.negativeLatency, timeField: "ingest_time_us")
        return LoadReport(
            scenario: "websocket", target: url, method: configuration.path, mode: "sockets",
            connections: configuration.sockets, concurrency: configuration.sockets, rate: nil,
            durationSeconds: seconds, requests: snapshot.requests, ok: snapshot.ok, errors: snapshot.errorsByName,
            rps: Double(snapshot.messages) / seconds, latency: LatencySummary(snapshot.latency), uncorrected: nil,
            partial: control.abortReason != nil, abortReason: control.abortReason, stream: figures, methods: nil)
    }
}

/// The run's end, awaited by every socket at once: one wake-up each, where a thousand sockets polling a flag would
/// cost the harness twenty thousand timer wake-ups a second.
final class StopSignal: Sendable {
    private let state = Mutex<(fired: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let fired = state.withLock { state in
                if !state.fired { state.waiters.append(continuation) }
                return state.fired
            }
            if fired { continuation.resume() }
        }
    }

    func fire() {
        let waiters = state.withLock { state in
            state.fired = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Sockets through the upgrade and not yet closed (the progress line's count).
final class OpenSockets: Sendable {
    let count = Atomic<Int>(0)
}

/// The seed's subscribe message.
enum SubscribeFrame {
    static func text(_ symbols: [String]) -> String {
        JSONWriter.write(.object([("action", .string("subscribe")), ("symbols", .array(symbols.map { .string($0) }))]))
    }
}

/// Reads one socket's pushes: ticks (`{"symbol","price","timestamp","sequence","volume","conflated",
/// "ingest_time_us"}`), gaps, error frames; acknowledgements, heartbeats and stale notices are not counted.
struct PushReader {
    private var lastSequence: [String: UInt64] = [:]

    mutating func read(_ text: String, stats: LoopStats, control: RunControl) {
        let now = MonotonicClock.now()
        let wall = wallClockMicroseconds()
        let measured = now >= control.warmupEnd
        guard let push = try? JSONParser.parse(text) else {
            stats.recordStreamEnd(.failed(.internal, "a push is not JSON: \(text.prefix(80))"))
            return
        }
        switch push["type"] {
        case nil:
            guard case .string(let symbol)? = push["symbol"], let sequence = push["sequence"]?.unsigned else {
                stats.recordStreamEnd(.failed(.internal, "a tick without symbol or sequence: \(text.prefix(80))"))
                return
            }
            let conflated = push["conflated"]?.unsigned ?? 0
            var missing: UInt64 = 0
            var outOfOrder = false
            if let previous = lastSequence[symbol] {
                if sequence <= previous {
                    outOfOrder = true
                } else if sequence > previous + 1 + conflated {
                    missing = sequence - previous - 1 - conflated
                }
            }
            if !outOfOrder { lastSequence[symbol] = sequence }
            let ingested = push["ingest_time_us"]?.unsigned.map { Int64(clamping: $0) } ?? wall
            stats.recordTick(
                latency: wall - ingested, missing: Int(clamping: missing), conflated: Int(clamping: conflated),
                outOfOrder: outOfOrder, now: now, measured: measured)
        case .string("gap")?:
            guard case .string(let symbol)? = push["symbol"], let first = push["first_missing"]?.unsigned,
                let last = push["last_missing"]?.unsigned
            else { return }
            stats.recordAnnouncedGap(last >= first ? Int(clamping: last - first + 1) : 0, measured: measured)
            if let previous = lastSequence[symbol], last > previous { lastSequence[symbol] = last }
        case .string("error")?:
            let error = push["error"]
            var code = GRPCStatus.Code.unknown
            if case .string(let name)? = error?["code"] {
                code = (0...16).compactMap(GRPCStatus.Code.init(rawValue:)).first { $0.name == name } ?? .unknown
            }
            var message = ""
            if case .string(let text)? = error?["message"] { message = text }
            stats.recordStreamEnd(.failed(code, message))
        default:
            break
        }
    }
}

extension JSONValue {
    /// A non-negative whole number.
    fileprivate var unsigned: UInt64? {
        guard case .number(let text) = self else { return nil }
        return UInt64(text)
    }
}

extension String {
    /// Percent-encodes everything but unreserved characters (RFC 3986), for a query value.
    fileprivate func addingPercentEncodingForQuery() -> String {
        var out = ""
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}

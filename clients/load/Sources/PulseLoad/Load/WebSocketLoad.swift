import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
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
/// A Python client would measure itself at a thousand sockets; this one is SwiftNIO's WebSocket upgrader with a
/// channel handler that reads each push on its event loop (no task hop per frame), one ``LoopStats`` per thread.
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
        let target = Target(configuration)
        let url = target.url
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
                        let outcome = await Self.socket(target, subscribe, group, shard, control, open, stopped)
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

    /// Where the sockets connect, and the upgrade request's path and query.
    struct Target: Sendable {
        var host: String
        var port: Int
        var uri: String

        init(_ configuration: WebSocketLoadConfiguration) {
            host = configuration.host
            port = configuration.port
            uri = configuration.path + "?timing=1"
            if let key = configuration.apiKey { uri += "&key=" + key.addingPercentEncodingForQuery() }
        }

        /// The URL the report names.
        var url: String { "ws://\(host.contains(":") ? "[\(host)]" : host):\(port)\(uri)" }
    }

    private enum Upgrade: Sendable {
        case websocket(any Channel, NIOLoopBound<PushHandler>)
        case refused(HTTPResponseStatus)
    }

    /// One socket: connect, upgrade, subscribe, read until the run stops, then close.
    private static func socket(
        _ target: Target, _ subscribe: String, _ group: MultiThreadedEventLoopGroup, _ stats: LoopStats,
        _ control: RunControl, _ open: OpenSockets, _ stopped: StopSignal
    ) async -> CallOutcome {
        let upgrade: EventLoopFuture<Upgrade>
        do {
            upgrade = try await ClientBootstrap(group: group)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connectTimeout(.seconds(5))
                .connect(host: target.host, port: target.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(maxFrameSize: 1 << 17) {
                            channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                let handler = PushHandler(subscribe: subscribe, stats: stats, control: control)
                                try channel.pipeline.syncOperations.addHandler(handler)
                                return .websocket(channel, NIOLoopBound(handler, eventLoop: channel.eventLoop))
                            }
                        }
                        var headers = HTTPHeaders()
                        headers.add(name: "Host", value: "\(target.host):\(target.port)")
                        let configuration = NIOTypedHTTPClientUpgradeConfiguration(
                            upgradeRequestHead: HTTPRequestHead(
                                version: .http1_1, method: .GET, uri: target.uri, headers: headers),
                            upgraders: [upgrader],
                            notUpgradingCompletionHandler: { channel in
                                channel.eventLoop.makeCompletedFuture { .refused(.badRequest) }
                            })
                        return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                            configuration: .init(upgradeConfiguration: configuration))
                    }
                }
        } catch {
            return .failed(.unavailable, "\(error)")
        }
        let channel: any Channel
        let handler: NIOLoopBound<PushHandler>
        do {
            switch try await upgrade.get() {
            case .refused: return .failed(.unavailable, "the server did not upgrade to WebSocket")
            case .websocket(let upgraded, let bound): (channel, handler) = (upgraded, bound)
            }
        } catch {
            return .failed(.unavailable, "the WebSocket upgrade failed: \(error)")
        }
        open.count.add(1, ordering: .relaxed)
        defer { open.count.subtract(1, ordering: .relaxed) }
        channel.eventLoop.execute { handler.value.start() }
        // The run's end sends a close frame; the server's answering close (or 5 s) closes the channel. A socket the
        // server closed first has returned by then, so the run sees it end.
        Task {
            await stopped.wait()
            channel.eventLoop.execute { handler.value.close() }
        }
        try? await channel.closeFuture.get()
        return (try? await channel.eventLoop.submit { handler.value.outcome }.get()) ?? .ok
    }

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

/// The channel handler of one socket, on its event loop: sends the subscribe message once the upgrade is done,
/// reads every text frame with a ``PushReader``, answers pings and the server's close.
final class PushHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let subscribe: String
    private let stats: LoopStats
    private let control: RunControl
    private var reader = PushReader()
    private var context: ChannelHandlerContext?
    private var closing = false
    /// Set when the server closed the socket (or the frames broke off) before the run's end.
    private var failure: String?
    /// A message split over continuation frames, until its last frame.
    private var partial: ByteBuffer?

    init(subscribe: String, stats: LoopStats, control: RunControl) {
        self.subscribe = subscribe
        self.stats = stats
        self.control = control
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    /// Sends the subscribe message; called once the upgrade has finished (while it runs, the HTTP handlers are
    /// still in the pipeline and a frame written then would not reach the socket as a frame).
    func start() {
        guard let context else { return }
        send(.text, context.channel.allocator.buffer(string: subscribe), context)
    }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text where frame.fin && partial == nil:
            read(frame.unmaskedData)
        case .text, .continuation:
            var data = frame.unmaskedData
            if partial == nil { partial = data } else { partial!.writeBuffer(&data) }
            if frame.fin, let whole = partial {
                partial = nil
                read(whole)
            }
        case .ping:
            send(.pong, frame.unmaskedData, context)
        case .connectionClose:
            if !closing {
                if !control.isStopped { failure = "the server closed the socket" }
                closing = true
                send(.connectionClose, frame.unmaskedData, context)
            }
            context.close(promise: nil)
        default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !control.isStopped { failure = "\(error)" }
        context.close(promise: nil)
    }

    /// The run's end: a close frame (1000), and the channel closed after 5 s if the server does not answer.
    func close() {
        guard let context, !closing else { return }
        closing = true
        var code = context.channel.allocator.buffer(capacity: 2)
        code.write(webSocketErrorCode: .normalClosure)
        send(.connectionClose, code, context)
        let channel = context.channel
        context.eventLoop.scheduleTask(in: .seconds(5)) { channel.close(promise: nil) }
    }

    var outcome: CallOutcome { failure.map { .failed(.unavailable, $0) } ?? .ok }

    private func read(_ buffer: ByteBuffer) {
        reader.read(String(buffer: buffer), stats: stats, control: control)
    }

    /// Client frames are masked (RFC 6455 5.3).
    private func send(_ opcode: WebSocketOpcode, _ data: ByteBuffer, _ context: ChannelHandlerContext) {
        let frame = WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: data)
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
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

import PulseClient
import PulseMarketData
import PulseProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Live ticks from the server to WebSocket connections: one upstream Quotes.Subscribe (a reconnecting
/// ``LiveQuotes``) per symbol and credential, shared by every connection that follows the symbol, and per connection
/// a ``FanoutMailbox`` drained by one task (off this actor) through a ``ConnectionPoster``.
///
/// A connection that cannot keep up never makes anything wait or grow: its mailbox keeps at most one tick per
/// followed symbol (a newer tick absorbs the older one, `conflated` counting what it stands for) plus a bounded queue
/// of control frames (acknowledgements, errors, gaps), past which the connection is dropped. Each tick is rendered as
/// JSON once for all the sockets that get it unchanged.
///
/// `resume` replays a symbol from a sequence number with a call of its own for that connection, until the replay
/// reaches what the shared call has delivered; ticks are never sent twice or out of order (each connection keeps the
/// last sequence it was given per symbol).
public actor TickFanout {
    public struct Settings: Sendable {
        /// A connection that got nothing for this long gets a heartbeat frame.
        public var heartbeatInterval: Duration = .seconds(10)
        /// Control frames a connection may have waiting; past it the connection is closed (it is not reading).
        public var maxQueuedControl = 256
        /// Passed to each upstream ``LiveQuotes``: a symbol silent this long is reported stale.
        public var upstreamStaleAfter: Duration = .seconds(35)

        public init() {}
    }

    private struct UpstreamKey: Hashable {
        var symbol: String
        var credential: String?
    }

    private struct Upstream {
        var task: Task<Void, Never>
        var followers: Set<String> = []
        /// The newest sequence this call delivered: where a replay may hand over to it.
        var latest: UInt64?
    }

    /// A connection's routing state (this actor's); its frames wait in `mailbox`.
    private final class Outbox {
        let credential: String?
        let mailbox: FanoutMailbox
        var symbols: Set<String> = []
        var replays: [String: Task<Void, Never>] = [:]

        init(credential: String?, mailbox: FanoutMailbox) {
            self.credential = credential
            self.mailbox = mailbox
        }
    }

    public let client: PulseClient
    public let poster: any ConnectionPoster
    public let settings: Settings
    private var outboxes: [String: Outbox] = [:]
    private var upstreams: [UpstreamKey: Upstream] = [:]
    private var drains: [String: Task<Void, Never>] = [:]
    private var heartbeats: Task<Void, Never>?

    public init(client: PulseClient, poster: any ConnectionPoster, settings: Settings = Settings()) {
        self.client = client
        self.poster = poster
        self.settings = settings
    }

    deinit { heartbeats?.cancel() }

    /// Connections with an outbox.
    public var connectionCount: Int { outboxes.count }
    /// Upstream calls open (one per symbol and credential).
    public var upstreamCount: Int { upstreams.count }

    /// Starts the connection's outbox and its drain; `credential` (an API key) goes on its upstream calls; with
    /// `timing` its ticks carry their ingest time.
    public func open(_ connection: String, credential: String? = nil, timing: Bool = false) {
        guard outboxes[connection] == nil else { return }
        let mailbox = FanoutMailbox(timing: timing, controlLimit: settings.maxQueuedControl)
        outboxes[connection] = Outbox(credential: credential, mailbox: mailbox)
        startHeartbeats()
        let poster = self.poster
        drains[connection] = Task {
            if await Self.drain(mailbox, to: connection, through: poster) == .gone { self.close(connection) }
        }
    }

    /// Posts what the mailbox hands over until it closes (`.delivered`) or the socket is gone. Not isolated to the
    /// actor: a drain waits on its mailbox alone.
    private nonisolated static func drain(
        _ mailbox: FanoutMailbox, to connection: String, through poster: any ConnectionPoster
    ) async -> PostOutcome {
        while let frames = await mailbox.next() {
            for frame in frames {
                let bytes: [UInt8]
                switch frame {
                case .bytes(let message): bytes = message
                case .tick(_, let rendered?): bytes = rendered
                case .tick(let tick, nil): bytes = Array(ServerMessage.tick(tick, timing: mailbox.timing).json.utf8)
                }
                if await poster.post(bytes, to: connection) == .gone { return .gone }
            }
        }
        return .delivered
    }

    /// Forgets the connection: its upstream shares and replays end, its drain stops.
    public func close(_ connection: String) {
        guard let box = outboxes.removeValue(forKey: connection) else { return }
        for task in box.replays.values { task.cancel() }
        for symbol in box.symbols { release(UpstreamKey(symbol: symbol, credential: box.credential), connection) }
        box.mailbox.close()
        drains.removeValue(forKey: connection)?.cancel()
    }

    /// Queues frames for the connection in order; false (and the connection closed) when it has too many waiting.
    @discardableResult
    public func send(_ frames: [JSONValue], to connection: String) -> Bool {
        guard let box = outboxes[connection] else { return false }
        guard box.mailbox.queue(frames.map { Array($0.json.utf8) }) else {
            close(connection)
            return false
        }
        return true
    }

    /// Sends `acknowledgement` and then follows `symbols` live (the acknowledgement precedes their ticks).
    public func follow(_ connection: String, _ symbols: [String], acknowledgement: JSONValue) {
        guard send([acknowledgement], to: connection), let box = outboxes[connection] else { return }
        for symbol in symbols where box.symbols.insert(symbol).inserted {
            join(UpstreamKey(symbol: symbol, credential: box.credential), connection)
        }
    }

    /// Sends `acknowledgement` and stops following `symbols`; their undelivered ticks are dropped.
    public func unfollow(_ connection: String, _ symbols: [String], acknowledgement: JSONValue) {
        guard send([acknowledgement], to: connection), let box = outboxes[connection] else { return }
        for symbol in symbols where box.symbols.remove(symbol) != nil {
            box.mailbox.drop(symbol)
            box.replays.removeValue(forKey: symbol)?.cancel()
            release(UpstreamKey(symbol: symbol, credential: box.credential), connection)
        }
    }

    /// Follows each symbol from after the given sequence: the server replays what its log still has (and reports a
    /// gap for what it no longer has), then the connection joins the shared call.
    public func resume(_ connection: String, after sequences: [String: UInt64], acknowledgement: JSONValue) {
        guard send([acknowledgement], to: connection), let box = outboxes[connection] else { return }
        for (symbol, sequence) in sequences.sorted(by: { $0.key < $1.key }) {
            box.mailbox.raiseLastSequence(symbol, to: sequence)
            box.replays.removeValue(forKey: symbol)?.cancel()
            box.replays[symbol] = replay(connection, symbol, after: sequence, credential: box.credential)
            if box.symbols.insert(symbol).inserted {
                join(UpstreamKey(symbol: symbol, credential: box.credential), connection)
            }
        }
    }

    // MARK: - Upstream calls

    private func join(_ key: UpstreamKey, _ connection: String) {
        if upstreams[key] == nil {
            let stream = client.liveQuotes([key.symbol], options: liveOptions(key.credential, resumeFrom: [:]))
            let task = Task {
                do {
                    for try await event in stream { self.upstreamEvent(key, event) }
                } catch {
                    self.upstreamFailed(key, error)
                }
            }
            upstreams[key] = Upstream(task: task)
        }
        upstreams[key]?.followers.insert(connection)
    }

    private func release(_ key: UpstreamKey, _ connection: String) {
        guard var upstream = upstreams[key] else { return }
        upstream.followers.remove(connection)
        if upstream.followers.isEmpty {
            upstream.task.cancel()
            upstreams[key] = nil
        } else {
            upstreams[key] = upstream
        }
    }

    private func liveOptions(_ credential: String?, resumeFrom: [String: UInt64]) -> LiveQuotes.Options {
        var options = LiveQuotes.Options()
        options.staleAfter = settings.upstreamStaleAfter
        options.resumeFrom = resumeFrom
        options.metadata = Credentials.metadata(credential)
        return options
    }

    private func upstreamEvent(_ key: UpstreamKey, _ event: LiveQuotes.Event) {
        guard var upstream = upstreams[key] else { return }
        if case .tick(let tick) = event { upstream.latest = max(upstream.latest ?? 0, tick.sequence) }
        upstreams[key] = upstream
        var rendered = RenderedTick()
        for connection in upstream.followers {
            guard let box = outboxes[connection], box.replays[key.symbol] == nil else { continue }
            deliver(event, to: connection, box, &rendered)
        }
    }

    /// One tick's JSON in each form, made when the first socket needs it.
    private struct RenderedTick {
        var plain: [UInt8]?
        var timed: [UInt8]?

        mutating func bytes(_ tick: PulseV1.Tick, timing: Bool) -> [UInt8] {
            if timing {
                if timed == nil { timed = Array(ServerMessage.tick(tick, timing: true).json.utf8) }
                return timed!
            }
            if plain == nil { plain = Array(ServerMessage.tick(tick).json.utf8) }
            return plain!
        }
    }

    /// A call that retrying cannot mend (the key was refused, the symbol is unknown): its followers get the error
    /// and stop following the symbol.
    private func upstreamFailed(_ key: UpstreamKey, _ error: any Error) {
        guard let upstream = upstreams.removeValue(forKey: key) else { return }
        let failure = (error as? RPCError).map { BridgeError($0) } ?? BridgeError(.unknown, "internal error")
        let message = BridgeError(failure.code, "\(key.symbol): \(failure.message)")
        for connection in upstream.followers {
            outboxes[connection]?.symbols.remove(key.symbol)
            send([ServerMessage.error(message)], to: connection)
        }
    }

    private func deliver(
        _ event: LiveQuotes.Event, to connection: String, _ box: Outbox, _ rendered: inout RenderedTick
    ) {
        switch event {
        case .tick(let tick):
            box.mailbox.offer(tick, rendered: rendered.bytes(tick, timing: box.mailbox.timing))
        case .gap(let gap):
            box.mailbox.raiseLastSequence(gap.symbol, to: gap.lastMissing)
            send([ServerMessage.gap(gap)], to: connection)
        case .stale(let symbol, let quietFor):
            send([ServerMessage.stale(symbol: symbol, quietFor: quietFor)], to: connection)
        case .bar, .heartbeat, .reconnecting, .resubscribed:
            break
        }
    }

    // MARK: - Replays

    private func replay(_ connection: String, _ symbol: String, after sequence: UInt64, credential: String?)
        -> Task<Void, Never>
    {
        let stream = client.liveQuotes([symbol], options: liveOptions(credential, resumeFrom: [symbol: sequence]))
        return Task {
            do {
                for try await event in stream {
                    if !self.replayEvent(connection, symbol, credential, event) { return }
                }
            } catch {
                self.replayFailed(connection, symbol, error)
            }
        }
    }

    /// One event of a replay; false once it has caught up with the shared call (which then takes over).
    private func replayEvent(_ connection: String, _ symbol: String, _ credential: String?, _ event: LiveQuotes.Event)
        -> Bool
    {
        guard let box = outboxes[connection], box.replays[symbol] != nil else { return false }
        var rendered = RenderedTick()
        deliver(event, to: connection, box, &rendered)
        guard case .tick(let tick) = event,
            let latest = upstreams[UpstreamKey(symbol: symbol, credential: credential)]?.latest,
            tick.sequence >= latest
        else { return true }
        outboxes[connection]?.replays[symbol] = nil
        return false
    }

    private func replayFailed(_ connection: String, _ symbol: String, _ error: any Error) {
        guard outboxes[connection]?.replays.removeValue(forKey: symbol) != nil else { return }
        let failure = (error as? RPCError).map { BridgeError($0) } ?? BridgeError(.unknown, "internal error")
        send([ServerMessage.error(BridgeError(failure.code, "resume \(symbol): \(failure.message)"))], to: connection)
    }

    // MARK: - Draining

    /// One sweep for all connections, every quarter interval (a heartbeat is at most 25 % late), instead of a timer
    /// per wait: at thousands of frames a second a task and a timer per frame cost more than the frames.
    private func startHeartbeats() {
        guard heartbeats == nil else { return }
        let period = max(settings.heartbeatInterval / 4, .milliseconds(5))
        heartbeats = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: period)
                guard let self else { return }
                await self.sendHeartbeats()
            }
        }
    }

    /// A heartbeat to each connection whose drain is idle and has sent nothing for the interval.
    private func sendHeartbeats() {
        let now = ContinuousClock.now
        var frame: [UInt8]?
        for box in outboxes.values {
            box.mailbox.heartbeatIfQuiet(for: settings.heartbeatInterval, now: now) {
                if frame == nil { frame = Array(ServerMessage.heartbeat(timeMs: Self.nowMs()).json.utf8) }
                return frame!
            }
        }
    }

    /// Wall-clock epoch milliseconds: heartbeats carry it as their timestamp.
    static func nowMs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

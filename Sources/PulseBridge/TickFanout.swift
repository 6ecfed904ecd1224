import PulseClient
import PulseMarketData
import PulseProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Live ticks from the server to WebSocket connections: one upstream Quotes.Subscribe (a reconnecting
/// ``LiveQuotes``) per symbol and credential, shared by every connection that follows the symbol, and per connection
/// an outbox drained by one task through a ``ConnectionPoster``.
///
/// A connection that cannot keep up never makes anything wait or grow: its outbox keeps at most one tick per
/// followed symbol (a newer tick absorbs the older one, `conflated` counting what it stands for) plus a bounded queue
/// of control frames (acknowledgements, errors, gaps), past which the connection is dropped.
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

    private struct Outbox {
        var credential: String?
        /// Ticks carry `ingest_time_us` (the socket asked for timing).
        var timing = false
        var symbols: Set<String> = []
        var control: [[UInt8]] = []
        var pendingOrder: [String] = []
        var pending: [String: PulseV1.Tick] = [:]
        var lastSequence: [String: UInt64] = [:]
        var replays: [String: Task<Void, Never>] = [:]
        var waiter: CheckedContinuation<Bool, Never>?
        var overflowed = false

        /// Queues `tick` unless it is not newer than what the connection has; an undelivered older tick of the
        /// symbol is absorbed into it.
        mutating func offer(_ tick: PulseV1.Tick) {
            if let last = lastSequence[tick.symbol], tick.sequence <= last { return }
            lastSequence[tick.symbol] = tick.sequence
            if let earlier = pending[tick.symbol] {
                pending[tick.symbol] = tick.absorbing(earlier)
            } else {
                pending[tick.symbol] = tick
                pendingOrder.append(tick.symbol)
            }
        }

        mutating func takeNext() -> [UInt8]? {
            if !control.isEmpty { return control.removeFirst() }
            guard !pendingOrder.isEmpty else { return nil }
            let symbol = pendingOrder.removeFirst()
            guard let tick = pending.removeValue(forKey: symbol) else { return nil }
            return Array(ServerMessage.tick(tick, timing: timing).json.utf8)
        }
    }

    public let client: PulseClient
    public let poster: any ConnectionPoster
    public let settings: Settings
    private var outboxes: [String: Outbox] = [:]
    private var upstreams: [UpstreamKey: Upstream] = [:]
    private var drains: [String: Task<Void, Never>] = [:]

    public init(client: PulseClient, poster: any ConnectionPoster, settings: Settings = Settings()) {
        self.client = client
        self.poster = poster
        self.settings = settings
    }

    /// Connections with an outbox.
    public var connectionCount: Int { outboxes.count }
    /// Upstream calls open (one per symbol and credential).
    public var upstreamCount: Int { upstreams.count }

    /// Starts the connection's outbox and its drain; `credential` (an API key) goes on its upstream calls; with
    /// `timing` its ticks carry their ingest time.
    public func open(_ connection: String, credential: String? = nil, timing: Bool = false) {
        guard outboxes[connection] == nil else { return }
        outboxes[connection] = Outbox(credential: credential, timing: timing)
        let poster = self.poster
        drains[connection] = Task {
            while let message = await self.nextMessage(connection) {
                if await poster.post(message, to: connection) == .gone {
                    self.close(connection)
                    return
                }
            }
        }
    }

    /// Forgets the connection: its upstream shares and replays end, its drain stops.
    public func close(_ connection: String) {
        guard let box = outboxes.removeValue(forKey: connection) else { return }
        for task in box.replays.values { task.cancel() }
        for symbol in box.symbols { release(UpstreamKey(symbol: symbol, credential: box.credential), connection) }
        box.waiter?.resume(returning: false)
        drains.removeValue(forKey: connection)?.cancel()
    }

    /// Queues frames for the connection in order; false (and the connection closed) when it has too many waiting.
    @discardableResult
    public func send(_ frames: [JSONValue], to connection: String) -> Bool {
        guard var box = outboxes[connection] else { return false }
        box.control += frames.map { Array($0.json.utf8) }
        if box.control.count > settings.maxQueuedControl {
            box.overflowed = true
            outboxes[connection] = box
            close(connection)
            return false
        }
        outboxes[connection] = box
        wake(connection, timedOut: false)
        return true
    }

    /// Sends `acknowledgement` and then follows `symbols` live (the acknowledgement precedes their ticks).
    public func follow(_ connection: String, _ symbols: [String], acknowledgement: JSONValue) {
        guard send([acknowledgement], to: connection), var box = outboxes[connection] else { return }
        for symbol in symbols where box.symbols.insert(symbol).inserted {
            join(UpstreamKey(symbol: symbol, credential: box.credential), connection)
        }
        outboxes[connection] = box
    }

    /// Sends `acknowledgement` and stops following `symbols`; their undelivered ticks are dropped.
    public func unfollow(_ connection: String, _ symbols: [String], acknowledgement: JSONValue) {
        guard send([acknowledgement], to: connection), var box = outboxes[connection] else { return }
        for symbol in symbols where box.symbols.remove(symbol) != nil {
            box.pending[symbol] = nil
            box.pendingOrder.removeAll { $0 == symbol }
            box.replays.removeValue(forKey: symbol)?.cancel()
            release(UpstreamKey(symbol: symbol, credential: box.credential), connection)
        }
        outboxes[connection] = box
    }

    /// Follows each symbol from after the given sequence: the server replays what its log still has (and reports a
    /// gap for what it no longer has), then the connection joins the shared call.
    public func resume(_ connection: String, after sequences: [String: UInt64], acknowledgement: JSONValue) {
        guard send([acknowledgement], to: connection), var box = outboxes[connection] else { return }
        for (symbol, sequence) in sequences.sorted(by: { $0.key < $1.key }) {
            box.lastSequence[symbol] = max(box.lastSequence[symbol] ?? 0, sequence)
            box.replays.removeValue(forKey: symbol)?.cancel()
            box.replays[symbol] = replay(connection, symbol, after: sequence, credential: box.credential)
            if box.symbols.insert(symbol).inserted {
                join(UpstreamKey(symbol: symbol, credential: box.credential), connection)
            }
        }
        outboxes[connection] = box
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
        for connection in upstream.followers where outboxes[connection]?.replays[key.symbol] == nil {
            deliver(event, to: connection)
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

    private func deliver(_ event: LiveQuotes.Event, to connection: String) {
        guard var box = outboxes[connection] else { return }
        switch event {
        case .tick(let tick):
            box.offer(tick)
            outboxes[connection] = box
            wake(connection, timedOut: false)
        case .gap(let gap):
            box.lastSequence[gap.symbol] = max(box.lastSequence[gap.symbol] ?? 0, gap.lastMissing)
            outboxes[connection] = box
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
        guard outboxes[connection]?.replays[symbol] != nil else { return false }
        deliver(event, to: connection)
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

    /// The connection's next frame: control first, then ticks; a heartbeat after a quiet interval; nil once closed.
    private func nextMessage(_ connection: String) async -> [UInt8]? {
        while true {
            guard var box = outboxes[connection] else { return nil }
            if let message = box.takeNext() {
                outboxes[connection] = box
                return message
            }
            let interval = settings.heartbeatInterval
            let timer = Task {
                try? await Task.sleep(for: interval)
                self.wake(connection, timedOut: true)
            }
            let woken = await withCheckedContinuation { continuation in
                if outboxes[connection] == nil {
                    continuation.resume(returning: false)
                } else {
                    outboxes[connection]?.waiter = continuation
                }
            }
            timer.cancel()
            guard outboxes[connection] != nil else { return nil }
            if !woken { return Array(ServerMessage.heartbeat(timeMs: Self.nowMs()).json.utf8) }
        }
    }

    private func wake(_ connection: String, timedOut: Bool) {
        guard let waiter = outboxes[connection]?.waiter else { return }
        outboxes[connection]?.waiter = nil
        waiter.resume(returning: !timedOut)
    }

    /// Wall-clock epoch milliseconds: heartbeats carry it as their timestamp.
    static func nowMs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

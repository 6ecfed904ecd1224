import Logging
import PulseBridge
import PulseMarketData
import PulseStore
import ServiceLifecycle

/// `pulse pusher`: the fan-out a Lambda cannot do (it runs only per invocation). Follows the tick log in
/// Redis — one read position per symbol someone follows, all symbols in one blocking `XREAD` — and posts each
/// tick to every connection the registry lists for its symbol through `@connections`. A connection that
/// answers 410 Gone is removed from the registry. A connection whose previous post is still in flight gets
/// the latest tick per symbol when it is free, with `conflated` counting the ticks folded into it (see
/// ``ConnectionMailboxes``), so a slow browser costs one pending tick per symbol, never a queue. A jump in a
/// symbol's sequence (the log trimmed past a position the pusher had not read) is reported to its connections
/// as a gap frame; a connection with nothing sent for `heartbeatInterval` gets a heartbeat, so a browser can
/// tell a quiet market from a dead socket.
public struct TickPusher: Sendable {
    public let registry: ConnectionRegistry
    /// On a Redis client of its own: blocking reads would hold up the registry's commands.
    public let tickLog: TickLog
    public let mailboxes: ConnectionMailboxes
    /// How often the set of followed symbols is read again (also the longest a blocking read waits).
    public var refreshInterval: Duration
    public var heartbeatInterval: Duration
    public var logger: Logger

    public init(
        registry: ConnectionRegistry, tickLog: TickLog, poster: ConnectionPoster, endpoint: String,
        refreshInterval: Duration = .seconds(1), heartbeatInterval: Duration = .seconds(15),
        logger: Logger = Logger(label: "pulse.pusher")
    ) {
        self.registry = registry
        self.tickLog = tickLog
        self.mailboxes = ConnectionMailboxes(poster: poster, endpoint: endpoint, registry: registry, logger: logger)
        self.refreshInterval = refreshInterval
        self.heartbeatInterval = heartbeatInterval
        self.logger = logger
    }

    /// Runs until the task is cancelled. Redis being away is logged and retried after `refreshInterval`.
    public func run() async {
        var positions: [String: UInt64] = [:]
        var lastRefresh: ContinuousClock.Instant?
        var lastHeartbeat = ContinuousClock.now
        while !Task.isCancelled {
            do {
                if lastRefresh.map({ ContinuousClock.now - $0 >= refreshInterval }) ?? true {
                    positions = try await refreshed(positions)
                    lastRefresh = .now
                }
                if ContinuousClock.now - lastHeartbeat >= heartbeatInterval {
                    lastHeartbeat = .now
                    var connections: Set<String> = []
                    for symbol in positions.keys {
                        connections.formUnion(try await registry.connections(following: symbol))
                    }
                    await mailboxes.heartbeat(connections.sorted(), quietFor: heartbeatInterval)
                }
                guard !positions.isEmpty else {
                    try? await Task.sleep(for: refreshInterval)
                    continue
                }
                let batches = try await tickLog.follow(positions, block: refreshInterval)
                for (symbol, entries) in batches where !entries.isEmpty {
                    var previous = positions[symbol] ?? 0
                    positions[symbol] = entries.last!.sequence
                    let connections = try await registry.connections(following: symbol)
                    for entry in entries {
                        if entry.sequence > previous + 1 {
                            let gap = TickFrames.gap(symbol: symbol, first: previous + 1, last: entry.sequence - 1)
                            await mailboxes.offerControl(Array(gap.json.utf8), to: connections)
                        }
                        previous = entry.sequence
                        await mailboxes.offer(symbol: symbol, entry, to: connections)
                    }
                }
            } catch {
                logger.warning("pusher: \(error); retrying")
                try? await Task.sleep(for: refreshInterval)
            }
        }
    }

    /// The followed symbols now: kept ones keep their position, new ones start at the log's end (live ticks;
    /// a browser catching up asks for a resume).
    private func refreshed(_ positions: [String: UInt64]) async throws -> [String: UInt64] {
        var next: [String: UInt64] = [:]
        for symbol in try await registry.followedSymbols() {
            if let position = positions[symbol] {
                next[symbol] = position
            } else {
                next[symbol] = try await tickLog.lastSequence(symbol)
            }
        }
        return next
    }
}

/// One in-flight post per connection; while it runs, later ticks wait as the latest per symbol (counting the
/// ones they replace). Posting is concurrent across connections.
public actor ConnectionMailboxes {
    private struct Pending {
        var entry: TickLog.Entry
        var folded: UInt32
    }
    private struct Mailbox {
        /// Gap frames, sent before any pending tick (at most a few: one per gap seen while busy).
        var control: [[UInt8]] = []
        var pending: [String: Pending] = [:]
        var order: [String] = []
    }
    /// More control frames than this waiting on one slow connection: the oldest are dropped.
    static let maxControlFrames = 16

    private let poster: ConnectionPoster
    private let endpoint: String
    private let registry: ConnectionRegistry
    private let logger: Logger
    private var busy: [String: Mailbox] = [:]
    /// When each connection was last sent something (heartbeats go to the quiet ones).
    private var lastSent: [String: ContinuousClock.Instant] = [:]

    /// Counters since start (logs and tests).
    public private(set) var delivered = 0
    public private(set) var gone = 0
    public private(set) var failed = 0
    public private(set) var conflated = 0
    public private(set) var heartbeats = 0

    init(poster: ConnectionPoster, endpoint: String, registry: ConnectionRegistry, logger: Logger) {
        self.poster = poster
        self.endpoint = endpoint
        self.registry = registry
        self.logger = logger
    }

    func offer(symbol: String, _ entry: TickLog.Entry, to connections: [String]) {
        for connection in connections {
            if var mailbox = busy[connection] {
                if let previous = mailbox.pending[symbol] {
                    mailbox.pending[symbol] = Pending(entry: entry, folded: previous.folded + 1)
                    conflated += 1
                } else {
                    mailbox.pending[symbol] = Pending(entry: entry, folded: 0)
                    mailbox.order.append(symbol)
                }
                busy[connection] = mailbox
            } else {
                busy[connection] = Mailbox()
                send(connection, symbol, Pending(entry: entry, folded: 0))
            }
        }
    }

    /// Queues a frame that is not a tick (a gap report) for each connection, in order with the others.
    func offerControl(_ frame: [UInt8], to connections: [String]) {
        for connection in connections {
            if var mailbox = busy[connection] {
                mailbox.control.append(frame)
                if mailbox.control.count > Self.maxControlFrames { mailbox.control.removeFirst() }
                busy[connection] = mailbox
            } else {
                busy[connection] = Mailbox()
                post(connection, frame)
            }
        }
    }

    /// A heartbeat to each connection that is idle and was sent nothing for `quietFor`.
    func heartbeat(_ connections: [String], quietFor: Duration) {
        let now = ContinuousClock.now
        let frame = Array(ServerMessage.heartbeat(timeMs: LambdaClock.nowMs()).json.utf8)
        for connection in connections where busy[connection] == nil {
            guard lastSent[connection].map({ now - $0 >= quietFor }) ?? true else { continue }
            heartbeats += 1
            busy[connection] = Mailbox()
            post(connection, frame)
        }
    }

    private func send(_ connection: String, _ symbol: String, _ tick: Pending) {
        post(connection, Array(TickFrames.tick(symbol: symbol, tick.entry, conflated: tick.folded).json.utf8))
    }

    private func post(_ connection: String, _ frame: [UInt8]) {
        lastSent[connection] = .now
        let (poster, endpoint) = (self.poster, self.endpoint)
        Task {
            let outcome = await poster.post(endpoint: endpoint, connectionID: connection, data: frame)
            await self.finished(connection, outcome)
        }
    }

    private func finished(_ connection: String, _ outcome: ConnectionPoster.Outcome) async {
        switch outcome {
        case .delivered:
            delivered += 1
        case .gone:
            gone += 1
            busy[connection] = nil
            lastSent[connection] = nil
            logger.info("connection \(connection) is gone; removing it")
            _ = try? await registry.disconnect(connection)
            return
        case .failed(let reason):
            failed += 1
            logger.warning("post to \(connection) failed: \(reason)")
        }
        guard var mailbox = busy[connection] else { return }
        if !mailbox.control.isEmpty {
            let frame = mailbox.control.removeFirst()
            busy[connection] = mailbox
            post(connection, frame)
            return
        }
        guard !mailbox.order.isEmpty else {
            busy[connection] = nil
            return
        }
        let symbol = mailbox.order.removeFirst()
        let tick = mailbox.pending.removeValue(forKey: symbol)!
        busy[connection] = mailbox
        send(connection, symbol, tick)
    }

    /// Connections with a post in flight.
    public var inFlight: Int { busy.count }
}

/// The pusher as a lifecycle part: SIGTERM (ECS stopping the task) ends it.
public struct PusherService: Service {
    public let pusher: TickPusher
    public init(pusher: TickPusher) { self.pusher = pusher }

    public func run() async throws {
        try await cancelWhenGracefulShutdown { await pusher.run() }
    }
}

import PulseMarketData
import PulseProtocol
import PulseRPC
import PulseStore

/// One Quotes.Subscribe call: live events from the hub, replays from the tick log, gaps and heartbeats.
///
/// The hand-off from replay to live is race-free because the call subscribes to the hub *before* it reads
/// the log: live ticks wait (conflating) while the replay is written, and afterwards any tick at or below
/// the last sequence sent is dropped. Every jump that a live tick's `conflated` count does not explain (the
/// follower started late, the feed's append failed, a replay overlapped a conflated tick) is filled from
/// the log, and what the log no longer holds goes out as a `SequenceGap` — so each sequence after the
/// client's resume point reaches it exactly once, as a tick, inside a `conflated` count, or inside a gap.
///
/// With `include_bars`, a resumed symbol's bars come from ``ResumedBars`` (built by this call from the exact
/// ticks after the resume point, so the bars closed or revised while the client was away are sent too); the
/// other symbols' bars are the hub's.
struct QuoteStreamCall {
    let subscription: TickSubscription
    let hub: TickHub
    let log: TickLog?
    let settings: StreamSettings
    let send: (PulseV1.QuoteEvent) async throws -> Void

    /// The last sequence sent per symbol (nil: none yet, the symbol started live).
    private var lastSent: [String: UInt64] = [:]
    /// When each symbol last had something sent (tick, gap or heartbeat).
    private var lastActivity: [String: ContinuousClock.Instant] = [:]
    private var nextHeartbeatCheck: ContinuousClock.Instant
    /// The bars of resumed symbols (with `include_bars` and a tick log).
    private var resumedBars: ResumedBars?
    /// The latest ingest time among the ticks this call took (ms): the clock as of the call's place in the feed.
    private var feedClockMs: Int64 = 0
    /// Resumed symbols to read the log after once more, at the first heartbeat check: ticks logged between the
    /// end of the replay and the moment this instance's follower started on the symbol reach the hub only with
    /// a later tick, which in a quiet market may be long in coming.
    private var recheck: [String] = []
    private var recheckAt = ContinuousClock.now

    init(
        subscription: TickSubscription, hub: TickHub, log: TickLog?, settings: StreamSettings,
        send: @escaping (PulseV1.QuoteEvent) async throws -> Void
    ) {
        self.subscription = subscription
        self.hub = hub
        self.log = log
        self.settings = settings
        self.send = send
        self.nextHeartbeatCheck = .now
    }

    /// Streams until the subscription ends (the call was cancelled) or a send fails.
    mutating func run(_ request: ValidatedSubscription) async throws {
        let now = ContinuousClock.now
        for symbol in request.symbols { lastActivity[symbol] = now }
        nextHeartbeatCheck = now + checkInterval
        if request.includeBars, let log, !request.resumeFrom.isEmpty { resumedBars = ResumedBars(log: log) }
        for symbol in request.symbols {
            guard let after = request.resumeFrom[symbol] else { continue }
            if let log, let top = try? await log.lastSequence(symbol), after > max(top, hub.lastSequence(symbol)) {
                // Not a point this symbol ever reached: waiting for it would withhold every tick until then.
                throw GRPCStatus(
                    .outOfRange, "resume_from: \(symbol) sequence \(after) is beyond its last sequence \(top)")
            }
            lastSent[symbol] = after
            await resumedBars?.start(symbol, after: after)
            try await fillFromLog(symbol, through: nil)
            recheck.append(symbol)
        }
        // Long enough for the follower to have started on the symbols (it picks new ones up within a read block).
        recheckAt = .now + max(checkInterval, settings.followBlock * 4)
        while true {
            switch await subscription.next() {
            case .ended: return
            case .idle:
                // Nothing pending: every tick published so far was taken, so the wall clock may close bars.
                try await closeResumedBars(upTo: WallClock.nowMs())
            case .event(let event):
                switch event.event {
                case .tick(let tick): try await deliver(tick)
                case .bar(let bar) where resumedBars?.owns(bar.symbol) == true: break  // this call builds those
                case .some: try await send(event)
                case nil: break
                }
            }
            if !recheck.isEmpty, ContinuousClock.now >= recheckAt {
                for symbol in recheck {
                    do { try await fillFromLog(symbol, through: nil) } catch is GRPCStatus { continue }
                }
                recheck = []
            }
            if ContinuousClock.now >= nextHeartbeatCheck {
                try await closeResumedBars(upTo: feedClockMs)
                try await sendHeartbeats()
            }
        }
    }

    /// How often quiet symbols are looked for: a quarter of the interval, so a heartbeat is at most 25 % late.
    var checkInterval: Duration { max(settings.heartbeatInterval / 4, .milliseconds(5)) }

    private mutating func deliver(_ tick: PulseV1.Tick) async throws {
        guard let last = lastSent[tick.symbol] else {
            try await sendTick(tick)
            return
        }
        if tick.sequence <= last { return }  // replayed already
        let firstCovered = tick.sequence - UInt64(tick.conflated)
        if firstCovered == last + 1 {
            try await sendTick(tick)
        } else {
            try await fillFromLog(tick.symbol, through: tick)
        }
    }

    /// Sends what the log holds after the last sequence sent — up to `live`'s sequence when given, else all —
    /// announcing what it no longer holds as a gap; then `live` itself for what the log did not have.
    private mutating func fillFromLog(_ symbol: String, through live: PulseV1.Tick?) async throws {
        var last = lastSent[symbol] ?? 0
        let upper = live?.sequence ?? .max
        if let log {
            while last < upper {
                let replay: TickLog.Replay
                do {
                    replay = try await Self.replay(log, symbol, after: last, limit: settings.replayPage)
                } catch {
                    // The log may still hold these ticks: a gap would say they are gone for good. End the call
                    // instead; the client resumes from its last sequence once Redis is back.
                    throw GRPCStatus(
                        .unavailable,
                        "the tick log is unavailable, so \(symbol) cannot be replayed after \(last); retry")
                }
                if let missing = replay.missing {
                    let through = min(missing.upperBound, upper &- 1)
                    if through >= missing.lowerBound {
                        try await sendGap(symbol, missing.lowerBound, through)
                        last = through
                    }
                }
                var took = 0
                for entry in replay.entries where entry.sequence > last && entry.sequence <= upper {
                    // A hole inside the log (appends that failed while Redis was away) is a gap too.
                    if entry.sequence > last + 1 { try await sendGap(symbol, last + 1, entry.sequence - 1) }
                    try await sendTick(PulseV1.Tick(entry, symbol: symbol))
                    last = entry.sequence
                    took += 1
                }
                if took == 0 || replay.entries.count < settings.replayPage { break }
            }
        }
        guard let live, live.sequence > last else { return }
        let firstCovered = live.sequence - UInt64(live.conflated)
        if firstCovered > last + 1 {
            try await sendGap(symbol, last + 1, firstCovered - 1)
            try await sendTick(live)
        } else if firstCovered == last + 1 {
            try await sendTick(live)
        } else {
            // It stands for some ticks already sent: count only the ones after them. The folded size and
            // extremes cannot be split, so they are dropped rather than double-counted.
            var trimmed = live.unconflated
            trimmed.conflated = UInt32(clamping: live.sequence - last - 1)
            try await sendTick(trimmed)
        }
    }

    /// One page of the log; a connection still coming up (a server just started, Redis just back) gets a moment.
    private static func replay(_ log: TickLog, _ symbol: String, after: UInt64, limit: Int) async throws(RedisError)
        -> TickLog.Replay
    {
        do {
            return try await log.replay(symbol, after: after, limit: limit)
        } catch {
            guard await log.redis.waitUntilConnected(timeout: .seconds(3)) else { throw error }
            return try await log.replay(symbol, after: after, limit: limit)
        }
    }

    private mutating func sendTick(_ tick: PulseV1.Tick) async throws {
        if resumedBars != nil {
            feedClockMs = max(feedClockMs, tick.ingestTimeUs / 1000)
            for bar in await resumedBars!.bars(before: tick) { try await send(PulseV1.QuoteEvent(.bar(bar))) }
        }
        try await send(PulseV1.QuoteEvent(.tick(tick)))
        lastSent[tick.symbol] = tick.sequence
        lastActivity[tick.symbol] = .now
    }

    private mutating func sendGap(_ symbol: String, _ first: UInt64, _ last: UInt64) async throws {
        try await send(
            PulseV1.QuoteEvent(.gap(PulseV1.SequenceGap(symbol: symbol, firstMissing: first, lastMissing: last))))
        resumedBars?.skip(symbol, through: last)
        lastSent[symbol] = last
        lastActivity[symbol] = .now
    }

    private mutating func closeResumedBars(upTo nowMs: Int64) async throws {
        guard resumedBars != nil, nowMs > 0 else { return }
        for bar in resumedBars!.close(upTo: nowMs) { try await send(PulseV1.QuoteEvent(.bar(bar))) }
    }

    private mutating func sendHeartbeats() async throws {
        let now = ContinuousClock.now
        nextHeartbeatCheck = now + checkInterval
        let serverTimeMs = WallClock.nowMs()
        for (symbol, activity) in lastActivity.sorted(by: { $0.key < $1.key })
        where now - activity >= settings.heartbeatInterval {
            let known = max(lastSent[symbol] ?? 0, hub.lastSequence(symbol))
            try await send(
                PulseV1.QuoteEvent(
                    .heartbeat(PulseV1.Heartbeat(symbol: symbol, lastSequence: known, serverTimeMs: serverTimeMs))))
            lastActivity[symbol] = now
        }
    }
}

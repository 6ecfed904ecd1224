/// The lifecycle of one server connection as a value type: the handshake, idleness, protocol glitches
/// and control-frame floods, and the phases of a graceful shutdown. It does no I/O and owns no timers:
/// the connection reports events (with the time, in ``MonotonicClock`` nanoseconds) and carries out the
/// ``Action`` each returns, so every rule is tested without sockets. Socket-level state (write
/// backpressure, lingering, closed) belongs to the ``SocketPump``; keepalive to ``KeepaliveMachine``.
struct ServerConnectionMachine: Sendable {
    struct Limits: Sendable, Equatable {
        /// A connection without streams for this long is ended with GOAWAY (0: never).
        var idleTimeout: UInt64 = 0
        /// Glitches tolerated before GOAWAY ENHANCE_YOUR_CALM.
        var maxGlitches = 200
        /// PING or SETTINGS frames per window before the connection counts as flooding.
        var maxControlFramesPerWindow = 200
        var controlWindow: UInt64 = 10_000_000_000
    }

    /// After the shutdown notice, the real GOAWAY follows after about a round trip.
    static let goAwayDelay: UInt64 = 100_000_000
    /// After the grace period, calls still open are failed; this much later the socket is closed regardless.
    static let hardCloseDelay: UInt64 = 2_000_000_000

    enum Action: Equatable, Sendable {
        case none
        /// Close the socket now, without a GOAWAY (a peer that never completed the handshake, or out of time).
        case close
        /// End the session: GOAWAY with `errorCode`; the pump closes once it is written.
        case terminate(errorCode: UInt32)
        /// Start a graceful shutdown: send the shutdown notice and arm the shutdown timers.
        case sendShutdownNotice
        /// Send the real GOAWAY naming the last processed stream; also end the session when no stream is open.
        case sendGoAway(thenTerminate: Bool)
        /// The grace period is over: end the calls still open with UNAVAILABLE.
        case failOpenCalls
        /// Not idle yet: check again after this many nanoseconds.
        case checkIdleAgain(after: UInt64)
    }

    private enum Phase: Sendable, Equatable {
        /// Taking calls (the handshake may still be pending: see `handshakeComplete`).
        case serving
        /// The shutdown notice is out; the real GOAWAY follows after ``goAwayDelay``.
        case noticeSent
        /// The real GOAWAY is out; the session ends when the last stream closes.
        case goAwaySent
        /// A GOAWAY that ends the session was asked for (idle, calm, drained): nothing more to decide.
        case terminated
        case closed
    }

    let limits: Limits
    private var phase = Phase.serving
    /// The client's preface and SETTINGS arrived (orthogonal to the phase: a shutdown may begin first).
    private(set) var handshakeComplete = false
    private(set) var glitches = 0
    private var controlFrames = 0
    private var controlWindowStart: UInt64
    private var lastActivity: UInt64

    init(limits: Limits, now: UInt64) {
        self.limits = limits
        controlWindowStart = now
        lastActivity = now
    }

    /// True once a graceful shutdown began.
    var isShuttingDown: Bool { phase == .noticeSent || phase == .goAwaySent }

    // MARK: Handshake and idleness

    /// The client's SETTINGS arrived; true the first time (the handshake is complete).
    mutating func settingsReceived() -> Bool {
        defer { handshakeComplete = true }
        return !handshakeComplete
    }

    mutating func handshakeTimerFired() -> Action {
        guard !handshakeComplete, phase != .closed else { return .none }
        phase = .closed
        return .close
    }

    mutating func idleTimerFired(now: UInt64, openStreams: Int) -> Action {
        guard phase == .serving, limits.idleTimeout > 0 else { return .none }
        let since = now &- lastActivity
        if openStreams == 0 && since >= limits.idleTimeout {
            phase = .terminated
            return .terminate(errorCode: HTTP2ErrorCode.noError)
        }
        return .checkIdleAgain(after: openStreams == 0 ? limits.idleTimeout - since : limits.idleTimeout)
    }

    /// A stream closed at `now`, leaving `openStreams` open.
    mutating func streamClosed(now: UInt64, openStreams: Int) -> Action {
        lastActivity = now
        guard phase == .goAwaySent, openStreams == 0 else { return .none }
        phase = .terminated
        return .terminate(errorCode: HTTP2ErrorCode.noError)
    }

    // MARK: Abuse

    /// One protocol glitch (an invalid frame, a reset we had to send, an empty DATA frame, …).
    mutating func glitch() -> Action {
        glitches += 1
        guard glitches > limits.maxGlitches, phase != .terminated, phase != .closed else { return .none }
        phase = .terminated
        return .terminate(errorCode: HTTP2ErrorCode.enhanceYourCalm)
    }

    /// A PING or SETTINGS frame (not an ACK): beyond the per-window limit it is a flood, calmed at once.
    mutating func controlFrame(now: UInt64) -> Action {
        if now &- controlWindowStart > limits.controlWindow {
            controlWindowStart = now
            controlFrames = 0
        }
        controlFrames += 1
        guard controlFrames > limits.maxControlFramesPerWindow else { return .none }
        glitches = max(glitches, limits.maxGlitches)
        return glitch()
    }

    // MARK: Graceful shutdown

    mutating func beginShutdown() -> Action {
        guard phase == .serving else { return .none }
        phase = .noticeSent
        return .sendShutdownNotice
    }

    mutating func goAwayDelayPassed(openStreams: Int) -> Action {
        guard phase == .noticeSent else { return .none }
        phase = openStreams == 0 ? .terminated : .goAwaySent
        return .sendGoAway(thenTerminate: openStreams == 0)
    }

    mutating func gracePeriodPassed() -> Action {
        phase == .closed ? .none : .failOpenCalls
    }

    mutating func hardCloseDue() -> Action {
        guard phase != .closed else { return .none }
        phase = .closed
        return .close
    }

    /// The socket closed (for whatever reason): nothing more will happen.
    mutating func closed() {
        phase = .closed
    }
}

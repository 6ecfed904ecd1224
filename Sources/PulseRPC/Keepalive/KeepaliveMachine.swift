/// HTTP/2 keepalive for one connection as a value type: when to PING the peer, when a missing PING ACK
/// means the peer is gone, and gRPC's ping-strike rule for peers that PING too often. No I/O and no
/// timers of its own: the connection feeds it times (``MonotonicClock`` nanoseconds) and acts on what
/// it returns, so every rule is tested without sockets.
struct KeepaliveMachine: Sendable {
    /// Intervals in nanoseconds; 0 turns a rule off.
    struct Policy: Sendable, Equatable {
        /// PING the peer after this long without hearing from it (0: never).
        var interval: UInt64 = 0
        /// Close when a PING's ACK has not arrived this long after it was sent.
        var timeout: UInt64 = 20_000_000_000
        /// A peer PING arriving sooner than this after the previous one is a strike (0: no limit).
        var minPeerPingInterval: UInt64 = 0
        /// Strikes tolerated; one more and the connection is closed with ENHANCE_YOUR_CALM.
        var maxPingStrikes = 2
    }

    enum Action: Equatable, Sendable {
        case none
        /// Send a PING with this opaque payload.
        case sendPing(UInt64)
        /// The peer did not answer a PING in time: close the connection.
        case closeUnresponsive
        /// The peer PINGs too often: GOAWAY ENHANCE_YOUR_CALM ("too_many_pings").
        case closeTooManyPings
    }

    private enum State: Sendable, Equatable {
        /// Waiting for the interval to pass without input.
        case idle
        /// Our PING with `opaque` went out at `sentAt`; waiting for its ACK.
        case awaitingAck(opaque: UInt64, sentAt: UInt64)
        /// The connection is being closed; nothing more to do.
        case closed
    }

    let policy: Policy
    private var state = State.idle
    private var lastHeard: UInt64
    private var lastPeerPing: UInt64?
    private var strikes = 0
    private var nextOpaque: UInt64 = 0x7075_6c73_6500_0001  // "pulse", then a counter

    init(policy: Policy, now: UInt64) {
        self.policy = policy
        lastHeard = now
    }

    /// When the connection should call ``timerFired(now:)`` next, or nil when no timer is needed.
    var nextDeadline: UInt64? {
        switch state {
        case .closed: return nil
        case .awaitingAck(_, let sentAt): return sentAt &+ policy.timeout
        case .idle: return policy.interval == 0 ? nil : lastHeard &+ policy.interval
        }
    }

    /// Input arrived from the peer (any frame): it is alive.
    mutating func inputReceived(now: UInt64) {
        lastHeard = now
    }

    /// A stream opened or sent data: the peer is doing real work, so earlier pings were no abuse.
    mutating func streamActivity() {
        strikes = 0
        lastPeerPing = nil
    }

    /// The keepalive timer fired.
    mutating func timerFired(now: UInt64) -> Action {
        switch state {
        case .closed:
            return .none
        case .awaitingAck(_, let sentAt):
            guard now &- sentAt >= policy.timeout else { return .none }
            state = .closed
            return .closeUnresponsive
        case .idle:
            guard policy.interval > 0, now &- lastHeard >= policy.interval else { return .none }
            let opaque = nextOpaque
            nextOpaque &+= 1
            state = .awaitingAck(opaque: opaque, sentAt: now)
            return .sendPing(opaque)
        }
    }

    /// A PING ACK arrived with `opaque`.
    mutating func pingAckReceived(opaque: UInt64, now: UInt64) {
        lastHeard = now
        if case .awaitingAck(let expected, _) = state, expected == opaque { state = .idle }
    }

    /// The peer sent a PING (not an ACK): apply the strike rule.
    mutating func peerPingReceived(now: UInt64) -> Action {
        defer { lastPeerPing = now }
        guard policy.minPeerPingInterval > 0, state != .closed, let previous = lastPeerPing,
            now &- previous < policy.minPeerPingInterval
        else { return .none }
        strikes += 1
        guard strikes > policy.maxPingStrikes else { return .none }
        state = .closed
        return .closeTooManyPings
    }
}

import Logging
import PulseIO
import PulseProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// One accepted HTTP/2 connection: an ``HTTP2ServerSession`` (nghttp2, no I/O, events out) and its
/// streams, between a ``SocketPump`` (the socket) and a ``ServerConnectionMachine`` (the lifecycle).
///
/// Owned by one loop. The pump feeds input to the session and drains its output into one buffer written
/// with one system call per tick; when the socket is full the rest waits for EPOLLOUT and the session is
/// not asked for more.
final class ServerConnection: SocketPumpDelegate, HTTP2ServerSessionDelegate {
    let loop: EventLoop
    let core: ServerCore
    let peer: String
    let pump: SocketPump
    let session: HTTP2ServerSession
    var streams = StreamTable()
    /// The stream whose header block is being received (set in on_begin_headers).
    var headerBlockStream: ServerStream?
    /// Handshake, idleness, glitches and shutdown phases (socket state is the pump's).
    var machine: ServerConnectionMachine
    var handshakeTimer: TimerHandle?
    var idleTimer: TimerHandle?
    var shutdownTimers: [TimerHandle] = []
    var keepalive: KeepaliveMachine
    var keepaliveTimer: TimerHandle?

    init(fd: Int32, loop: EventLoop, core: ServerCore) throws(RPCServerError) {
        self.loop = loop
        self.core = core
        self.peer = SocketIO.peerDescription(fd)
        pump = SocketPump(fd: fd, loop: loop, options: .server)
        let now = MonotonicClock.now()
        let configuration = core.configuration
        machine = ServerConnectionMachine(
            limits: .init(
                idleTimeout: Self.nanoseconds(configuration.idleTimeout), maxGlitches: configuration.maxGlitches,
                maxControlFramesPerWindow: configuration.maxControlFramesPerWindow),
            now: now)
        keepalive = KeepaliveMachine(
            policy: .init(
                interval: Self.nanoseconds(configuration.keepaliveInterval),
                timeout: Self.nanoseconds(configuration.keepaliveTimeout),
                minPeerPingInterval: Self.nanoseconds(configuration.minClientPingInterval),
                maxPingStrikes: configuration.maxPingStrikes),
            now: now)
        session = try HTTP2ServerSession(configuration: configuration)
        session.delegate = self
    }

    var isClosed: Bool { pump.isClosed }

    /// Registers with the loop, submits our SETTINGS and arms the handshake and idle timers.
    func start() throws(IOError) {
        if let tls = core.configuration.tls {
            guard let ssl = tls.newSession() else { throw IOError(operation: "SSL_new", errno: ENOMEM) }
            let layer = TLSLayer(ssl: ssl, isServer: true, inner: self) { [core, peer] reason in
                core.logger.debug("TLS: \(reason)", metadata: ["peer": "\(peer)"])
            }
            try pump.start(delegate: layer)
        } else {
            try pump.start(delegate: self)
        }
        let configuration = core.configuration
        handshakeTimer = loop.scheduleTimer(afterNanoseconds: Self.nanoseconds(configuration.handshakeTimeout)) {
            [self] in
            handshakeTimer = nil
            let action = machine.handshakeTimerFired()
            if action == .close { core.logger.debug("connection handshake timed out", metadata: ["peer": "\(peer)"]) }
            perform(action)
        }
        if configuration.idleTimeout > 0 { scheduleIdleCheck(after: Self.nanoseconds(configuration.idleTimeout)) }
        scheduleKeepalive()
        requestFlush()
    }

    // MARK: Pump

    func pumpConnected() {}

    func pumpReceived(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if keepalive.policy.interval > 0 { keepalive.inputReceived(now: MonotonicClock.now()) }
        guard let failure = session.receive(bytes) else { return true }
        // The pump sends whatever the session queued (a GOAWAY, when it made one), then closes. A
        // CONTINUATION flood makes nghttp2 fail without a GOAWAY; we add ENHANCE_YOUR_CALM ourselves.
        core.logger.warning("closing connection: \(failure.reason)", metadata: ["peer": "\(peer)"])
        if failure.continuationFlood { session.terminate(errorCode: HTTP2ErrorCode.enhanceYourCalm) }
        return false
    }

    func pumpProduceOutput(into buffer: OutputBuffer, limit: Int) -> Bool {
        guard let failure = session.drainOutput(into: buffer, limit: limit) else { return true }
        core.logger.warning("nghttp2 send failed: \(failure)", metadata: ["peer": "\(peer)"])
        return false
    }

    var pumpSessionFinished: Bool { session.isFinished }

    func pumpClosed(_ reason: SocketPump.Closure) {
        machine.closed()
        switch reason {
        case .readFailed(let error), .writeFailed(let error):
            if !error.isPeerGone { core.logger.warning("I/O failed: \(error)", metadata: ["peer": "\(peer)"]) }
        case .peerClosed:
            core.logger.debug("connection closed by peer", metadata: ["peer": "\(peer)"])
        default:
            break
        }
        if let handshakeTimer { loop.cancelTimer(handshakeTimer) }
        if let idleTimer { loop.cancelTimer(idleTimer) }
        if let keepaliveTimer { loop.cancelTimer(keepaliveTimer) }
        for timer in shutdownTimers { loop.cancelTimer(timer) }
        headerBlockStream = nil
        for stream in streams.removeAll() { streamGone(stream) }
        core.connectionClosed(self)
        core.logger.debug("connection closed", metadata: ["peer": "\(peer)"])
    }

    /// Flushes at the end of this loop tick, so everything produced in the tick goes out in one write.
    func requestFlush() { pump.requestFlush() }

    func flushNow() { pump.flushNow() }

    /// Closes the socket now and ends every call still open on it.
    func close() { pump.close() }

    /// The stream can carry nothing more: cancel its handler and release waiting producers.
    func streamGone(_ stream: ServerStream) {
        // A running call whose stream went first (the client cancelled, reset or hung up) never reaches `finish`
        // with a status: metrics and the access log still see it end, as CANCELLED, as gRPC's own servers count it.
        if stream.phase == .running && !stream.isOver && !core.interceptors.finish.isEmpty {
            callFinished(stream, GRPCStatus(.cancelled, "the client cancelled the call"))
        }
        stream.isClosed = true
        if let timer = stream.deadlineTimer {
            loop.cancelTimer(timer)
            stream.deadlineTimer = nil
        }
        if stream.phase != .finished { stream.task?.cancel() }
        stream.failAllWaiters()
        stream.task = nil
        if !stream.endActions.isEmpty {
            let actions = stream.endActions
            stream.endActions = []
            for action in actions { action() }
        }
    }

    static func nanoseconds(_ seconds: Double) -> UInt64 {
        seconds <= 0 ? 0 : UInt64(min(seconds, 1e9) * 1e9)
    }
}

@available(*, unavailable)
extension ServerConnection: Sendable {}

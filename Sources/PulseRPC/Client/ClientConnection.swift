import PulseIO
import PulseProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// One HTTP/2 connection to a server, owned by one event loop: its nghttp2 session and every call
/// multiplexed on it, over a ``SocketPump`` (the same read/flush/close loop server connections use).
/// All methods run on the loop thread.
final class ClientConnection: SocketPumpDelegate {
    let loop: EventLoop
    let address: ServerAddress
    /// `:authority` of every request, built once.
    private let authority: [UInt8]
    private let pump: SocketPump
    private let session: HTTP2ClientSession
    // The per-call tables below are touched on every frame. `@exclusivity(unchecked)`: they are private to this
    // loop-confined class and every access is a self-contained mutation that calls out to nothing, so accesses
    // cannot overlap; the dynamic checks (a thread-local access set per access) were ~8 % of the client's
    // profile together with the session's.
    @exclusivity(unchecked) private var calls = ClientStreamTable<ClientCall>()
    /// Deadlines of calls in the order they were started, while that is also deadline order (calls with
    /// the same timeout): one loop timer, armed for the earliest, serves them all. `deadlinesStart` is the
    /// first live entry.
    @exclusivity(unchecked) private var deadlines: [(deadline: UInt64, streamID: Int32)] = []
    @exclusivity(unchecked) private var deadlinesStart = 0
    private var deadlinesTimer: TimerHandle?
    /// Armed until the server's first bytes (its SETTINGS) arrive.
    private var handshakeTimer: TimerHandle?
    /// The status calls in flight end with when the connection closes for a reason of our own.
    private var closeStatus: GRPCStatus?
    private var keepalive: KeepaliveMachine
    private var keepaliveTimer: TimerHandle?

    /// True once the connection must not take new calls (GOAWAY received, or closed).
    private(set) var isDraining = false
    /// True once the socket is closed.
    var isClosed: Bool { pump.isClosed }
    /// Called once when the connection stops taking new calls (GOAWAY or closed), so the channel dials anew.
    var onRetire: ((ClientConnection) -> Void)?

    /// Starts connecting to `address` on `loop` (loop thread only).
    init(
        address: ServerAddress, loop: EventLoop, settings: HTTP2ClientSession.Settings, handshakeTimeout: Duration,
        keepalive: ClientKeepalive? = nil, tls: TLSClientContext? = nil
    ) throws {
        self.loop = loop
        self.address = address
        self.authority = Array(address.description.utf8)
        self.keepalive = KeepaliveMachine(
            policy: .init(
                interval: keepalive?.interval.wholeNanoseconds ?? 0,
                timeout: keepalive?.timeout.wholeNanoseconds ?? 20_000_000_000),
            now: MonotonicClock.now())
        self.session = try HTTP2ClientSession(settings: settings)
        let fd = try address.socketAddress.startConnecting()
        pump = SocketPump(fd: fd, loop: loop, options: .client, connecting: true)
        do {
            if let tls {
                guard let ssl = tls.newSession() else { throw IOError(operation: "SSL_new", errno: ENOMEM) }
                // The handshake's failure reason (an untrusted or misnamed certificate) is what the calls end with.
                let layer = TLSLayer(ssl: ssl, isServer: false, inner: self) { [weak self] reason in
                    self?.closeStatus = GRPCStatus(.unavailable, "TLS with \(address): \(reason)")
                }
                try pump.start(delegate: layer)
            } else {
                try pump.start(delegate: self)
            }
        } catch {
            pump.close()
            throw error
        }
        handshakeTimer = loop.scheduleTimer(afterNanoseconds: handshakeTimeout.wholeNanoseconds) { [weak self] in
            guard let self else { return }
            self.handshakeTimer = nil
            self.closeConnection(
                GRPCStatus(.unavailable, "\(address) did not complete the HTTP/2 handshake within \(handshakeTimeout)"))
        }
        scheduleKeepalive()
    }

    // MARK: - Keepalive

    /// Arms the keepalive timer for the machine's next deadline (none when keepalive is off).
    private func scheduleKeepalive() {
        guard keepaliveTimer == nil, let deadline = keepalive.nextDeadline else { return }
        keepaliveTimer = loop.scheduleTimer(deadline: deadline) { [weak self] in
            guard let self, !self.isClosed else { return }
            self.keepaliveTimer = nil
            let now = MonotonicClock.now()
            // Like gRPC clients by default, ping only while calls are in flight.
            if self.calls.isEmpty { self.keepalive.inputReceived(now: now) }
            switch self.keepalive.timerFired(now: now) {
            case .sendPing(let opaque):
                self.session.ping(opaque: opaque)
                self.scheduleFlush()
            case .closeUnresponsive:
                self.closeConnection(
                    GRPCStatus(.unavailable, "\(self.address) did not answer a keepalive PING in time"))
                return
            case .none, .closeTooManyPings:
                break
            }
            self.scheduleKeepalive()
        }
    }

    func keepaliveAcknowledged(_ opaque: UInt64) {
        keepalive.pingAckReceived(opaque: opaque, now: MonotonicClock.now())
    }

    /// The number of calls in flight.
    var activeCallCount: Int { calls.count }

    /// Opens a stream for `call` and arms its deadline.
    func start(_ call: ClientCall) {
        guard !call.isFinished else { return }
        guard !isDraining, session.canOpenStream else {
            call.finish(GRPCStatus(.unavailable, "the connection to \(address) is closing"), on: loop)
            return
        }
        do {
            let streamID = try authority.withUnsafeBufferPointer { authority in
                try session.submitRequest(head: call.request.head, authority: authority, body: call.request.body)
            }
            call.streamID = streamID
            call.connection = self
            calls[streamID] = call
        } catch {
            call.finish(GRPCStatus(.internal, "could not start the call: \(error)"), on: loop)
            return
        }
        if let timeout = call.request.timeout, let streamID = call.streamID {
            let deadline = MonotonicClock.now() &+ timeout.wholeNanoseconds
            if deadlinesStart == deadlines.count || deadlines[deadlines.count - 1].deadline <= deadline {
                deadlines.append((deadline, streamID))
                armDeadlinesTimer()
            } else {  // out of order (calls with different timeouts): a timer of its own
                call.deadlineTimer = loop.scheduleTimer(deadline: deadline) { [weak self, weak call] in
                    guard let self, let call else { return }
                    call.deadlineTimer = nil
                    self.deadlinePassed(call)
                }
            }
        }
        scheduleFlush()
    }

    private func deadlinePassed(_ call: ClientCall) {
        let timeout = call.request.timeout ?? .zero
        cancel(call, status: GRPCStatus(.deadlineExceeded, "the deadline of \(timeout) passed"))
    }

    private func armDeadlinesTimer() {
        guard deadlinesTimer == nil, deadlinesStart < deadlines.count else { return }
        deadlinesTimer = loop.scheduleTimer(deadline: deadlines[deadlinesStart].deadline) { [weak self] in
            guard let self else { return }
            self.deadlinesTimer = nil
            self.expireDeadlines()
        }
    }

    /// Cancels the calls whose deadline passed; the timer is then armed for the next one.
    private func expireDeadlines() {
        let now = MonotonicClock.now()
        while deadlinesStart < deadlines.count, deadlines[deadlinesStart].deadline <= now {
            let streamID = deadlines[deadlinesStart].streamID
            deadlinesStart += 1
            if let call = calls[streamID] { deadlinePassed(call) }
        }
        dropFinishedDeadlines()
        armDeadlinesTimer()
    }

    /// Drops the leading deadlines of calls already gone (calls mostly end in the order they started).
    private func dropFinishedDeadlines() {
        while deadlinesStart < deadlines.count, calls[deadlines[deadlinesStart].streamID] == nil {
            deadlinesStart += 1
        }
        if deadlinesStart == deadlines.count {
            deadlines.removeAll(keepingCapacity: true)
            deadlinesStart = 0
        } else if deadlinesStart >= 1024 && 2 * deadlinesStart >= deadlines.count {
            deadlines.removeFirst(deadlinesStart)
            deadlinesStart = 0
        }
    }

    /// Ends `call` with `status` and resets its stream (RST_STREAM CANCEL).
    func cancel(_ call: ClientCall, status: GRPCStatus) {
        guard !call.isFinished else { return }
        if let streamID = call.streamID, calls[streamID] != nil {
            session.cancel(streamID: streamID)
            scheduleFlush()
        }
        call.finish(status, on: loop)
    }

    /// The reader of `call` caught up: return the flow-control credit held back for it.
    func readerCaughtUp(_ call: ClientCall) {
        guard let streamID = call.streamID, call.unconsumedBytes > 0, calls[streamID] != nil else { return }
        session.consume(streamID: streamID, count: call.unconsumedBytes)
        call.unconsumedBytes = 0
        scheduleFlush()
    }

    /// Sends GOAWAY and closes once written; in-flight calls end UNAVAILABLE.
    func shutdown() {
        isDraining = true
        session.close()
        pump.flushNow()
        closeConnection(GRPCStatus(.unavailable, "the client closed the connection"))
    }

    // MARK: - Helpers for event handling

    func call(for streamID: Int32) -> ClientCall? {
        calls[streamID]
    }

    func removeCall(_ streamID: Int32) -> ClientCall? {
        let call = calls.remove(streamID)
        if deadlinesStart < deadlines.count && deadlines[deadlinesStart].streamID == streamID {
            dropFinishedDeadlines()
        }
        return call
    }

    /// Returns flow-control credit for bytes no reader is waiting for (or that were already taken).
    func creditUntracked(streamID: Int32, count: Int) {
        session.consume(streamID: streamID, count: count)
        scheduleFlush()
    }

    /// Stops taking new calls; the ones in flight go on.
    func markDraining() {
        isDraining = true
        onRetire?(self)
        onRetire = nil
    }

    // MARK: - Pump

    func pumpConnected() {}

    func pumpReceived(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if keepalive.policy.interval > 0 { keepalive.inputReceived(now: MonotonicClock.now()) }
        if let timer = handshakeTimer {
            loop.cancelTimer(timer)
            handshakeTimer = nil
        }
        do {
            for event in try session.receive(bytes) { handle(event) }
        } catch {
            closeConnection(GRPCStatus(.internal, "HTTP/2 protocol failure talking to \(address): \(error)"))
        }
        return true
    }

    func pumpProduceOutput(into buffer: OutputBuffer, limit: Int) -> Bool {
        do {
            try session.drainOutput(into: buffer, limit: limit)
        } catch {
            closeStatus = GRPCStatus(.unavailable, "writing to \(address) failed: \(error)")
            return false
        }
        for event in session.takeEvents() { handle(event) }
        return true
    }

    var pumpSessionFinished: Bool { !session.isActive }

    func pumpClosed(_ reason: SocketPump.Closure) {
        isDraining = true
        if let timer = handshakeTimer {
            loop.cancelTimer(timer)
            handshakeTimer = nil
        }
        if let timer = keepaliveTimer {
            loop.cancelTimer(timer)
            keepaliveTimer = nil
        }
        if let timer = deadlinesTimer {
            loop.cancelTimer(timer)
            deadlinesTimer = nil
        }
        deadlines.removeAll()
        deadlinesStart = 0
        let status = closeStatus ?? status(for: reason)
        let orphans = calls.values
        calls.removeAll()
        for call in orphans { call.finish(status, on: loop) }
        onRetire?(self)
        onRetire = nil
    }

    private func status(for reason: SocketPump.Closure) -> GRPCStatus {
        switch reason {
        case .connectFailed(let error):
            return GRPCStatus(.unavailable, "cannot connect to \(address): \(String(cString: strerror(error)))")
        case .peerClosed:
            return GRPCStatus(.unavailable, "the server at \(address) closed the connection")
        case .readFailed(let error):
            return GRPCStatus(.unavailable, "the connection to \(address) failed: \(error)")
        case .writeFailed(let error):
            return GRPCStatus(.unavailable, "writing to \(address) failed: \(error)")
        case .sessionFinished, .lingerEnded, .local:
            return GRPCStatus(.unavailable, "the HTTP/2 session with \(address) ended")
        }
    }

    private func scheduleFlush() {
        pump.requestFlush()
    }

    /// Closes the socket and ends every call still in flight with `status`.
    private func closeConnection(_ status: GRPCStatus) {
        guard !isClosed else { return }
        if closeStatus == nil { closeStatus = status }
        pump.close()
    }
}

@available(*, unavailable)
extension ClientConnection: Sendable {}

/// Client HTTP/2 keepalive: PING the server after `interval` without input while calls are in flight,
/// and close the connection (calls end UNAVAILABLE) when the ACK does not come within `timeout`. Keep the
/// interval above the server's minimum PING interval, or the server answers GOAWAY ENHANCE_YOUR_CALM.
public struct ClientKeepalive: Sendable, Equatable {
    public var interval: Duration
    public var timeout: Duration

    public init(interval: Duration, timeout: Duration = .seconds(20)) {
        self.interval = interval
        self.timeout = timeout
    }
}

internal import CNghttp2
import Logging
import PulseIO
import PulseProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// One accepted HTTP/2 connection: the socket, its nghttp2 server session and its streams.
///
/// Owned by one loop. Input is fed with `nghttp2_session_mem_recv`; output is drained with
/// `nghttp2_session_mem_send` into one buffer and written with one system call per tick; when the
/// socket is full the rest waits for EPOLLOUT and nghttp2 is not asked for more.
final class ServerConnection: IOHandler {
    let fd: Int32
    let loop: EventLoop
    let core: ServerCore
    let peer: String
    /// The nghttp2 session, owned by this object and deleted in `deinit`.
    var session: OpaquePointer!
    var streams = StreamTable()
    /// The stream whose header block is being received (set in on_begin_headers).
    var headerBlockStream: ServerStream?
    var isClosed = false
    var handshakeDone = false
    var glitches = 0
    var calmed = false
    var controlFrames = 0
    var controlWindowStart: UInt64
    var lastActivity: UInt64
    var shuttingDown = false
    var goawaySent = false
    var handshakeTimer: TimerHandle?
    var idleTimer: TimerHandle?
    var shutdownTimers: [TimerHandle] = []
    var keepalive: KeepaliveMachine
    var keepaliveTimer: TimerHandle?

    private let output = OutputBuffer()
    private var flushScheduled = false
    private var writeBlocked = false
    /// nghttp2 rejected our input: nothing more is fed to the session.
    private var sessionFailed = false
    /// Our side is finished and shut down for writing; input is read and discarded until the peer
    /// closes, so unread input never makes the kernel reset the connection over our last frames.
    private var lingering = false
    private var lingerTimer: TimerHandle?

    init(fd: Int32, loop: EventLoop, core: ServerCore) throws(RPCServerError) {
        self.fd = fd
        self.loop = loop
        self.core = core
        self.peer = SocketIO.peerDescription(fd)
        let now = MonotonicClock.now()
        controlWindowStart = now
        lastActivity = now
        let configuration = core.configuration
        keepalive = KeepaliveMachine(
            policy: .init(
                interval: Self.nanoseconds(configuration.keepaliveInterval),
                timeout: Self.nanoseconds(configuration.keepaliveTimeout),
                minPeerPingInterval: Self.nanoseconds(configuration.minClientPingInterval),
                maxPingStrikes: configuration.maxPingStrikes),
            now: now)
        try createSession()
    }

    deinit {
        if let session { nghttp2_session_del(session) }
    }

    /// Registers with the loop, submits our SETTINGS and arms the handshake and idle timers.
    func start() throws(IOError) {
        try loop.register(fd: fd, interest: .readable, handler: self)
        let configuration = core.configuration
        handshakeTimer = loop.scheduleTimer(afterNanoseconds: Self.nanoseconds(configuration.handshakeTimeout)) {
            [self] in
            handshakeTimer = nil
            if !handshakeDone {
                core.logger.debug("connection handshake timed out", metadata: ["peer": "\(peer)"])
                close()
            }
        }
        if configuration.idleTimeout > 0 { scheduleIdleCheck(after: Self.nanoseconds(configuration.idleTimeout)) }
        scheduleKeepalive()
        requestFlush()
    }

    // MARK: I/O

    func handleIO(_ events: IOEvents) {
        if isClosed { return }
        if events.contains(.writable) && writeBlocked { flushNow() }
        // While our output is stuck the peer is not reading: stop reading its requests too, so it
        // cannot make nghttp2 queue responses without bound. Errors and hang-ups still close.
        if writeBlocked && events.isDisjoint(with: [.hangup, .error]) { return }
        if !events.isDisjoint(with: [.readable, .hangup, .error]) { readInput() }
    }

    /// The loop's shared read buffer: nghttp2 consumes each read completely before the next.
    private var readBuffer: UnsafeMutableRawBufferPointer { loop.readScratch }

    private func readInput() {
        if lingering || sessionFailed {
            discardInput()
            return
        }
        for _ in 0..<4 {  // bounded, so one busy peer cannot starve the loop's other connections
            let result: SocketIO.ReadResult
            do {
                result = try SocketIO.read(fd, into: readBuffer)
            } catch {
                if !error.isPeerGone { core.logger.warning("read failed: \(error)", metadata: ["peer": "\(peer)"]) }
                close()
                return
            }
            switch result {
            case .bytes(let count):
                if keepalive.policy.interval > 0 { keepalive.inputReceived(now: MonotonicClock.now()) }
                let consumed = nghttp2_session_mem_recv(
                    session, readBuffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count)
                if consumed < 0 {
                    protocolFailure(Int32(consumed))
                    return
                }
                if count < readBuffer.count {
                    requestFlush()
                    return
                }
            case .wouldBlock:
                requestFlush()
                return
            case .endOfStream:
                core.logger.debug("connection closed by peer", metadata: ["peer": "\(peer)"])
                close()
                return
            }
        }
        requestFlush()
    }

    /// nghttp2 rejected the input: send whatever it queued (a GOAWAY, when it made one), then close.
    /// A CONTINUATION flood makes nghttp2 fail without a GOAWAY; we add ENHANCE_YOUR_CALM ourselves.
    private func protocolFailure(_ code: Int32) {
        let reason = String(cString: nghttp2_strerror(code))
        core.logger.warning("closing connection: \(reason)", metadata: ["peer": "\(peer)"])
        sessionFailed = true
        if code == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS.rawValue {
            nghttp2_session_terminate_session(session, NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
        }
        flushNow()
        if !isClosed && !writeBlocked { beginLingeringClose() }
    }

    /// Reads and drops input while lingering; the peer's close (or the linger timer) ends it.
    private func discardInput() {
        for _ in 0..<4 {
            switch try? SocketIO.read(fd, into: readBuffer) {
            case .bytes(let count) where count == readBuffer.count: continue
            case .bytes, .wouldBlock: return
            case .endOfStream, nil:
                close()
                return
            }
        }
    }

    /// Shuts down our sending side once everything is written and waits briefly for the peer to
    /// close, so our final frames (a GOAWAY) are not destroyed by a reset.
    func beginLingeringClose() {
        if lingering || isClosed { return }
        lingering = true
        _ = shutdown(fd, Int32(SHUT_WR))
        lingerTimer = loop.scheduleTimer(afterNanoseconds: 1_000_000_000) { [self] in
            lingerTimer = nil
            close()
        }
    }

    /// Flushes at the end of this loop tick, so everything produced in the tick goes out in one write.
    func requestFlush() {
        if flushScheduled || isClosed { return }
        flushScheduled = true
        loop.atTickEnd { [self] in
            flushScheduled = false
            flushNow()
        }
    }

    func flushNow() {
        if isClosed { return }
        while true {
            if !output.isEmpty {
                let written: Int
                do {
                    written = try SocketIO.write(fd, output.unsent)
                } catch {
                    if !error.isPeerGone {
                        core.logger.warning("write failed: \(error)", metadata: ["peer": "\(peer)"])
                    }
                    close()
                    return
                }
                output.consume(written)
                if !output.isEmpty {
                    setWriteInterest(true)
                    return
                }
            }
            var produced = false
            while output.count < 64 * 1024 && !lingering {
                var chunk: UnsafePointer<UInt8>?
                let count = nghttp2_session_mem_send(session, &chunk)
                if count < 0 {
                    core.logger.warning(
                        "nghttp2 send failed: \(String(cString: nghttp2_strerror(Int32(count))))",
                        metadata: ["peer": "\(peer)"])
                    close()
                    return
                }
                if count == 0 { break }
                output.append(chunk!, count: count)
                produced = true
            }
            if !produced { break }
        }
        setWriteInterest(false)
        if sessionFailed || (nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0) {
            beginLingeringClose()
        }
    }

    private func setWriteInterest(_ wanted: Bool) {
        guard wanted != writeBlocked else { return }
        writeBlocked = wanted
        try? loop.reregister(fd: fd, interest: wanted ? .writable : .readable)
    }

    /// Closes the socket now and ends every call still open on it.
    func close() {
        if isClosed { return }
        isClosed = true
        loop.deregister(fd: fd)
        SocketIO.close(fd)
        if let handshakeTimer { loop.cancelTimer(handshakeTimer) }
        if let idleTimer { loop.cancelTimer(idleTimer) }
        if let lingerTimer { loop.cancelTimer(lingerTimer) }
        if let keepaliveTimer { loop.cancelTimer(keepaliveTimer) }
        for timer in shutdownTimers { loop.cancelTimer(timer) }
        headerBlockStream = nil
        for stream in streams.removeAll() { streamGone(stream) }
        core.connectionClosed(self)
        core.logger.debug("connection closed", metadata: ["peer": "\(peer)"])
    }

    /// The stream can carry nothing more: cancel its handler and release waiting producers.
    func streamGone(_ stream: ServerStream) {
        stream.isClosed = true
        if let timer = stream.deadlineTimer {
            loop.cancelTimer(timer)
            stream.deadlineTimer = nil
        }
        if stream.phase != .finished { stream.task?.cancel() }
        stream.failAllWaiters()
        stream.task = nil
    }

    static func nanoseconds(_ seconds: Double) -> UInt64 {
        seconds <= 0 ? 0 : UInt64(min(seconds, 1e9) * 1e9)
    }
}

@available(*, unavailable)
extension ServerConnection: Sendable {}

import PulseIO
import PulseProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// One HTTP/2 connection to a server, owned by one event loop: the socket, its nghttp2 session and
/// every call multiplexed on it. All methods run on the loop thread.
final class ClientConnection: IOHandler {
    let loop: EventLoop
    let address: ServerAddress
    private var fd: Int32
    private let session: HTTP2ClientSession
    private var calls: [Int32: ClientCall] = [:]
    private var output: [UInt8] = []
    private var outputOffset = 0
    private var isConnected = false
    /// Armed until the server's first bytes (its SETTINGS) arrive.
    private var handshakeTimer: TimerHandle?
    private var watchingWritable = true
    private var flushScheduled = false
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    /// True once the connection must not take new calls (GOAWAY received, or closed).
    private(set) var isDraining = false
    /// True once the socket is closed.
    private(set) var isClosed = false
    /// Called once when the connection stops taking new calls (GOAWAY or closed), so the channel dials anew.
    var onRetire: ((ClientConnection) -> Void)?

    /// Starts connecting to `address` on `loop` (loop thread only).
    init(
        address: ServerAddress, loop: EventLoop, settings: HTTP2ClientSession.Settings, handshakeTimeout: Duration
    ) throws {
        self.loop = loop
        self.address = address
        self.session = try HTTP2ClientSession(settings: settings)
        self.fd = try address.socketAddress.startConnecting()
        do {
            try loop.register(fd: fd, interest: [.readable, .writable], handler: self)
        } catch {
            close(fd)
            throw error
        }
        handshakeTimer = loop.scheduleTimer(afterNanoseconds: handshakeTimeout.wholeNanoseconds) { [weak self] in
            guard let self else { return }
            self.handshakeTimer = nil
            self.closeConnection(
                GRPCStatus(.unavailable, "\(address) did not complete the HTTP/2 handshake within \(handshakeTimeout)"))
        }
    }

    deinit {
        if !isClosed { close(fd) }
        readBuffer.deallocate()
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
            let streamID = try session.submitRequest(
                headers: call.request.headerBlock(authority: address.description), body: call.request.body)
            call.streamID = streamID
            call.connection = self
            calls[streamID] = call
        } catch {
            call.finish(GRPCStatus(.internal, "could not start the call: \(error)"), on: loop)
            return
        }
        if let timeout = call.request.timeout {
            call.deadlineTimer = loop.scheduleTimer(afterNanoseconds: timeout.wholeNanoseconds) {
                [weak self, weak call] in
                guard let self, let call else { return }
                call.deadlineTimer = nil
                self.cancel(call, status: GRPCStatus(.deadlineExceeded, "the deadline of \(timeout) passed"))
            }
        }
        scheduleFlush()
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
        flush()
        closeConnection(GRPCStatus(.unavailable, "the client closed the connection"))
    }

    // MARK: - Helpers for event handling

    func call(for streamID: Int32) -> ClientCall? {
        calls[streamID]
    }

    func removeCall(_ streamID: Int32) -> ClientCall? {
        calls.removeValue(forKey: streamID)
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

    // MARK: - I/O

    func handleIO(_ events: IOEvents) {
        if !isConnected {
            guard events.contains(.writable) || events.contains(.error) || events.contains(.hangup) else { return }
            if let error = SocketIO.connectionError(of: fd) {
                let reason = String(cString: strerror(error))
                closeConnection(GRPCStatus(.unavailable, "cannot connect to \(address): \(reason)"))
                return
            }
            isConnected = true
        }
        if events.contains(.readable) || events.contains(.hangup) || events.contains(.error) {
            readAvailable()
        }
        if !isClosed, events.contains(.writable) {
            flush()
        }
    }

    private func readAvailable() {
        while !isClosed {
            let result: SocketIO.ReadResult
            do {
                result = try SocketIO.read(fd, into: readBuffer)
            } catch {
                closeConnection(GRPCStatus(.unavailable, "the connection to \(address) failed: \(error)"))
                return
            }
            switch result {
            case .wouldBlock:
                flush()
                return
            case .endOfStream:
                closeConnection(GRPCStatus(.unavailable, "the server at \(address) closed the connection"))
                return
            case .bytes(let count):
                if let timer = handshakeTimer {
                    loop.cancelTimer(timer)
                    handshakeTimer = nil
                }
                do {
                    let events = try session.receive(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
                    for event in events { handle(event) }
                } catch {
                    closeConnection(GRPCStatus(.internal, "HTTP/2 protocol failure talking to \(address): \(error)"))
                    return
                }
            }
        }
    }

    private func scheduleFlush() {
        guard !flushScheduled, !isClosed else { return }
        flushScheduled = true
        loop.atTickEnd { [weak self] in
            guard let self else { return }
            self.flushScheduled = false
            self.flush()
        }
    }

    /// Drains nghttp2's output into one buffer and writes what the socket takes.
    private func flush() {
        guard !isClosed else { return }
        do {
            if outputOffset == output.count {
                output.removeAll(keepingCapacity: true)
                outputOffset = 0
            }
            try session.drainOutput(into: &output)
            for event in session.takeEvents() { handle(event) }
            if isConnected, outputOffset < output.count {
                let written = try output.withUnsafeBytes { raw throws(IOError) in
                    try SocketIO.write(fd, UnsafeRawBufferPointer(rebasing: raw[outputOffset...]))
                }
                outputOffset += written
            }
        } catch {
            closeConnection(GRPCStatus(.unavailable, "writing to \(address) failed: \(error)"))
            return
        }
        let pending = outputOffset < output.count || !isConnected
        if pending != watchingWritable {
            watchingWritable = pending
            try? loop.reregister(fd: fd, interest: pending ? [.readable, .writable] : [.readable])
        }
        if !pending, !session.isActive {
            closeConnection(GRPCStatus(.unavailable, "the HTTP/2 session with \(address) ended"))
        }
    }

    /// Closes the socket and ends every call still in flight with `status`.
    private func closeConnection(_ status: GRPCStatus) {
        guard !isClosed else { return }
        isClosed = true
        isDraining = true
        if let timer = handshakeTimer {
            loop.cancelTimer(timer)
            handshakeTimer = nil
        }
        loop.deregister(fd: fd)
        close(fd)
        let orphans = calls.values
        calls.removeAll()
        for call in orphans { call.finish(status, on: loop) }
        onRetire?(self)
        onRetire = nil
    }
}

@available(*, unavailable)
extension ClientConnection: Sendable {}

extension Duration {
    /// The duration in nanoseconds for a loop timer: negative durations are 0, huge ones saturate.
    var wholeNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole &+ UInt64(max(0, attoseconds / 1_000_000_000))
    }
}

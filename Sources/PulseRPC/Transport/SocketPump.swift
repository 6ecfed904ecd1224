import PulseIO

#if canImport(Glibc)
    import Glibc
#endif

/// What a ``SocketPump`` feeds and drains: an HTTP/2 session of a server or client connection.
///
/// This is the seam for TLS: a TLS layer will be a delegate that wraps the session's delegate — it
/// decrypts what ``pumpReceived(_:)`` gets before handing it on, and encrypts what it pulls from the
/// session in ``pumpProduceOutput(into:limit:)`` — so neither the pump nor the session changes.
protocol SocketPumpDelegate: AnyObject {
    /// A non-blocking connect completed (client connections only).
    func pumpConnected()
    /// Bytes arrived from the peer. Return false when the session failed for good: the pump then
    /// sends what is queued (a GOAWAY), closes gracefully and discards further input.
    func pumpReceived(_ bytes: UnsafeRawBufferPointer) -> Bool
    /// Appends the session's pending output to `buffer` until it holds about `limit` bytes; returns
    /// false on a fatal error (the pump closes at once).
    func pumpProduceOutput(into buffer: OutputBuffer, limit: Int) -> Bool
    /// Asked once everything is written: true when the session is done with the peer.
    var pumpSessionFinished: Bool { get }
    /// The socket is closed; called exactly once.
    func pumpClosed(_ reason: SocketPump.Closure)
}

/// The one read/flush/close loop of a connection, shared by server and client connections: reads
/// into the loop's shared buffer and hands the bytes to its delegate, coalesces output into one
/// buffer written with one system call per tick, applies backpressure when the socket is full, and
/// closes — at once, or lingering so the peer reads our last frames before the socket goes.
///
/// Lives on one loop. It holds its delegate strongly until it closes (the loop's descriptor table
/// keeps the pump, so a draining connection that nobody else references still finishes).
final class SocketPump: IOHandler {
    /// Why the socket was closed.
    enum Closure: Equatable {
        /// The peer closed its side (read returned end of stream).
        case peerClosed
        case readFailed(IOError)
        case writeFailed(IOError)
        /// The non-blocking connect failed with this errno.
        case connectFailed(Int32)
        /// The session is done with the peer and everything was written.
        case sessionFinished
        /// The linger period ended without the peer closing.
        case lingerEnded
        /// The delegate or owner closed it.
        case local
    }

    struct Options {
        /// Stop reading while our output is stuck (servers: a peer that does not read cannot make us
        /// queue responses without bound). Clients keep reading, or two full pipes would deadlock.
        var pauseReadingWhileWriteBlocked: Bool
        /// After the session finished: shut down our sending side and wait this long (ns) for the
        /// peer to close, so our final frames are not destroyed by a reset; nil closes at once.
        var linger: UInt64?
        /// Reads per readiness event, so one busy peer cannot starve the loop's other connections.
        var readsPerEvent = 4
        /// Output pulled from the session before it is written.
        var outputHighWater = 64 * 1024

        static let server = Options(pauseReadingWhileWriteBlocked: true, linger: 1_000_000_000)
        static let client = Options(pauseReadingWhileWriteBlocked: false, linger: nil)
    }

    private enum State {
        /// A client's connect is in progress: output is queued, not written.
        case connecting
        case open
        /// The session rejected input: nothing more is fed to it; finish after the flush.
        case inputFailed
        /// Our side is shut down for writing; input is read and dropped until the peer closes.
        case lingering
        case closed
    }

    let fd: Int32
    let loop: EventLoop
    let options: Options
    private var delegate: (any SocketPumpDelegate)?
    private var state: State
    private let output = OutputBuffer()
    private var flushScheduled = false
    private var writeBlocked = false
    private var interest: IOEvents = []
    private var lingerTimer: TimerHandle?

    /// - Parameter connecting: the descriptor is a client socket whose connect is still in progress.
    init(fd: Int32, loop: EventLoop, options: Options, connecting: Bool = false) {
        self.fd = fd
        self.loop = loop
        self.options = options
        state = connecting ? .connecting : .open
    }

    var isClosed: Bool { state == .closed }

    /// Registers with the loop and starts pumping for `delegate`. The pump owns the descriptor from then on
    /// (it closes it in ``close(_:)``); on failure the caller still owns it.
    func start(delegate: any SocketPumpDelegate) throws(IOError) {
        self.delegate = delegate
        interest = state == .connecting ? [.readable, .writable] : .readable
        do {
            try loop.register(fd: fd, interest: interest, handler: self)
        } catch {
            self.delegate = nil
            throw error
        }
    }

    // MARK: Input

    func handleIO(_ events: IOEvents) {
        if state == .closed { return }
        if state == .connecting {
            guard !events.isDisjoint(with: [.writable, .error, .hangup]) else { return }
            if let error = SocketIO.connectionError(of: fd) {
                close(.connectFailed(error))
                return
            }
            state = .open
            delegate?.pumpConnected()
            flushNow()
            if state == .closed { return }
        }
        if events.contains(.writable) && writeBlocked { flushNow() }
        if state == .closed { return }
        if options.pauseReadingWhileWriteBlocked && writeBlocked && events.isDisjoint(with: [.hangup, .error]) {
            return
        }
        if !events.isDisjoint(with: [.readable, .hangup, .error]) { readInput() }
    }

    /// The loop's shared read buffer: each read is consumed completely before the next.
    private var readBuffer: UnsafeMutableRawBufferPointer { loop.readScratch }

    private func readInput() {
        if state == .lingering || state == .inputFailed {
            discardInput()
            return
        }
        for _ in 0..<options.readsPerEvent {
            let result: SocketIO.ReadResult
            do {
                result = try SocketIO.read(fd, into: readBuffer)
            } catch {
                close(.readFailed(error))
                return
            }
            switch result {
            case .bytes(let count):
                let accepted = delegate?.pumpReceived(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count])) ?? false
                if state == .closed { return }
                if !accepted {
                    state = .inputFailed
                    flushNow()
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
                close(.peerClosed)
                return
            }
        }
        requestFlush()
    }

    /// Reads and drops input after the session failed or while lingering; the peer's close ends it.
    private func discardInput() {
        for _ in 0..<options.readsPerEvent {
            switch try? SocketIO.read(fd, into: readBuffer) {
            case .bytes(let count) where count == readBuffer.count: continue
            case .bytes, .wouldBlock: return
            case .endOfStream, nil:
                close(.peerClosed)
                return
            }
        }
    }

    // MARK: Output

    /// Flushes at the end of this loop tick, so everything produced in the tick goes out in one write.
    func requestFlush() {
        if flushScheduled || state == .closed { return }
        flushScheduled = true
        loop.atTickEnd { [self] in
            flushScheduled = false
            flushNow()
        }
    }

    /// Writes what is buffered and pulls more from the session until it has nothing left or the
    /// socket is full (then waits for EPOLLOUT and pulls nothing more: that is the backpressure).
    func flushNow() {
        if state == .closed { return }
        while true {
            if !output.isEmpty && state != .connecting {
                let written: Int
                do {
                    written = try SocketIO.write(fd, output.unsent)
                } catch {
                    close(.writeFailed(error))
                    return
                }
                output.consume(written)
                if !output.isEmpty {
                    setWriteBlocked(true)
                    return
                }
            }
            if state == .lingering { break }
            let before = output.count
            guard let delegate, delegate.pumpProduceOutput(into: output, limit: options.outputHighWater) else {
                close(.local)
                return
            }
            if state == .closed { return }
            if output.count == before || state == .connecting { break }
        }
        setWriteBlocked(state == .connecting)
        if state == .inputFailed || ((state == .open) && delegate?.pumpSessionFinished == true) { finish() }
    }

    private func setWriteBlocked(_ blocked: Bool) {
        writeBlocked = blocked && state != .connecting
        let wanted: IOEvents
        if state == .connecting {
            wanted = [.readable, .writable]
        } else if blocked {
            wanted = options.pauseReadingWhileWriteBlocked ? .writable : [.readable, .writable]
        } else {
            wanted = .readable
        }
        guard wanted != interest else { return }
        interest = wanted
        try? loop.reregister(fd: fd, interest: wanted)
    }

    // MARK: Closing

    /// The session is done: linger (servers) or close now (clients).
    private func finish() {
        guard let linger = options.linger else {
            close(.sessionFinished)
            return
        }
        beginLingeringClose(linger)
    }

    private func beginLingeringClose(_ linger: UInt64) {
        if state == .lingering || state == .closed { return }
        state = .lingering
        _ = shutdown(fd, Int32(SHUT_WR))
        lingerTimer = loop.scheduleTimer(afterNanoseconds: linger) { [self] in
            lingerTimer = nil
            close(.lingerEnded)
        }
    }

    /// Closes the socket now and tells the delegate (once).
    func close(_ reason: Closure = .local) {
        if state == .closed { return }
        state = .closed
        loop.deregister(fd: fd)
        SocketIO.close(fd)
        if let lingerTimer { loop.cancelTimer(lingerTimer) }
        lingerTimer = nil
        let delegate = self.delegate
        self.delegate = nil
        delegate?.pumpClosed(reason)
    }
}

@available(*, unavailable)
extension SocketPump: Sendable {}

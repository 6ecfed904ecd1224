import PulseIO

/// Accepts connections on one loop and hands each to the next loop of the group, round-robin.
///
/// One acceptor rather than a SO_REUSEPORT socket per loop: the kernel hashes connections onto
/// REUSEPORT sockets, so a handful of long-lived connections (4 load-test connections on 2 loops)
/// can land unevenly; round-robin is exact, and the cost is one hop per connection, not per call.
final class ServerAcceptor: IOHandler {
    let socket: ListeningSocket
    let loop: EventLoop
    let core: ServerCore
    private var stopped = false

    init(socket: ListeningSocket, loop: EventLoop, core: ServerCore) {
        self.socket = socket
        self.loop = loop
        self.core = core
    }

    func start() throws(IOError) {
        try loop.register(fd: socket.fd, interest: .readable, handler: self)
    }

    private var paused = false

    private func pause() {
        guard !paused, !stopped else { return }
        paused = true
        loop.deregister(fd: socket.fd)
        loop.scheduleTimer(afterNanoseconds: 100_000_000) { [self] in
            paused = false
            guard !stopped else { return }
            do {
                try loop.register(fd: socket.fd, interest: .readable, handler: self)
            } catch {
                core.logger.warning("cannot resume accepting: \(error)")
            }
        }
    }

    /// Stops accepting and closes the listening socket, so new connections are refused.
    func stop() {
        guard !stopped else { return }
        stopped = true
        if !paused { loop.deregister(fd: socket.fd) }
        socket.close()
    }

    func handleIO(_ events: IOEvents) {
        for _ in 0..<64 {
            guard !stopped else { return }
            let fd: Int32
            do {
                guard let accepted = try socket.accept() else { return }
                fd = accepted
            } catch {
                // Out of descriptors or memory: the listener stays readable, so retrying at once would
                // spin. Stop watching it for a moment instead.
                core.logger.warning("accept failed, pausing accepts for 100 ms: \(error)")
                pause()
                return
            }
            guard core.reserveConnection() else {
                core.logger.warning(
                    "connection limit reached; refusing connection",
                    metadata: ["limit": "\(core.connectionLimit)"])
                SocketIO.close(fd)
                continue
            }
            let target = core.group.next()
            if target === loop {
                core.adopt(fd: fd, on: target)
            } else {
                let core = self.core
                target.execute { core.adopt(fd: fd, on: target) }
            }
        }
    }
}

@available(*, unavailable)
extension ServerAcceptor: Sendable {}

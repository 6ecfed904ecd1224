import PulseIO
import Synchronization
import Testing

@testable import PulseRPC

#if canImport(Glibc)
    import Glibc
#endif

/// A session stand-in: records input, produces whatever output it is given.
private final class FakeSession: SocketPumpDelegate {
    let observed: Observed
    var pending: [UInt8] = []
    var failOnInput = false
    var finished = false

    init(observed: Observed) { self.observed = observed }

    func pumpConnected() {}
    func pumpReceived(_ bytes: UnsafeRawBufferPointer) -> Bool {
        observed.received.add(bytes.count, ordering: .relaxed)
        if failOnInput {
            pending = Array("GOAWAY".utf8)
            return false
        }
        return true
    }
    func pumpProduceOutput(into buffer: OutputBuffer, limit: Int) -> Bool {
        let count = min(pending.count, max(0, limit - buffer.count))
        pending.withUnsafeBytes { buffer.append($0.baseAddress!, count: count) }
        pending.removeFirst(count)
        return true
    }
    var pumpSessionFinished: Bool { finished }
    func pumpClosed(_ reason: SocketPump.Closure) {
        observed.closed.withLock { $0 = "\(reason)" }
    }
}

private final class Observed: Sendable {
    let received = Atomic<Int>(0)
    let closed = Mutex<String?>(nil)
}

@Suite("SocketPump (the read/flush/close loop of both connection kinds)")
struct SocketPumpTests {
    /// A connected pair of UNIX stream sockets: the pump's end (non-blocking) and the peer's.
    static func socketPair() -> (pump: Int32, peer: Int32) {
        var fds: [Int32] = [0, 0]
        _ = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds)
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        return (fds[0], fds[1])
    }

    /// Reads from a blocking descriptor until `count` bytes or end of stream; returns what was read.
    static func read(_ fd: Int32, atMost count: Int) -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while result.count < count {
            let got = buffer.withUnsafeMutableBytes {
                Glibc.read(fd, $0.baseAddress, min($0.count, count - result.count))
            }
            if got <= 0 { break }
            result += buffer[0..<got]
        }
        return result
    }

    @Test("server pumps stop reading while the peer does not read their output, and resume when it does")
    func serverBackpressure() async throws {
        try await EventLoopGroup.withGroup(loops: 1) { group in
            let loop = group.loops[0]
            let (pumpFD, peer) = Self.socketPair()
            defer { close(peer) }
            let observed = Observed()
            let size = 8 << 20  // far more than the socket buffers hold
            let pump = try await loop.submit {
                let session = FakeSession(observed: observed)
                session.pending = [UInt8](repeating: 7, count: size)
                let pump = SocketPump(fd: pumpFD, loop: loop, options: .server)
                try pump.start(delegate: session)
                pump.requestFlush()
                return LoopBound(pump, loop: loop)
            }
            try await Task.sleep(for: .milliseconds(100))
            _ = Glibc.write(peer, "ping", 4)
            try await Task.sleep(for: .milliseconds(100))
            #expect(observed.received.load(ordering: .relaxed) == 0, "read input while its output was stuck")
            #expect(Self.read(peer, atMost: size).count == size)
            for _ in 0..<200 where observed.received.load(ordering: .relaxed) == 0 {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(observed.received.load(ordering: .relaxed) == 4)
            try await pump.submit { $0.close() }
        }
    }

    @Test("client pumps keep reading while their output is stuck (no deadlock of two full pipes)")
    func clientKeepsReading() async throws {
        try await EventLoopGroup.withGroup(loops: 1) { group in
            let loop = group.loops[0]
            let (pumpFD, peer) = Self.socketPair()
            defer { close(peer) }
            let observed = Observed()
            let pump = try await loop.submit {
                let session = FakeSession(observed: observed)
                session.pending = [UInt8](repeating: 7, count: 8 << 20)
                let pump = SocketPump(fd: pumpFD, loop: loop, options: .client)
                try pump.start(delegate: session)
                pump.requestFlush()
                return LoopBound(pump, loop: loop)
            }
            try await Task.sleep(for: .milliseconds(100))
            _ = Glibc.write(peer, "ping", 4)
            for _ in 0..<200 where observed.received.load(ordering: .relaxed) == 0 {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(observed.received.load(ordering: .relaxed) == 4)
            try await pump.submit { $0.close() }
        }
    }

    @Test("a failed session's last frames are flushed, then the server pump lingers until the peer closes")
    func failureFlushesThenLingers() async throws {
        try await EventLoopGroup.withGroup(loops: 1) { group in
            let loop = group.loops[0]
            let (pumpFD, peer) = Self.socketPair()
            let observed = Observed()
            _ = try await loop.submit {
                let session = FakeSession(observed: observed)
                session.failOnInput = true
                // Server behaviour with a long linger, so a slow test thread cannot see it end.
                var options = SocketPump.Options.server
                options.linger = 60_000_000_000
                let pump = SocketPump(fd: pumpFD, loop: loop, options: options)
                try pump.start(delegate: session)
                return LoopBound(pump, loop: loop)
            }
            _ = Glibc.write(peer, "bad input", 9)
            // The GOAWAY stand-in arrives, then end of stream (our side shut down for writing) ...
            #expect(Self.read(peer, atMost: 100) == Array("GOAWAY".utf8))
            // ... while the pump still waits for the peer, discarding what it sends.
            _ = Glibc.write(peer, "more", 4)
            try await Task.sleep(for: .milliseconds(50))
            #expect(observed.closed.withLock { $0 } == nil)
            close(peer)
            for _ in 0..<2_000 where observed.closed.withLock({ $0 }) == nil {  // up to 20 s on a busy machine
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(observed.closed.withLock { $0 } == "peerClosed")
            #expect(observed.received.load(ordering: .relaxed) == 9)
        }
    }
}

import PulseIO
import PulseProtocol
import PulseRPC
import Synchronization
import Testing

/// `ClientChannel.startUnary`, the callback form of a unary call for callers living on the loop: results on the
/// loop thread, never before the call returns (so a caller that starts its next call from the callback cannot
/// recurse), and every way a call ends.
@Suite("Unary calls started from the loop")
struct ClientLoopCallbackTests {
    /// What one call's callback saw.
    private struct Ended: Sendable {
        var result: Result<[UInt8], GRPCStatus>
        var onLoopThread: Bool
        var afterStartReturned: Bool
        /// Nanoseconds from the call's start to its callback, both read on the loop thread (a test process that
        /// starves the cooperative pool cannot stretch it).
        var took: UInt64
    }

    /// Starts `requests` one after another on the channel's loop, each from the previous one's callback.
    private func chain(_ channel: ClientChannel, _ requests: [ClientRequest]) async -> [Ended] {
        await withCheckedContinuation { (continuation: CheckedContinuation<[Ended], Never>) in
            channel.loop.execute {
                Chain(channel: channel, requests: requests) { continuation.resume(returning: $0) }.next()
            }
        }
    }

    /// Loop-confined state of `chain`.
    private final class Chain {
        let channel: ClientChannel
        let requests: [ClientRequest]
        let done: ([Ended]) -> Void
        var ended: [Ended] = []
        init(channel: ClientChannel, requests: [ClientRequest], done: @escaping ([Ended]) -> Void) {
            self.channel = channel
            self.requests = requests
            self.done = done
        }

        func next() {
            guard ended.count < requests.count else { return done(ended) }
            var returned = false
            let started = MonotonicClock.now()
            channel.startUnary(requests[ended.count]) { [self] result in
                let onLoop = channel.loop.inEventLoop
                ended.append(
                    Ended(
                        result: result, onLoopThread: onLoop, afterStartReturned: returned,
                        took: MonotonicClock.now() - started))
                next()
            }
            returned = true
        }
    }

    private static func echo(_ text: String, delayMs: UInt32 = 0, timeout: Duration? = .seconds(10)) -> ClientRequest {
        let request = PulseV1.EchoRequest(payload: Array(text.utf8), delayMs: delayMs)
        return ClientRequest(path: "/pulse.v1.Diagnostics/Echo", body: GRPCFraming.frame(request), timeout: timeout)
    }

    private func withChannel<T>(port: Int, _ body: (ClientChannel) async throws -> T) async throws -> T {
        let group = try EventLoopGroup(loops: 1)
        defer { group.shutdown() }
        let channel = ClientChannel(
            address: try ServerAddress(host: "127.0.0.1", port: port), loop: group.loops[0],
            connectTimeout: .seconds(2))
        let result = try await body(channel)
        await channel.close()
        return result
    }

    @Test(arguments: ClientTestServer.Kind.allCases.filter(ClientTestServer.shouldTest))
    func chainedCallsEchoOnTheLoopThread(kind: ClientTestServer.Kind) async throws {
        try await ClientTestServer.with(kind) { server in
            try await withChannel(port: server.port) { channel in
                let texts = (0..<50).map { "call \($0)" }
                let ended = await chain(channel, texts.map { Self.echo($0) })
                #expect(ended.count == 50)
                #expect(ended.allSatisfy { $0.onLoopThread && $0.afterStartReturned })
                let echoed = try ended.map { try PulseV1.EchoResponse(serializedBytes: $0.result.get()).payload }
                #expect(echoed == texts.map { Array($0.utf8) })

                let failing = PulseV1.EchoRequest(payload: [1], failCode: 9, failMessage: "no, not now")
                let refused = await chain(
                    channel,
                    [ClientRequest(path: "/pulse.v1.Diagnostics/Echo", body: GRPCFraming.frame(failing))])
                guard case .failure(let status) = refused.first?.result else {
                    Issue.record("a failing handler's call succeeded")
                    return
                }
                #expect(status.code == .failedPrecondition && status.message == "no, not now")
            }
        }
    }

    @Test func aSilentServerEndsTheCallAtItsDeadline() async throws {
        let listener = try ListeningSocket(address: SocketAddress(host: "127.0.0.1", port: 0))
        defer { listener.close() }  // never accepts: nobody speaks
        try await withChannel(port: listener.localAddress.port) { channel in
            let ended = await chain(channel, [Self.echo("x", timeout: .milliseconds(300))])
            let seconds = Double(ended.first?.took ?? 0) / 1e9
            guard case .failure(let status) = ended.first?.result else {
                Issue.record("a call to a silent server succeeded")
                return
            }
            #expect(status.code == .deadlineExceeded)
            #expect(seconds >= 0.25 && seconds < 5)
        }
    }

    @Test func nobodyListeningOrAClosedChannelIsUnavailableAfterTheCallReturns() async throws {
        let port = try TestPorts.unused()
        try await withChannel(port: port) { channel in
            let refused = await chain(channel, [Self.echo("a"), Self.echo("b")])
            #expect(refused.count == 2)
            for ended in refused {
                guard case .failure(let status) = ended.result else {
                    Issue.record("a call with nobody listening succeeded")
                    continue
                }
                #expect(status.code == .unavailable)
                #expect(ended.onLoopThread && ended.afterStartReturned)
            }
            await channel.close()
            let closed = await chain(channel, [Self.echo("c")])
            guard case .failure(let status) = closed.first?.result else {
                Issue.record("a call on a closed channel succeeded")
                return
            }
            #expect(status.code == .unavailable && status.message.contains("closed"))
            #expect(closed.first?.afterStartReturned == true)
        }
    }
}

/// A loopback port nothing listens on: bound, read back and closed again.
private enum TestPorts {
    static func unused() throws -> Int {
        let listener = try ListeningSocket(address: SocketAddress(host: "127.0.0.1", port: 0))
        defer { listener.close() }
        return listener.localAddress.port
    }
}

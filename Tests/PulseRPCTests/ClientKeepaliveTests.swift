import PulseClient
import PulseIO
import PulseRPC
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A peer that accepts one connection, sends an empty SETTINGS frame (the client's handshake completes)
/// and from then on neither reads nor writes: a server that hung, or a connection a middlebox dropped.
private final class QuietPeer: @unchecked Sendable {
    let listener: ListeningSocket
    private var client: Int32 = -1

    init() throws {
        listener = try ListeningSocket(address: SocketAddress(host: "127.0.0.1", port: 0))
    }

    var port: Int { listener.localAddress.port }

    /// Waits for the client's connection and greets it with SETTINGS.
    func acceptAndGreet() async throws {
        for _ in 0..<500 {
            if let fd = try listener.accept() {
                client = fd
                let settings: [UInt8] = [0, 0, 0, 4, 0, 0, 0, 0, 0]
                _ = settings.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    deinit {
        if client >= 0 { close(client) }
        listener.close()
    }
}

@Suite("Client keepalive")
struct ClientKeepaliveTests {
    @Test("a call to a server that stops answering fails UNAVAILABLE once a keepalive PING goes unanswered")
    func unansweredPingFailsCalls() async throws {
        let peer = try QuietPeer()
        let client = try PulseClient(
            host: "127.0.0.1", port: peer.port,
            keepalive: ClientKeepalive(interval: .milliseconds(50), timeout: .milliseconds(100)))
        let call = Task { try await client.diagnostics.echo([1]) }
        try await peer.acceptAndGreet()
        guard case .failure(let failure) = await call.result, let error = failure as? RPCError else {
            Issue.record("a call to a quiet server cannot succeed")
            await client.close()
            return
        }
        #expect(error.code == .unavailable)
        #expect(error.message.contains("keepalive"))
        await client.close()
    }

    @Test("with keepalive on, calls to a live server go on as before across PINGs")
    func liveServerAnswers() async throws {
        try await ServerFixture.withServer { port, _, _ in
            let client = try PulseClient(
                host: "127.0.0.1", port: port,
                keepalive: ClientKeepalive(interval: .milliseconds(20), timeout: .milliseconds(500)))
            // Sleep takes 300 ms: several keepalive PINGs go out and are answered meanwhile.
            let body = try await client.channel.unary(
                ClientRequest(path: "/test.Probe/Sleep", body: GRPCFramingProbe.frame([30])))
            #expect(body == [30])
            await client.close()
        }
    }
}

enum GRPCFramingProbe {
    static func frame(_ body: [UInt8]) -> [UInt8] { ServerTestClient.frame(body) }
}

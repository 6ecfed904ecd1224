import PulseRPC
import Testing

@Suite("Server streaming and backpressure")
struct ServerStreamingTests {
    static func streamRequest(_ count: Int) -> [UInt8] { [UInt8(count >> 8), UInt8(count & 0xFF)] }

    @Test("a server stream delivers every message in order, then status 0")
    func streamsInOrder() async throws {
        try await ServerFixture.withServer { port, _, _ in
            let client = try ServerTestClient(port: port)
            let response = client.unary("/test.Probe/Stream", Self.streamRequest(500), timeout: 10)
            let messages = response.messages
            #expect(messages.count == 500)
            #expect(
                messages.enumerated().allSatisfy {
                    $0.element == [UInt8](repeating: UInt8($0.offset % 256), count: 1024)
                })
            #expect(response.grpcStatus == 0)
        }
    }

    @Test("a reader that never reads holds the producer at window plus queue, never more")
    func readerThatNeverReads() async throws {
        try await ServerFixture.withServer({ $0.streamQueueLimit = 8 }) { port, _, probe in
            let client = try ServerTestClient(port: port, autoWindowUpdate: false)
            let id = client.request(
                headers: ServerTestClient.grpcHeaders(path: "/test.Probe/Stream"),
                body: ServerTestClient.frame(Self.streamRequest(5000)))
            client.run(timeout: 1) { false }
            let produced = probe.streamedMessages.load(ordering: .relaxed)
            // 65,535 bytes of stream window hold 63 messages of 1,029 bytes; the queue 8 more.
            #expect(produced > 8)
            #expect(produced <= 63 + 8 + 2)
            client.run(timeout: 0.5) { false }
            #expect(probe.streamedMessages.load(ordering: .relaxed) == produced)
            // Reading now lets the stream finish.
            var consumed = 0
            client.run(timeout: 20) {
                let received = client.responses[id]?.data.count ?? 0
                if received > consumed {
                    client.consume(id, received - consumed)
                    consumed = received
                }
                return client.responses[id]?.closed == true
            }
            #expect(client.responses[id]?.messages.count == 5000)
            #expect(client.responses[id]?.grpcStatus == 0)
        }
    }

    @Test("a streamed message over the size limit ends the stream with RESOURCE_EXHAUSTED")
    func oversizedStreamMessage() async throws {
        try await ServerFixture.withServer({ $0.maxMessageSize = 1000 }) { port, _, probe in
            let client = try ServerTestClient(port: port)
            let response = client.unary("/test.Probe/Stream", Self.streamRequest(3))
            #expect(response.grpcStatus == 8)
            #expect(response.messages.isEmpty)
            #expect(probe.streamedMessages.load(ordering: .relaxed) == 0)
        }
    }

    @Test("cancelling a stream stops its producer")
    func cancelStopsProducer() async throws {
        try await ServerFixture.withServer { port, _, probe in
            let client = try ServerTestClient(port: port, autoWindowUpdate: false)
            let id = client.request(
                headers: ServerTestClient.grpcHeaders(path: "/test.Probe/Stream"),
                body: ServerTestClient.frame(Self.streamRequest(5000)))
            client.run(timeout: 0.3) { false }
            client.reset(id)
            client.run(timeout: 0.3) { false }
            let afterReset = probe.streamedMessages.load(ordering: .relaxed)
            client.run(timeout: 0.3) { false }
            #expect(probe.streamedMessages.load(ordering: .relaxed) == afterReset)
            #expect(afterReset < 5000)
        }
    }
}

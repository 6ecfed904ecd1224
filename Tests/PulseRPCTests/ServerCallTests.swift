import CNghttp2
import PulseIO
import PulseRPC
import Testing

@Suite("Server calls end to end")
struct ServerCallTests {
    @Test("a unary call echoes its message with status 0 in trailers")
    func unaryEcho() async throws {
        try await ServerFixture.withServer { port, _, _ in
            let client = try ServerTestClient(port: port)
            let payload = Array("hello pulse".utf8)
            let response = client.unary("/test.Probe/Echo", payload)
            #expect(response.header(":status") == "200")
            #expect(response.header("content-type") == "application/grpc")
            #expect(response.messages == [payload])
            #expect(response.trailers.contains { $0 == ("grpc-status", "0") })
        }
    }

    @Test("a message split into 1-byte DATA frames is reassembled")
    func splitAcrossFrames() async throws {
        try await ServerFixture.withServer { port, _, _ in
            let client = try ServerTestClient(port: port)
            let payload = (0..<300).map { UInt8($0 % 251) }
            let framed = ServerTestClient.frame(payload)
            let id = client.request(
                headers: ServerTestClient.grpcHeaders(path: "/test.Probe/Echo"), body: [], endStream: false)
            for byte in framed {
                client.send(id, [byte], endStream: false)
                client.run(timeout: 0.001) { false }
            }
            client.send(id, [], endStream: true)
            client.run { client.responses[id]?.closed == true }
            #expect(client.responses[id]?.messages == [payload])
            #expect(client.responses[id]?.grpcStatus == 0)
        }
    }

    @Test("many concurrent calls on one connection all complete")
    func concurrentCalls() async throws {
        try await ServerFixture.withServer { port, _, _ in
            let client = try ServerTestClient(port: port)
            let ids = (0..<50).map { index in
                client.request(
                    headers: ServerTestClient.grpcHeaders(path: "/test.Probe/Echo"),
                    body: ServerTestClient.frame([UInt8(index)]))
            }
            client.run { ids.allSatisfy { client.responses[$0]?.closed == true } }
            for (index, id) in ids.enumerated() {
                #expect(client.responses[id]?.messages == [[UInt8(index)]])
            }
        }
    }

    @Test("an unknown method is UNIMPLEMENTED as a Trailers-Only response")
    func unknownMethod() async throws {
        try await ServerFixture.withServer { port, _, _ in
            let client = try ServerTestClient(port: port)
            let response = client.unary("/test.Probe/Nope", [])
            #expect(response.header(":status") == "200")
            #expect(response.header("grpc-status") == "12")
            #expect(response.trailers.isEmpty)
            #expect(response.data.isEmpty)
        }
    }

    @Test("a thrown status arrives with its percent-encoded message")
    func thrownStatus() async throws {
        try await ServerFixture.withServer { port, _, _ in
            let client = try ServerTestClient(port: port)
            let response = client.unary("/test.Probe/Fail", [])
            #expect(response.grpcStatus == 9)
            #expect(response.grpcMessage == "bad state: 100%25 sure%0A")
        }
    }

    @Test("an unexpected handler error reaches the client as UNKNOWN with an id, its cause only in the log")
    func unexpectedErrorLeaksNothing() async throws {
        let log = CapturedLog()
        try await ServerFixture.withServer(logger: log.logger) { port, _, _ in
            let client = try ServerTestClient(port: port)
            let response = client.unary("/test.Probe/Crash", [])
            #expect(response.grpcStatus == 2)
            let message = try #require(response.grpcMessage)
            let match = try #require(message.wholeMatch(of: /internal error \(id ([0-9a-f]{16})\)/))
            for secret in ["s3cret", "db.internal", "postgres", "5432"] { #expect(!message.contains(secret)) }
            let id = String(match.1)
            let logged = log.lines.withLock { $0 }.filter { $0.contains("error_id=\(id)") }
            #expect(logged.count == 1)
            #expect(logged.first?.contains("postgres://pulse:s3cret@db.internal") == true)
            #expect(logged.first?.contains("method=/test.Probe/Crash") == true)
            // Each failure gets its own id.
            let second = client.unary("/test.Probe/Crash", [])
            #expect(second.grpcMessage != message)
        }
    }

    @Test(
        "non-gRPC requests get HTTP errors",
        arguments: [
            ("GET", "application/grpc", "405"),
            ("POST", "application/json", "415"),
            ("POST", "application/grpcx", "415"),
        ])
    func httpErrors(method: String, contentType: String, status: String) async throws {
        try await ServerFixture.withServer { port, _, _ in
            let client = try ServerTestClient(port: port)
            let headers = [
                (":method", method), (":scheme", "http"), (":authority", "x"), (":path", "/test.Probe/Echo"),
                ("content-type", contentType), ("te", "trailers"),
            ]
            let id = client.request(headers: headers, body: nil)
            client.run { client.responses[id]?.closed == true }
            #expect(client.responses[id]?.header(":status") == status)
        }
    }

    @Test("content-type variants application/grpc+proto and ;params are accepted")
    func contentTypeVariants() async throws {
        try await ServerFixture.withServer { port, _, _ in
            let client = try ServerTestClient(port: port)
            for contentType in ["application/grpc+proto", "application/grpc;charset=utf-8"] {
                var headers = ServerTestClient.grpcHeaders(path: "/test.Probe/Echo")
                headers[4] = ("content-type", contentType)
                let id = client.request(headers: headers, body: ServerTestClient.frame([7]))
                client.run { client.responses[id]?.closed == true }
                #expect(client.responses[id]?.grpcStatus == 0)
            }
        }
    }

    @Test("a request without te: trailers is rejected with INTERNAL")
    func missingTE() async throws {
        try await ServerFixture.withServer { port, _, _ in
            let client = try ServerTestClient(port: port)
            var headers = ServerTestClient.grpcHeaders(path: "/test.Probe/Echo")
            headers.removeLast()
            let id = client.request(headers: headers, body: ServerTestClient.frame([1]))
            client.run { client.responses[id]?.closed == true }
            #expect(client.responses[id]?.grpcStatus == 13)
        }
    }

    @Test("text and -bin metadata reach the handler, binary decoded from padded or unpadded base64")
    func metadata() async throws {
        try await ServerFixture.withServer { port, _, _ in
            let client = try ServerTestClient(port: port)
            for encoded in ["AAEC/w==", "AAEC/w"] {
                let response = client.unary(
                    "/test.Probe/Metadata", [], extra: [("x-text", "hi"), ("x-data-bin", encoded)])
                #expect(response.messages == [Array("hi".utf8) + [0, 0, 1, 2, 255]])
            }
        }
    }

    @Test("a message over the size limit is RESOURCE_EXHAUSTED and the connection keeps working")
    func oversizedMessage() async throws {
        try await ServerFixture.withServer({ $0.maxMessageSize = 1000 }) { port, _, _ in
            let client = try ServerTestClient(port: port)
            let big = client.unary("/test.Probe/Echo", [UInt8](repeating: 1, count: 5000))
            #expect(big.grpcStatus == 8)
            let small = client.unary("/test.Probe/Echo", [1, 2, 3])
            #expect(small.messages == [[1, 2, 3]])
        }
    }

    @Test("a request that ends without a message, or inside one, is INTERNAL")
    func truncatedRequests() async throws {
        try await ServerFixture.withServer { port, _, _ in
            let client = try ServerTestClient(port: port)
            let empty = client.request(headers: ServerTestClient.grpcHeaders(path: "/test.Probe/Echo"), body: nil)
            let partial = client.request(
                headers: ServerTestClient.grpcHeaders(path: "/test.Probe/Echo"), body: [0, 0, 0, 0, 9, 1])
            client.run { client.responses[empty]?.closed == true && client.responses[partial]?.closed == true }
            #expect(client.responses[empty]?.grpcStatus == 13)
            #expect(client.responses[partial]?.grpcStatus == 13)
        }
    }

    @Test("grpc-timeout expiry cancels the handler and ends the call with DEADLINE_EXCEEDED")
    func deadline() async throws {
        try await ServerFixture.withServer { port, _, probe in
            let client = try ServerTestClient(port: port)
            let start = MonotonicClockProbe.now()
            let response = client.unary("/test.Probe/Hang", [], extra: [("grpc-timeout", "100m")])
            let elapsed = MonotonicClockProbe.now() - start
            #expect(response.grpcStatus == 4)
            #expect(elapsed >= 90_000_000 && elapsed < 3_000_000_000)
            client.run(timeout: 1) { probe.cancelledCalls.load(ordering: .relaxed) == 1 }
            #expect(probe.cancelledCalls.load(ordering: .relaxed) == 1)
        }
    }

    @Test("a deadline that passes while the client is still sending ends with status 4 then RST_STREAM(CANCEL)")
    func deadlineWhileSending() async throws {
        try await ServerFixture.withServer { port, _, _ in
            let client = try ServerTestClient(port: port)
            let id = client.request(
                headers: ServerTestClient.grpcHeaders(path: "/test.Probe/Echo", extra: [("grpc-timeout", "50m")]),
                body: [0, 0, 0], endStream: false)
            client.run { client.responses[id]?.closed == true }
            #expect(client.responses[id]?.grpcStatus == 4)
            #expect(client.responses[id]?.resetReceived == NGHTTP2_CANCEL.rawValue)
        }
    }

    @Test("the client's RST_STREAM cancels the handler's task")
    func clientCancel() async throws {
        try await ServerFixture.withServer { port, _, probe in
            let client = try ServerTestClient(port: port)
            let id = client.request(
                headers: ServerTestClient.grpcHeaders(path: "/test.Probe/Hang"), body: ServerTestClient.frame([]))
            client.run(timeout: 0.2) { false }
            client.reset(id)
            client.run(timeout: 2) { probe.cancelledCalls.load(ordering: .relaxed) == 1 }
            #expect(probe.cancelledCalls.load(ordering: .relaxed) == 1)
            let after = client.unary("/test.Probe/Echo", [9])
            #expect(after.messages == [[9]])
        }
    }
}

/// The server's clock, for timing assertions.
enum MonotonicClockProbe {
    static func now() -> UInt64 { MonotonicClock.now() }
}

@Suite("Server call statistics")
struct ServerStatisticsTests {
    @Test("finished calls are counted by status, HTTP rejections separately")
    func countsByStatus() async throws {
        try await ServerFixture.withServer { port, server, _ in
            let client = try ServerTestClient(port: port)
            for _ in 0..<3 { #expect(client.unary("/test.Probe/Echo", [1]).grpcStatus == 0) }
            #expect(client.unary("/test.Probe/Fail", []).grpcStatus == 9)
            #expect(client.unary("/test.Probe/Missing", []).grpcStatus == 12)
            var get = ServerTestClient.grpcHeaders(path: "/test.Probe/Echo")
            get[0] = (":method", "GET")
            let id = client.request(headers: get, body: nil)
            client.run { client.responses[id]?.closed == true }
            let statistics = await server.statistics()
            #expect(statistics.succeeded == 3)
            #expect(statistics.byStatus[9] == 1)
            #expect(statistics.byStatus[12] == 1)
            #expect(statistics.total == 5)
            #expect(statistics.rejectedHTTP == 1)
        }
    }
}

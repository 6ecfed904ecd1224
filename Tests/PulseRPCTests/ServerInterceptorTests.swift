import PulseIO
import PulseProtocol
import PulseRPC
import Synchronization
import Testing

/// Rejects calls without `x-api-key: secret` before their handler runs.
private struct RequireKey: ServerInterceptor {
    var hooks: ServerInterceptorHooks { .start }
    func willStart(_ context: ServerContext) async throws {
        guard context.metadata["x-api-key"] == "secret" else {
            throw GRPCStatus(.unauthenticated, "missing or wrong x-api-key")
        }
        context.addResponseHeader("x-key-checked", .text("yes"))
    }
}

/// Adds `grpc-status-details-bin` to every failed call and a text trailer to every call.
private struct StatusDetails: ServerInterceptor {
    var hooks: ServerInterceptorHooks { .finish }
    func didFinish(_ call: ServerCallSummary, trailers: inout Metadata) {
        trailers.append(name: "x-served-by", value: .text("pulse"))
        if !call.status.isOK {
            trailers.append(name: "grpc-status-details-bin", value: .binary([0x08, UInt8(call.status.code.rawValue)]))
        }
    }
}

/// Records every finished call's path, status, duration and sizes.
private final class CallTimer: ServerInterceptor {
    struct Entry: Sendable {
        let path: String
        let status: Int
        let duration: Duration
        let requestBytes: Int
        let responseBytes: Int
        let responseMessages: Int
        let peer: String
    }
    let entries = Mutex<[Entry]>([])
    var hooks: ServerInterceptorHooks { [.finish, .timing] }
    func didFinish(_ call: ServerCallSummary, trailers: inout Metadata) {
        let entry = Entry(
            path: call.path, status: call.status.code.rawValue, duration: call.duration,
            requestBytes: call.requestBytes, responseBytes: call.responseBytes,
            responseMessages: call.responseMessages, peer: call.peer)
        entries.withLock { $0.append(entry) }
    }
}

/// A handler that reads request metadata and sets response metadata through its context.
private struct MetadataService: RPCService {
    let serviceName = "test.Meta"

    var methods: [RPCMethodDefinition] {
        [
            RPCMethodDefinition(
                method: GRPCMethod(service: serviceName, name: "Tag", kind: .unary),
                handler: .unary { body, context in
                    let tag = context.metadata["x-tag"] ?? "none"
                    context.addResponseHeader("X-Echo-Tag", .text(tag))
                    context.addTrailer("x-length", .text(String(body.count)))
                    context.addTrailer("x-raw-bin", .binary([0, 1, 2, 255]))
                    return ResponseMessage(body: body)
                })
        ]
    }
}

@Suite("Server interceptors and call metadata")
struct ServerInterceptorTests {
    @Test("an interceptor rejects a call before its handler runs, with its status and message")
    func rejectsBeforeHandler() async throws {
        let probe = ServerProbe()
        try await ServerFixture.withServer(
            services: { _ in [ProbeService(probe: probe)] }, interceptors: [RequireKey()]
        ) { port, _, _ in
            let client = try ServerTestClient(port: port)
            let rejected = client.unary("/test.Probe/Sleep", [0])
            #expect(rejected.grpcStatus == 16)
            #expect(rejected.grpcMessage == "missing or wrong x-api-key")
            #expect(probe.finishedCalls.load(ordering: .relaxed) == 0, "the handler ran for a rejected call")
            let allowed = client.unary("/test.Probe/Sleep", [0], extra: [("x-api-key", "secret")])
            #expect(allowed.grpcStatus == 0)
            #expect(allowed.header("x-key-checked") == "yes")
            #expect(probe.finishedCalls.load(ordering: .relaxed) == 1)
        }
    }

    @Test("an interceptor adds trailers, grpc-status-details-bin included, to normal and Trailers-Only ends")
    func addsTrailers() async throws {
        try await ServerFixture.withServer(interceptors: [StatusDetails()]) { port, _, _ in
            let client = try ServerTestClient(port: port)
            let ok = client.unary("/test.Probe/Echo", [7])
            #expect(ok.grpcStatus == 0)
            #expect(ok.trailers.contains { $0 == ("x-served-by", "pulse") })
            #expect(!ok.trailers.contains { $0.0 == "grpc-status-details-bin" })
            // Fail throws before any message: a Trailers-Only response, so the fields are in the one block.
            let failed = client.unary("/test.Probe/Fail", [])
            #expect(failed.grpcStatus == 9)
            let fields = failed.trailers + failed.headers
            #expect(fields.contains { $0 == ("grpc-status-details-bin", Base64.encode([0x08, 9])) })
            #expect(fields.contains { $0 == ("x-served-by", "pulse") })
            let unknown = client.unary("/test.Probe/Missing", [])
            #expect(unknown.grpcStatus == 12)
            #expect((unknown.trailers + unknown.headers).contains { $0.0 == "grpc-status-details-bin" })
        }
    }

    @Test("an interceptor times calls and sees method, status, peer and message sizes")
    func timesCalls() async throws {
        let timer = CallTimer()
        try await ServerFixture.withServer(interceptors: [timer]) { port, _, _ in
            let client = try ServerTestClient(port: port)
            #expect(client.unary("/test.Probe/Sleep", [5]).grpcStatus == 0)  // 50 ms
            #expect(client.unary("/test.Probe/Echo", [1, 2, 3]).grpcStatus == 0)
            let stream = client.request(
                headers: ServerTestClient.grpcHeaders(path: "/test.Probe/Stream"), body: ServerTestClient.frame([0, 3]))
            client.run { client.responses[stream]?.closed == true }
            #expect(client.unary("/test.Probe/Missing", []).grpcStatus == 12)
            try await Task.sleep(for: .milliseconds(20))
            let entries = timer.entries.withLock { $0 }
            #expect(
                entries.map(\.path) == [
                    "/test.Probe/Sleep", "/test.Probe/Echo", "/test.Probe/Stream", "/test.Probe/Missing",
                ])
            #expect(entries.map(\.status) == [0, 0, 0, 12])
            #expect(entries[0].duration >= .milliseconds(45))
            #expect(entries[1].duration < entries[0].duration)
            #expect(entries[1].requestBytes == 3 && entries[1].responseBytes == 3 && entries[1].responseMessages == 1)
            #expect(entries[2].responseMessages == 3 && entries[2].responseBytes == 3 * 1024)
            #expect(entries.allSatisfy { $0.peer.hasPrefix("127.0.0.1:") })
        }
    }

    @Test("a handler reads request metadata and sets response headers and trailers")
    func handlerMetadata() async throws {
        try await ServerFixture.withServer(services: { _ in [MetadataService()] }) {
            port, _, _ in
            let client = try ServerTestClient(port: port)
            let response = client.unary("/test.Meta/Tag", [1, 2], extra: [("x-tag", "blue")])
            #expect(response.grpcStatus == 0)
            #expect(response.header("x-echo-tag") == "blue")
            #expect(response.trailers.contains { $0 == ("x-length", "2") })
            #expect(response.trailers.contains { $0 == ("x-raw-bin", Base64.encode([0, 1, 2, 255])) })
            #expect(response.messages == [[1, 2]])
        }
    }
}

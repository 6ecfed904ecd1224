import PulseBridge
import PulseClient
import PulseMarketData
import Synchronization
import Testing

@testable import PulseLambda

#if canImport(Glibc)
    import Glibc
#endif

/// Echoes the payload; `fail-typed` / `fail-untyped` / `hang` / `big` / `trace` do what they say.
private struct ScriptedHandler: LambdaHandler {
    let stuck: StuckHandlers

    func handle(_ payload: [UInt8], context: LambdaContext) async throws -> [UInt8] {
        switch String(decoding: payload, as: UTF8.self) {
        case #""fail-typed""#:
            throw LambdaFunctionError(type: "Function.Failed", message: "asked to fail")
        case #""fail-untyped""#:
            struct Secret: Error { var description = "password=hunter2 at db.internal:5432" }
            throw Secret()
        case #""hang""#:
            // Ignores cancellation: only the test's end resumes it.
            await withUnsafeContinuation { stuck.add($0) }
            return []
        case #""big""#:
            return Array(repeating: UInt8(ascii: "x"), count: 4096)
        case #""trace""#:
            let env = getenv("_X_AMZN_TRACE_ID").map { String(cString: $0) } ?? ""
            return Array(
                JSONValue.object([
                    JSONMember(name: "context", value: .string(context.traceID ?? "")),
                    JSONMember(name: "env", value: .string(env)),
                    JSONMember(name: "id", value: .string(context.requestID)),
                    JSONMember(name: "arn", value: .string(context.invokedFunctionARN ?? "")),
                ]).json.utf8)
        default:
            return payload
        }
    }
}

/// Continuations of handlers that never finish by themselves, resumed when the test ends.
private final class StuckHandlers: Sendable {
    private let waiting = Mutex<[UnsafeContinuation<Void, Never>]>([])
    func add(_ continuation: UnsafeContinuation<Void, Never>) { waiting.withLock { $0.append(continuation) } }
    func release() {
        for c in waiting.withLock({ list in
            defer { list = [] }; return list
        }) { c.resume() }
    }
    var count: Int { waiting.withLock { $0.count } }
}

@Suite("Lambda Runtime API loop against a fake Runtime API")
struct RuntimeLoopTests {
    @Test("next → response, typed and untyped errors, a deadline passed, an oversized response, trace headers")
    func invocations() async throws {
        try await FakeRuntimeAPI.with(maxResponse: 1024) { fake, http in
            let stuck = StuckHandlers()
            defer { stuck.release() }
            let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
            try await fake.enqueue("req-1", payload: #"{"hello":"world"}"#, http: http)
            try await fake.enqueue("req-2", payload: #""fail-typed""#, http: http)
            try await fake.enqueue("req-3", payload: #""fail-untyped""#, http: http)
            try await fake.enqueue("req-4", payload: #""hang""#, deadlineInMs: 1_500, http: http)
            try await fake.enqueue("req-5", payload: #""big""#, http: http)
            try await fake.enqueue("req-6", payload: #""trace""#, trace: trace, http: http)
            try await fake.enqueue("req-7", payload: #""trace""#, http: http)

            let runtime = LambdaRuntime(api: RuntimeAPIClient(address: fake.address, http: http))
            try await runtime.run(maxInvocations: 7) { ScriptedHandler(stuck: stuck) }
            let outcomes = try await fake.outcomes(count: 7, http: http)

            #expect(outcomes.map(\.id) == ["req-1", "req-2", "req-3", "req-4", "req-5", "req-6", "req-7"])
            #expect(outcomes[0].kind == "response")
            #expect(outcomes[0].body == .object([JSONMember(name: "hello", value: .string("world"))]))

            #expect(outcomes[1].kind == "error")
            #expect(outcomes[1].errorType == "Function.Failed")
            #expect(outcomes[1].body["errorType"] == .string("Function.Failed"))
            #expect(outcomes[1].body["errorMessage"] == .string("asked to fail"))

            #expect(outcomes[2].errorType == "Runtime.Unhandled")
            #expect(outcomes[2].body["errorMessage"] == .string("internal error (id req-3)"))
            #expect(outcomes[2].body.json.contains("hunter2") == false)

            // The stuck handler is reported before its deadline, and the loop went on to the next ones.
            #expect(outcomes[3].kind == "error")
            #expect(outcomes[3].errorType == "Function.Timeout")
            #expect(stuck.count == 1)

            // 4 KB over the fake's 1 KB limit: 413, reported as an error of that invocation.
            #expect(outcomes[4].kind == "error")
            #expect(outcomes[4].errorType == "Function.ResponseTooLarge")

            #expect(outcomes[5].body["context"] == .string(trace))
            #expect(outcomes[5].body["env"] == .string(trace))
            #expect(outcomes[5].body["id"] == .string("req-6"))
            #expect(outcomes[5].body["arn"] == .string("arn:aws:lambda:us-east-1:123456789012:function:pulse"))
            // No trace on the next one: the previous invocation's does not leak into it.
            #expect(outcomes[6].body["context"] == .string(""))
            #expect(outcomes[6].body["env"] == .string(""))
        }
    }

    @Test("a handler that cannot be made is posted to init/error and ends the run")
    func initError() async throws {
        try await FakeRuntimeAPI.with { fake, http in
            struct NoConfiguration: Error, CustomStringConvertible { var description = "REDIS_URL is not set" }
            let runtime = LambdaRuntime(api: RuntimeAPIClient(address: fake.address, http: http))
            await #expect(throws: LambdaFunctionError.self) {
                try await runtime.run { () async throws -> any LambdaHandler in throw NoConfiguration() }
            }
            let outcomes = try await fake.outcomes(count: 1, http: http)
            #expect(outcomes.count == 1)
            #expect(outcomes.first?.kind == "init_error")
            #expect(outcomes.first?.id == nil)
            #expect(outcomes.first?.errorType == "Runtime.InitFailed")
            #expect(outcomes.first?.body["errorMessage"]?.string?.contains("REDIS_URL is not set") == true)
        }
    }

    @Test("the bridge handler behind the loop: AWS's REST sample in, API Gateway's response shape out")
    func bridgeThroughLoop() async throws {
        try await FakeRuntimeAPI.with { fake, http in
            let event = String(decoding: fixture("sam-apigateway-aws-proxy-get-quote.json"), as: UTF8.self)
            try await fake.enqueue("req-b", payload: event, http: http)
            let client = try PulseClient(host: "127.0.0.1", port: 9, connectTimeout: .seconds(2))
            let runtime = LambdaRuntime(api: RuntimeAPIClient(address: fake.address, http: http))
            try await runtime.run(maxInvocations: 1) {
                BridgeLambdaHandler(rest: RESTHandler(client: client), webSocket: nil)
            }
            let outcomes = try await fake.outcomes(count: 1, http: http)
            #expect(outcomes.first?.kind == "response")
            #expect(outcomes.first?.body["statusCode"] == .number(503))
            await client.close()
        }
    }

    @Test("invocation headers: a missing request id or deadline is a malformed answer")
    func headers() throws {
        let ok = HTTPResponse(
            status: 200,
            headers: [
                HTTPHeader("lambda-runtime-aws-request-id", "abc"), HTTPHeader("Lambda-Runtime-Deadline-Ms", "42"),
            ],
            body: [1])
        let invocation = try RuntimeAPIClient.invocation(ok)
        #expect(invocation.context == LambdaContext(requestID: "abc", deadlineMs: 42))
        #expect(throws: RuntimeAPIError.self) {
            try RuntimeAPIClient.invocation(HTTPResponse(status: 200, headers: [], body: []))
        }
        #expect(throws: RuntimeAPIError.self) {
            try RuntimeAPIClient.invocation(
                HTTPResponse(
                    status: 200,
                    headers: [
                        HTTPHeader("Lambda-Runtime-Aws-Request-Id", "a"), HTTPHeader("Lambda-Runtime-Deadline-Ms", "x"),
                    ],
                    body: []))
        }
        #expect(RuntimeAPIClient.pathSegment("a/b?c") == "a%2Fb%3Fc")
    }
}

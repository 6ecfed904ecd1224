import PulseMarketData

/// The Lambda Runtime API (`AWS_LAMBDA_RUNTIME_API`, version 2018-06-01) over the loop's libcurl
/// ``HTTPClient``: the next invocation, its response or error, and the initialisation error.
public struct RuntimeAPIClient: Sendable {
    public let baseURL: String
    private let http: HTTPClient
    /// Responses and errors are small local calls; only `next` waits (as long as Lambda keeps us frozen).
    private let postTimeout: Duration

    /// - Parameter address: `AWS_LAMBDA_RUNTIME_API`, `host:port` (`127.0.0.1:9001` inside Lambda).
    public init(address: String, http: HTTPClient, postTimeout: Duration = .seconds(30)) {
        self.baseURL = "http://\(address)/2018-06-01/runtime"
        self.http = http
        self.postTimeout = postTimeout
    }

    /// Waits for the next invocation. No timeout: the call stays open while Lambda has nothing for this
    /// environment (and across the freeze between invocations); cancelling the task ends it.
    public func next() async throws(RuntimeAPIError) -> LambdaInvocation {
        let response: HTTPResponse
        do {
            // A zero timeout is libcurl's "none".
            response = try await http.execute(
                HTTPRequest(method: "GET", url: baseURL + "/invocation/next", timeout: .zero))
        } catch {
            throw RuntimeAPIError(.unreachable, "GET invocation/next: \(error)")
        }
        guard response.status == 200 else {
            throw RuntimeAPIError(
                .refused, "GET invocation/next answered HTTP \(response.status)", status: response.status)
        }
        return try Self.invocation(response)
    }

    /// Reads the invocation headers Lambda sets on `next`'s answer.
    static func invocation(_ response: HTTPResponse) throws(RuntimeAPIError) -> LambdaInvocation {
        guard let id = response.header("Lambda-Runtime-Aws-Request-Id"), !id.isEmpty else {
            throw RuntimeAPIError(.malformed, "invocation/next without Lambda-Runtime-Aws-Request-Id")
        }
        guard let deadlineText = response.header("Lambda-Runtime-Deadline-Ms"), let deadline = Int64(deadlineText)
        else { throw RuntimeAPIError(.malformed, "invocation \(id) without a numeric Lambda-Runtime-Deadline-Ms") }
        let trace = response.header("Lambda-Runtime-Trace-Id").flatMap { $0.isEmpty ? nil : $0 }
        let context = LambdaContext(
            requestID: id, deadlineMs: deadline, traceID: trace,
            invokedFunctionARN: response.header("Lambda-Runtime-Invoked-Function-Arn"))
        return LambdaInvocation(context: context, payload: response.body)
    }

    /// `POST invocation/{id}/response`. A payload Lambda refuses (413: over 6 MB) throws `.refused` with the
    /// status, so the runtime can report an error for that invocation instead.
    public func respond(_ requestID: String, _ payload: [UInt8]) async throws(RuntimeAPIError) {
        try await post("/invocation/\(Self.pathSegment(requestID))/response", payload, headers: [])
    }

    /// `POST invocation/{id}/error`.
    public func fail(_ requestID: String, _ error: LambdaFunctionError) async throws(RuntimeAPIError) {
        try await post(
            "/invocation/\(Self.pathSegment(requestID))/error", Array(error.json.utf8),
            headers: [HTTPHeader("Lambda-Runtime-Function-Error-Type", error.type)])
    }

    /// `POST init/error`: the function could not start; Lambda fails the pending invocation with it.
    public func initFailed(_ error: LambdaFunctionError) async throws(RuntimeAPIError) {
        try await post(
            "/init/error", Array(error.json.utf8),
            headers: [HTTPHeader("Lambda-Runtime-Function-Error-Type", error.type)])
    }

    private func post(_ path: String, _ body: [UInt8], headers: [HTTPHeader]) async throws(RuntimeAPIError) {
        let response: HTTPResponse
        do {
            response = try await http.execute(
                HTTPRequest(
                    method: "POST", url: baseURL + path,
                    headers: headers + [HTTPHeader("Content-Type", "application/json")], body: body,
                    timeout: postTimeout))
        } catch {
            throw RuntimeAPIError(.unreachable, "POST \(path): \(error)")
        }
        guard (200..<300).contains(response.status) else {
            throw RuntimeAPIError(.refused, "POST \(path) answered HTTP \(response.status)", status: response.status)
        }
    }

    /// Request ids are UUIDs; anything else is percent-encoded so it cannot change the path.
    static func pathSegment(_ id: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in id.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.append(byte)
            default: out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The Runtime API did not do what the runtime asked.
public struct RuntimeAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Sendable { case unreachable, refused, malformed }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }
        /// No answer (the environment is shutting down, or the address is wrong).
        public static let unreachable = Code(.unreachable)
        /// An answer other than success (413 for an oversized response, 500: the runtime should exit).
        public static let refused = Code(.refused)
        /// `next` answered without the invocation headers.
        public static let malformed = Code(.malformed)
        public var description: String {
            switch wrapped {
            case .unreachable: return "unreachable"
            case .refused: return "refused"
            case .malformed: return "malformed"
            }
        }
    }

    public var code: Code
    public var message: String
    public var status: Int?

    public init(_ code: Code, _ message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    public var description: String { "Lambda Runtime API \(code): \(message)" }
}

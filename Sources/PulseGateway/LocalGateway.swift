import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PulseBridge
import PulseClient
import PulseMarketData
import PulseProtocol

/// `pulse gateway`: what API Gateway does in the cloud, on a laptop. Hummingbird speaks HTTP/1.1; each request is
/// written as the HTTP API (payload 2.0) event API Gateway would send, decoded by the same `HTTPEvent.decode`
/// the Lambda uses, and answered by the same `RESTHandler`.
public struct LocalGateway: Sendable {
    public var host: String
    public var port: Int
    public var handler: RESTHandler
    /// API Gateway's own payload limit (10 MB for HTTP APIs); larger bodies are refused 413 before the handler.
    public static let maxBodyBytes = 10 * 1024 * 1024

    public init(host: String, port: Int, handler: RESTHandler) {
        self.host = host
        self.port = port
        self.handler = handler
    }

    /// Serves until the task is cancelled; `onListening` gets the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (String, Int) async -> Void) async throws {
        let handler = self.handler
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let body = try await request.body.collect(upTo: Self.maxBodyBytes)
            let event = Self.httpAPIEvent(
                method: request.method.rawValue, path: request.uri.path, rawQuery: request.uri.query ?? "",
                headers: request.headers.map { ($0.name.canonicalName, $0.value) }, body: Array(buffer: body))
            let result: HTTPResult
            do {
                result = await handler.handle(try HTTPEvent.decode(event))
            } catch {
                result = HTTPResult(
                    statusCode: 400, body: Array(BridgeError(.invalidArgument, "\(error)").json.json.utf8))
            }
            var fields = HTTPFields()
            for header in result.headers {
                if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
            }
            return Response(
                status: HTTPResponse.Status(code: result.statusCode), headers: fields,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: result.body)))
        }
        var logger = Logger(label: "pulse.gateway")
        logger.logLevel = .warning
        let app = Application(
            responder: responder, configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                await onListening(host, bound)
            }, logger: logger)
        try await app.runService()
    }

    /// The HTTP API 2.0 proxy event for one request, as API Gateway builds it: lower-case header names, repeated
    /// headers joined by commas, cookies apart, the body base64 when it is not UTF-8 text.
    public static func httpAPIEvent(
        method: String, path: String, rawQuery: String, headers: [(String, String)], body: [UInt8]
    ) -> JSONValue {
        var joined: [(String, String)] = []
        var cookies: [JSONValue] = []
        for (name, value) in headers {
            let lower = name.lowercased()
            if lower == "cookie" {
                cookies += value.split(separator: ";").map { .string($0.trimmingSpaces()) }
            } else if let i = joined.firstIndex(where: { $0.0 == lower }) {
                joined[i].1 += "," + value
            } else {
                joined.append((lower, value))
            }
        }
        let text = String(validating: body, as: UTF8.self)
        var members: [JSONMember] = [
            JSONMember(name: "version", value: .string("2.0")),
            JSONMember(name: "routeKey", value: .string("$default")),
            JSONMember(name: "rawPath", value: .string(path)),
            JSONMember(name: "rawQueryString", value: .string(rawQuery)),
            JSONMember(name: "headers", value: .object(joined.map { JSONMember(name: $0.0, value: .string($0.1)) })),
            JSONMember(
                name: "requestContext",
                value: .object([
                    JSONMember(
                        name: "http",
                        value: .object([
                            JSONMember(name: "method", value: .string(method)),
                            JSONMember(name: "path", value: .string(path)),
                            JSONMember(name: "protocol", value: .string("HTTP/1.1")),
                        ])),
                    JSONMember(name: "routeKey", value: .string("$default")),
                    JSONMember(name: "stage", value: .string("$default")),
                ])),
            JSONMember(name: "isBase64Encoded", value: .bool(text == nil && !body.isEmpty)),
        ]
        if !cookies.isEmpty { members.append(JSONMember(name: "cookies", value: .array(cookies))) }
        if !body.isEmpty {
            members.append(JSONMember(name: "body", value: .string(text ?? Base64.encode(body, padded: true))))
        }
        return .object(members)
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

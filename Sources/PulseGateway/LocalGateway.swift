import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import PulseBridge
import PulseClient
import PulseMarketData
import PulseMetrics
import PulseProtocol

/// `pulse gateway`: what API Gateway does in the cloud, on a laptop. Hummingbird speaks HTTP/1.1; each request is
/// written as the HTTP API (payload 2.0) event API Gateway would send, decoded by the same `HTTPEvent.decode`
/// the Lambda uses, and answered by the same `RESTHandler`. `/ws` upgrades to a WebSocket whose frames become the
/// WebSocket API's events (`$connect` with the query string, message routes, `$disconnect`) for the same
/// `WebSocketHandler`; `POST|GET|DELETE /@connections/{id}` is the Management API, served locally.
public struct LocalGateway: Sendable {
    public var host: String
    public var port: Int
    public var handler: RESTHandler
    /// The WebSocket side; nil serves REST only.
    public var webSocket: WebSocketHandler?
    public var connections: LocalConnections
    /// The gateway's own metrics, served at `GET /metrics`; nil serves none.
    public var metrics: GatewayMetrics?
    /// The dashboard (`clients/web`) at `GET /`; nil serves none.
    public var web: StaticFiles?
    /// API Gateway's own payload limit (10 MB for HTTP APIs); larger bodies are refused 413 before the handler.
    public static let maxBodyBytes = 10 * 1024 * 1024
    /// API Gateway's WebSocket message limit (128 KB); a larger message closes the socket (1009), as there.
    public static let maxMessageBytes = 128 * 1024

    public init(
        host: String, port: Int, handler: RESTHandler, webSocket: WebSocketHandler? = nil,
        connections: LocalConnections = LocalConnections(), metrics: GatewayMetrics? = nil, web: StaticFiles? = nil
    ) {
        self.web = web
        self.host = host
        self.port = port
        self.handler = handler
        self.webSocket = webSocket
        self.connections = connections
        self.metrics = metrics
        metrics?.watch(connections: connections, fanout: webSocket?.fanout)
    }

    /// Serves until the task is cancelled; `onListening` gets the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (String, Int) async -> Void) async throws {
        let handler = self.handler
        let connections = self.connections
        let metrics = self.metrics
        let webSocket = self.webSocket
        let web = self.web
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let started = ContinuousClock.now
            let response = try await Self.respond(
                request, handler: handler, connections: connections, metrics: metrics, webSocket: webSocket, web: web)
            let elapsed = (ContinuousClock.now - started).components
            metrics?.request(
                route: GatewayMetrics.routeTemplate(method: request.method.rawValue, path: request.uri.path),
                status: response.status.code,
                seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
            return response
        }
        var logger = Logger(label: "pulse.gateway")
        logger.logLevel = .warning
        let server: HTTPServerBuilder
        if let webSocket {
            let session = WebSocketSession(
                handler: webSocket, connections: connections, host: host, metrics: metrics)
            server = .http1WebSocketUpgrade(
                configuration: .init(
                    ws: .init(maxFrameSize: Self.maxMessageBytes, autoPing: .enabled(timePeriod: .seconds(30))))
            ) {
                (request, _, _) async -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>
                in
                let target = request.path ?? ""
                let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
                guard path == "/ws" else { return .dontUpgrade }
                let query = target.firstIndex(of: "?").map { String(target[target.index(after: $0)...]) } ?? ""
                // A refused key refuses the handshake; the plain request then reaches the responder, which says why.
                if await webSocket.admit(query: QueryString.parse(query)) != nil { return .dontUpgrade }
                let headers = request.headerFields.map { ($0.name.canonicalName, $0.value) }
                return .upgrade([:]) { inbound, outbound, _ in
                    await session.run(rawQuery: query, headers: headers, inbound: inbound, outbound: outbound)
                }
            }
        } else {
            server = .http1()
        }
        let app = Application(
            responder: responder, server: server, configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                await onListening(host, bound)
            }, logger: logger)
        try await app.runService()
    }

    private static func respond(
        _ request: Request, handler: RESTHandler, connections: LocalConnections, metrics: GatewayMetrics?,
        webSocket: WebSocketHandler?, web: StaticFiles?
    ) async throws -> Response {
        if request.method == .get, let file = web?.file(for: request.uri.path) {
            return Self.response(file)
        }
        let body = try await request.body.collect(upTo: Self.maxBodyBytes)
        if request.uri.path.hasPrefix(ManagementAPI.prefix) {
            return await ManagementAPI.respond(
                method: request.method.rawValue, path: request.uri.path, body: Array(buffer: body),
                connections: connections)
        }
        if request.uri.path == "/ws", let webSocket {
            // Not upgraded: refused on `$connect` (answer as API Gateway would, with the reason), or not a
            // WebSocket handshake at all.
            let query = QueryString.parse(request.uri.query ?? "")
            if let refusal = await webSocket.admit(query: query) { return Self.response(RESTHandler.result(refusal)) }
            return Self.response(
                RESTHandler.result(BridgeError(.failedPrecondition, "/ws is a WebSocket: send an upgrade request")))
        }
        if let metrics, request.method == .get, request.uri.path == "/metrics" {
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: await metrics.metrics.render())))
        }
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
        return Self.response(result)
    }

    /// A dashboard file: never cached stale (the files change with the checkout), never sniffed as another type,
    /// scripts and connections only from this origin.
    static func response(_ file: StaticFiles.File) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: file.contentType, .cacheControl: "no-cache",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                HTTPField.Name("Content-Security-Policy")!:
                    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }

    static func response(_ result: HTTPResult) -> Response {
        var fields = HTTPFields()
        for header in result.headers {
            if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
        }
        return Response(
            status: HTTPResponse.Status(code: result.statusCode), headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: result.body)))
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

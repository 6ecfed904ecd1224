import Hummingbird
import HummingbirdWebSocket
import NIOCore
import PulseBridge
import PulseMarketData

#if canImport(Glibc)
    import Glibc
#endif

/// One upgraded `/ws` socket, turned into the WebSocket API events API Gateway would send to the bridge Lambda:
/// `$connect` with the query string and headers, one message event per frame (routed on `action` as the
/// route selection expression `$request.body.action` does), `$disconnect` when it closes.
struct WebSocketSession: Sendable {
    let handler: WebSocketHandler
    let connections: LocalConnections
    let host: String
    let metrics: GatewayMetrics?

    func run(
        rawQuery: String, headers: [(String, String)], inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter
    ) async {
        let id = Self.newConnectionId()
        metrics?.connectionsOpened.increment()
        let received = metrics?.messagesReceived
        connections.add(id, writer: outbound, nowMs: Self.nowMs())
        await deliver(Self.connectEvent(id, rawQuery: rawQuery, headers: headers, host: host), id)
        do {
            for try await message in inbound.messages(maxSize: LocalGateway.maxMessageBytes) {
                received?.increment()
                connections.touch(id, nowMs: Self.nowMs())
                let body: [UInt8]
                switch message {
                case .text(let text): body = Array(text.utf8)
                case .binary(let buffer): body = Array(buffer: buffer)
                }
                await deliver(Self.messageEvent(id, body: body, host: host), id)
            }
        } catch {
            // A message over 128 KB or a broken socket: the socket closes, and the connection ends as below.
        }
        await deliver(Self.disconnectEvent(id, host: host), id)
        connections.remove(id)
    }

    /// Decodes the event as the Lambda would and sends the handler's frames.
    private func deliver(_ event: JSONValue, _ id: String) async {
        let frames: [JSONValue]
        do {
            frames = await handler.handle(try WebSocketEvent.decode(event))
        } catch {
            frames = [ServerMessage.error(BridgeError(.invalidArgument, "\(error)"))]
        }
        guard !frames.isEmpty else { return }
        if let fanout = handler.fanout {
            await fanout.send(frames, to: id)
        } else {
            for frame in frames { _ = await connections.post(Array(frame.json.utf8), to: id) }
        }
    }

    // MARK: - The events API Gateway builds

    static func requestContext(_ id: String, route: String, eventType: String, host: String) -> JSONMember {
        JSONMember(
            name: "requestContext",
            value: .object([
                JSONMember(name: "routeKey", value: .string(route)),
                JSONMember(name: "eventType", value: .string(eventType)),
                JSONMember(name: "connectionId", value: .string(id)),
                JSONMember(name: "domainName", value: .string(host)),
                JSONMember(name: "stage", value: .string("local")),
                JSONMember(name: "apiId", value: .string("local")),
                JSONMember(name: "requestTimeEpoch", value: .number(Double(nowMs()))),
            ]))
    }

    static func connectEvent(_ id: String, rawQuery: String, headers: [(String, String)], host: String) -> JSONValue {
        let query = QueryString.parse(rawQuery)
        var members = [
            requestContext(id, route: "$connect", eventType: "CONNECT", host: host),
            JSONMember(
                name: "headers",
                value: .object(headers.map { JSONMember(name: $0.0, value: .string($0.1)) })),
            JSONMember(name: "isBase64Encoded", value: .bool(false)),
        ]
        if !query.isEmpty {
            let names = query.keys.sorted()
            members.append(
                JSONMember(
                    name: "queryStringParameters",
                    value: .object(names.map { JSONMember(name: $0, value: .string(query[$0]?.last ?? "")) })))
            members.append(
                JSONMember(
                    name: "multiValueQueryStringParameters",
                    value: .object(
                        names.map { JSONMember(name: $0, value: .array((query[$0] ?? []).map(JSONValue.string))) })))
        }
        return .object(members)
    }

    static func messageEvent(_ id: String, body: [UInt8], host: String) -> JSONValue {
        let text = String(decoding: body, as: UTF8.self)
        var route = "$default"
        if let action = (try? JSONValue.parse(body))?["action"]?.string, ["subscribe", "unsubscribe"].contains(action) {
            route = action
        }
        return .object([
            requestContext(id, route: route, eventType: "MESSAGE", host: host),
            JSONMember(name: "body", value: .string(text)),
            JSONMember(name: "isBase64Encoded", value: .bool(false)),
        ])
    }

    static func disconnectEvent(_ id: String, host: String) -> JSONValue {
        .object([
            requestContext(id, route: "$disconnect", eventType: "DISCONNECT", host: host),
            JSONMember(name: "isBase64Encoded", value: .bool(false)),
        ])
    }

    /// A connection id in API Gateway's form (`L0SM9cOFvHcCIhw=`: 15 letters and digits, then `=`), so it can
    /// stand in a path as it is.
    static func newConnectionId() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<15).map { _ in alphabet.randomElement(using: &generator)! }) + "="
    }

    static func nowMs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// API Gateway's Management API for WebSocket connections, served by the gateway itself:
/// `POST /@connections/{id}` sends the body as one message (410 when the connection is gone),
/// `GET` describes the connection, `DELETE` closes it.
enum ManagementAPI {
    static let prefix = "/@connections/"

    static func respond(method: String, path: String, body: [UInt8], connections: LocalConnections) async
        -> Response
    {
        let id = QueryString.percentDecoded(path.dropFirst(prefix.count))
        let gone = HTTPResult(
            statusCode: 410, headers: [("Content-Type", "application/json")],
            body: Array(#"{"message":"GoneException"}"#.utf8))
        switch method {
        case "POST":
            guard body.count <= LocalGateway.maxMessageBytes else {
                return LocalGateway.response(
                    HTTPResult(
                        statusCode: 413, headers: [("Content-Type", "application/json")],
                        body: Array(#"{"message":"PayloadTooLargeException"}"#.utf8)))
            }
            let outcome = await connections.post(body, to: id)
            return LocalGateway.response(outcome == .delivered ? HTTPResult(statusCode: 200) : gone)
        case "GET":
            guard let info = connections.info(id) else { return LocalGateway.response(gone) }
            let json = JSONValue.object([
                JSONMember(name: "connectedAt", value: .string(JSONRendering.time(info.connectedAtMs))),
                JSONMember(name: "lastActiveAt", value: .string(JSONRendering.time(info.lastActiveAtMs))),
            ])
            return LocalGateway.response(
                HTTPResult(
                    statusCode: 200, headers: [("Content-Type", "application/json")], body: Array(json.json.utf8)))
        case "DELETE":
            return LocalGateway.response(
                await connections.disconnect(id) ? HTTPResult(statusCode: 204) : gone)
        default:
            return LocalGateway.response(HTTPResult(statusCode: 405, headers: [("Allow", "POST, GET, DELETE")]))
        }
    }
}

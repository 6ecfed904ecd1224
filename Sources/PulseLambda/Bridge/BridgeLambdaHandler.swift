import PulseBridge
import PulseMarketData

/// The API Gateway Lambda: REST API (payload 1.0) and HTTP API (2.0, or 1.0 where so configured) events go to
/// the same ``RESTHandler`` `pulse gateway` runs; WebSocket API events (their `requestContext.connectionId`
/// tells them apart) to ``WebSocketBridge``.
public struct BridgeLambdaHandler: LambdaHandler {
    public let rest: RESTHandler
    /// nil when no Redis is configured: WebSocket events then fail as `Function.NotConfigured`.
    public let webSocket: WebSocketBridge?

    public init(rest: RESTHandler, webSocket: WebSocketBridge?) {
        self.rest = rest
        self.webSocket = webSocket
    }

    public func handle(_ payload: [UInt8], context: LambdaContext) async throws -> [UInt8] {
        let json: JSONValue
        do {
            json = try JSONValue.parse(payload)
        } catch {
            throw LambdaFunctionError.badEvent("the event is not JSON: \(error)")
        }
        if json["requestContext"]?["connectionId"] != nil {
            guard let webSocket else {
                throw LambdaFunctionError(
                    type: "Function.NotConfigured", message: "WebSocket events need REDIS_URL (the registry)")
            }
            return Array(try await webSocket.handle(json, context: context).json.utf8)
        }
        let event: HTTPEvent
        do {
            event = try HTTPEvent.decode(json)
        } catch {
            throw LambdaFunctionError.badEvent("not an API Gateway HTTP or WebSocket event: \(error)")
        }
        return Array(await rest.handle(event).encoded(for: event.version).json.utf8)
    }
}

import PulseClient
import PulseMarketData
import PulseProtocol

/// The WebSocket half of the bridge for one process: `$connect`, `$disconnect` and message events in, the frames
/// to send back to that connection out. Subscriptions are checked against the server (an unknown symbol is an
/// error frame, not a silent subscription). Tick fan-out is not here yet: it needs Quotes/Subscribe.
public actor WebSocketHandler {
    public let client: PulseClient
    private var registry: SubscriptionRegistry

    public init(client: PulseClient, maxSymbolsPerConnection: Int = 50) {
        self.client = client
        self.registry = SubscriptionRegistry(maxSymbolsPerConnection: maxSymbolsPerConnection)
    }

    public func symbols(of connection: String) -> [String] { registry.symbols(of: connection) }

    /// Handles one event; the returned frames go to `event.connectionId`, in order.
    public func handle(_ event: WebSocketEvent) async -> [JSONValue] {
        switch event.kind {
        case .connect(let query):
            registry.connect(event.connectionId)
            // `?symbols=AAPL,MSFT` on the upgrade subscribes at once, as a dashboard link would.
            guard let list = query["symbols"]?.first, !list.isEmpty else { return [] }
            let body =
                #"{"action":"subscribe","symbols":["#
                + list.split(separator: ",").map { "\"\($0)\"" }.joined(separator: ",")
                + "]}"
            return await handle(
                WebSocketEvent(connectionId: event.connectionId, kind: .message(body: Array(body.utf8))))
        case .disconnect:
            registry.disconnect(event.connectionId)
            return []
        case .message(let body):
            do throws(BridgeError) {
                switch try ClientMessage.parse(body) {
                case .subscribe(let symbols):
                    try await requireKnown(symbols)
                    return [ServerMessage.acknowledgement(try registry.subscribe(event.connectionId, symbols))]
                case .unsubscribe(let symbols):
                    return [ServerMessage.acknowledgement(registry.unsubscribe(event.connectionId, symbols))]
                case .resume:
                    throw BridgeError(
                        .unimplemented, "resume needs the tick stream, which this build does not have yet")
                }
            } catch {
                return [ServerMessage.error(error)]
            }
        }
    }

    private func requireKnown(_ symbols: [String]) async throws(BridgeError) {
        let response: PulseV1.GetQuotesResponse
        do {
            response = try await client.quotes.quotes(symbols, options: CallOptions(timeout: .seconds(10)))
        } catch {
            throw BridgeError(error)
        }
        if !response.notFound.isEmpty {
            throw BridgeError(.notFound, "unknown symbol: \(response.notFound.joined(separator: ", "))")
        }
    }
}

import PulseClient
import PulseMarketData
import PulseProtocol

/// The WebSocket half of the bridge for one process: `$connect`, `$disconnect` and message events in, the frames
/// to send back to that connection out. Subscriptions are checked against the server (an unknown symbol is an
/// error frame, not a silent subscription).
///
/// With a ``TickFanout`` (`pulse gateway`) the connection also gets live ticks: acknowledgements of subscription
/// changes then go out through the fan-out, ahead of the ticks they start, and `handle` returns only the other
/// frames (errors). Without one (a Lambda, where the pusher does the fan-out) every frame is returned and
/// `resume` is refused.
public actor WebSocketHandler {
    public nonisolated let client: PulseClient
    public nonisolated let fanout: TickFanout?
    private var registry: SubscriptionRegistry
    /// The API key each connection gave on `$connect` (`?key=`), sent upstream as `authorization: Bearer`.
    private var credentials: [String: String] = [:]

    public init(client: PulseClient, maxSymbolsPerConnection: Int = 50, fanout: TickFanout? = nil) {
        self.client = client
        self.fanout = fanout
        self.registry = SubscriptionRegistry(maxSymbolsPerConnection: maxSymbolsPerConnection)
    }

    /// The `$connect` query parameters that may carry an API key (API Gateway passes the query string through;
    /// browsers cannot set headers on a WebSocket).
    public static let credentialParameters = ["key", "api_key"]

    public func symbols(of connection: String) -> [String] { registry.symbols(of: connection) }

    /// Whether a `$connect` may open the socket: the server is asked once with the connection's key (a one-symbol
    /// ListSymbols, which needs the `read` scope every subscription needs), and a refused key refuses the connection
    /// as API Gateway does when its `$connect` route answers an error (401, 403, 429). Any other failure (the server
    /// is down) lets the socket open; its subscriptions then fail on their own.
    public nonisolated func admit(query: [String: [String]]) async -> BridgeError? {
        let credential = Self.credentialParameters.lazy.compactMap { query[$0]?.first }.first { !$0.isEmpty }
        do {
            _ = try await client.quotes.symbols(
                limit: 1, options: CallOptions(timeout: .seconds(10), metadata: Credentials.metadata(credential)))
            return nil
        } catch {
            guard [.unauthenticated, .permissionDenied, .resourceExhausted].contains(error.code) else { return nil }
            return BridgeError(error)
        }
    }

    /// Handles one event; the returned frames go to `event.connectionId`, in order.
    public func handle(_ event: WebSocketEvent) async -> [JSONValue] {
        switch event.kind {
        case .connect(let query):
            registry.connect(event.connectionId)
            let credential = Self.credentialParameters.lazy.compactMap { query[$0]?.first }.first { !$0.isEmpty }
            credentials[event.connectionId] = credential
            // `?timing=1`: ticks carry `ingest_time_us`, so a client on this machine can measure ingest-to-socket.
            await fanout?.open(event.connectionId, credential: credential, timing: query["timing"]?.first == "1")
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
            credentials[event.connectionId] = nil
            await fanout?.close(event.connectionId)
            return []
        case .message(let body):
            let connection = event.connectionId
            do throws(BridgeError) {
                switch try ClientMessage.parse(body) {
                case .subscribe(let symbols):
                    _ = try registry.adding(symbols, to: connection)
                    try await requireKnown(symbols, credential: credentials[connection])
                    let ack = ServerMessage.acknowledgement(try registry.subscribe(connection, symbols))
                    guard let fanout else { return [ack] }
                    await fanout.follow(connection, symbols, acknowledgement: ack)
                    return []
                case .unsubscribe(let symbols):
                    let ack = ServerMessage.acknowledgement(registry.unsubscribe(connection, symbols))
                    guard let fanout else { return [ack] }
                    await fanout.unfollow(connection, symbols, acknowledgement: ack)
                    return []
                case .resume(let after):
                    guard let fanout else {
                        throw BridgeError(
                            .unimplemented, "resume needs the tick fan-out, which this process does not run")
                    }
                    let symbols = after.keys.sorted()
                    _ = try registry.adding(symbols, to: connection)
                    try await requireKnown(symbols, credential: credentials[connection])
                    let ack = ServerMessage.acknowledgement(try registry.subscribe(connection, symbols))
                    await fanout.resume(connection, after: after, acknowledgement: ack)
                    return []
                }
            } catch {
                return [ServerMessage.error(error)]
            }
        }
    }

    private func requireKnown(_ symbols: [String], credential: String?) async throws(BridgeError) {
        let response: PulseV1.GetQuotesResponse
        do {
            response = try await client.quotes.quotes(
                symbols, options: CallOptions(timeout: .seconds(10), metadata: Credentials.metadata(credential)))
        } catch {
            throw BridgeError(error)
        }
        if !response.notFound.isEmpty {
            throw BridgeError(.notFound, "unknown symbol: \(response.notFound.joined(separator: ", "))")
        }
    }
}

/// Browser credentials on their way upstream: whatever form they came in, the server gets
/// `authorization: Bearer <key>` metadata and does every check itself.
public enum Credentials {
    public static func metadata(_ key: String?) -> [(name: String, value: [UInt8])] {
        guard let key, !key.isEmpty else { return [] }
        return [("authorization", Array("Bearer \(key)".utf8))]
    }

    /// The key of a REST request: `Authorization: Bearer <key>` or `x-api-key: <key>` (header names lower case).
    public static func key(fromHeaders headers: [String: String]) -> String? {
        if let value = headers["authorization"] {
            let trimmed = value.drop { $0 == " " }
            if trimmed.lowercased().hasPrefix("bearer ") {
                let key = trimmed.dropFirst("bearer ".count).drop { $0 == " " }
                return key.isEmpty ? nil : String(key)
            }
        }
        if let value = headers["x-api-key"], !value.isEmpty { return value }
        return nil
    }
}

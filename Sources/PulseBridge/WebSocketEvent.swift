import PulseMarketData
import PulseProtocol

/// A WebSocket API event as API Gateway hands it to a Lambda: `requestContext.routeKey` (`$connect`,
/// `$disconnect`, `$default` or a custom route), `connectionId`, and the frame's text as `body`.
public struct WebSocketEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// With the query string of the upgrade request (`wss://…/prod?symbols=AAPL`).
        case connect(query: [String: [String]])
        case disconnect
        /// A message frame: `$default` or a route chosen on `action`.
        case message(body: [UInt8])
    }

    public var connectionId: String
    public var kind: Kind

    public init(connectionId: String, kind: Kind) {
        self.connectionId = connectionId
        self.kind = kind
    }

    public static func decode(_ json: JSONValue) throws(EventDecodingError) -> WebSocketEvent {
        guard let context = json["requestContext"], let id = context["connectionId"]?.string else {
            throw EventDecodingError("a WebSocket event without requestContext.connectionId")
        }
        switch context["eventType"]?.string ?? context["routeKey"]?.string {
        case "CONNECT", "$connect":
            var query: [String: [String]] = [:]
            if let multi = json["multiValueQueryStringParameters"]?.members {
                for member in multi {
                    if case .array(let values) = member.value { query[member.name] = values.compactMap(\.string) }
                }
            } else {
                for member in json["queryStringParameters"]?.members ?? [] {
                    if let value = member.value.string { query[member.name] = [value] }
                }
            }
            return WebSocketEvent(connectionId: id, kind: .connect(query: query))
        case "DISCONNECT", "$disconnect":
            return WebSocketEvent(connectionId: id, kind: .disconnect)
        default:
            return WebSocketEvent(connectionId: id, kind: .message(body: Array((json["body"]?.string ?? "").utf8)))
        }
    }
}

/// What a browser may send over the socket, routed on `action`.
public enum ClientMessage: Sendable, Equatable {
    case subscribe(symbols: [String])
    case unsubscribe(symbols: [String])
    /// Reconnected: continue each symbol after the last sequence number the browser saw.
    case resume(after: [String: UInt64])

    /// Parses one frame; a bad frame is an error message for the socket, which stays open.
    public static func parse(_ bytes: [UInt8]) throws(BridgeError) -> ClientMessage {
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes)
        } catch {
            throw BridgeError(.invalidArgument, "the message is not JSON: \(error)")
        }
        guard json.members != nil else { throw BridgeError(.invalidArgument, "the message is not a JSON object") }
        guard let action = json["action"]?.string else {
            throw BridgeError(.invalidArgument, #"the message needs an "action": subscribe, unsubscribe or resume"#)
        }
        switch action {
        case "subscribe": return .subscribe(symbols: try symbols(json))
        case "unsubscribe": return .unsubscribe(symbols: try symbols(json))
        case "resume":
            guard let members = json["sequences"]?.members, !members.isEmpty else {
                throw BridgeError(.invalidArgument, #"resume needs "sequences": {"AAPL": 41, …}"#)
            }
            var after: [String: UInt64] = [:]
            for member in members {
                guard case .number(let value) = member.value, value >= 0, value == value.rounded(), value < 1e18
                else { throw BridgeError(.invalidArgument, "sequences.\(member.name) is not a sequence number") }
                after[try Route.symbol(member.name)] = UInt64(value)
            }
            return .resume(after: after)
        default:
            throw BridgeError(
                .invalidArgument, "unknown action \"\(action.prefix(40))\": use subscribe, unsubscribe or resume")
        }
    }

    /// `"symbol": "AAPL"` or `"symbols": ["AAPL", …]`.
    static func symbols(_ json: JSONValue) throws(BridgeError) -> [String] {
        if let one = json["symbol"]?.string { return [try Route.symbol(one)] }
        guard let list = json["symbols"], case .array(let values) = list, !values.isEmpty else {
            throw BridgeError(.invalidArgument, #"give "symbol": "AAPL" or "symbols": ["AAPL", …]"#)
        }
        var symbols: [String] = []
        for value in values {
            guard let text = value.string else { throw BridgeError(.invalidArgument, "symbols holds a non-string") }
            let symbol = try Route.symbol(text)
            if !symbols.contains(symbol) { symbols.append(symbol) }
        }
        return symbols
    }
}

/// Which symbols each connection follows. A value type: the gateway keeps one behind an actor; the cloud's
/// would live in Redis (not built yet).
public struct SubscriptionRegistry: Sendable {
    /// Per connection: a browser watchlist, and a bound on the fan-out one socket can ask for.
    public var maxSymbolsPerConnection: Int
    private(set) var byConnection: [String: [String]] = [:]

    public init(maxSymbolsPerConnection: Int = 50) {
        self.maxSymbolsPerConnection = maxSymbolsPerConnection
    }

    public func symbols(of connection: String) -> [String] { byConnection[connection] ?? [] }

    /// The connections following `symbol`, sorted.
    public func connections(following symbol: String) -> [String] {
        byConnection.filter { $0.value.contains(symbol) }.map(\.key).sorted()
    }

    public mutating func connect(_ connection: String) {
        if byConnection[connection] == nil { byConnection[connection] = [] }
    }

    public mutating func disconnect(_ connection: String) { byConnection[connection] = nil }

    /// Adds `symbols` (all or none: RESOURCE_EXHAUSTED past the limit) and returns the connection's set.
    public mutating func subscribe(_ connection: String, _ symbols: [String]) throws(BridgeError) -> [String] {
        let current = try adding(symbols, to: connection)
        byConnection[connection] = current
        return current
    }

    /// The connection's set with `symbols` added, without changing anything: RESOURCE_EXHAUSTED past the limit
    /// (checked before the symbols are looked up upstream).
    public func adding(_ symbols: [String], to connection: String) throws(BridgeError) -> [String] {
        var current = byConnection[connection] ?? []
        for symbol in symbols where !current.contains(symbol) { current.append(symbol) }
        guard current.count <= maxSymbolsPerConnection else {
            throw BridgeError(
                .resourceExhausted,
                "too many symbols: at most \(maxSymbolsPerConnection) per connection, this would make \(current.count)")
        }
        return current
    }

    public mutating func unsubscribe(_ connection: String, _ symbols: [String]) -> [String] {
        let current = (byConnection[connection] ?? []).filter { !symbols.contains($0) }
        byConnection[connection] = current
        return current
    }
}

/// The frames the bridge sends to browsers.
public enum ServerMessage {
    /// `{"type":"subscribed","symbols":[…]}` after each subscribe or unsubscribe: the connection's current set.
    public static func acknowledgement(_ symbols: [String]) -> JSONValue {
        .object([
            JSONMember(name: "type", value: .string("subscribed")),
            JSONMember(name: "symbols", value: .array(symbols.map(JSONValue.string))),
        ])
    }

    /// `{"type":"error","error":{"code":…,"message":…}}`: the socket stays open.
    public static func error(_ error: BridgeError) -> JSONValue {
        .object([JSONMember(name: "type", value: .string("error"))] + (error.json.members ?? []))
    }

    /// The seed's tick shape `{"symbol","price","timestamp"}` plus `sequence`, `volume` and `conflated` (ticks
    /// folded into this one because the socket was slow); `ingest_time_us` too for a socket that asked for timing
    /// (`?timing=1`: what a load harness measures ingest-to-socket latency from), never otherwise.
    public static func tick(
        symbol: String, price: Double, timeMs: Int64, sequence: UInt64, volume: Double, conflated: UInt32,
        ingestTimeUs: Int64? = nil
    ) -> JSONValue {
        var members = [
            JSONMember(name: "symbol", value: .string(symbol)),
            JSONMember(name: "price", value: .number(price)),
            JSONMember(name: "timestamp", value: .string(JSONRendering.time(timeMs))),
            JSONMember(name: "sequence", value: .number(Double(sequence))),
            JSONMember(name: "volume", value: .number(volume)),
            JSONMember(name: "conflated", value: .number(Double(conflated))),
        ]
        if let ingestTimeUs { members.append(JSONMember(name: "ingest_time_us", value: .number(Double(ingestTimeUs)))) }
        return .object(members)
    }

    /// A tick from the server in the browser's shape; `volume` is what it stands for (its size plus what it
    /// absorbed).
    public static func tick(_ tick: PulseV1.Tick, timing: Bool = false) -> JSONValue {
        self.tick(
            symbol: tick.symbol, price: tick.price, timeMs: tick.timeMs, sequence: tick.sequence,
            volume: tick.size + tick.conflatedSize, conflated: tick.conflated,
            ingestTimeUs: timing ? tick.ingestTimeUs : nil)
    }

    /// `{"type":"gap","symbol":…,"first_missing":…,"last_missing":…}`: sequences that will never arrive, as the
    /// server's stream reported them.
    public static func gap(_ gap: PulseV1.SequenceGap) -> JSONValue {
        .object([
            JSONMember(name: "type", value: .string("gap")),
            JSONMember(name: "symbol", value: .string(gap.symbol)),
            JSONMember(name: "first_missing", value: .number(Double(gap.firstMissing))),
            JSONMember(name: "last_missing", value: .number(Double(gap.lastMissing))),
        ])
    }

    /// `{"type":"stale","symbol":…,"quiet_seconds":…}`: the server sent nothing for the symbol for that long.
    public static func stale(symbol: String, quietFor: Duration) -> JSONValue {
        let seconds = Double(quietFor.components.seconds) + Double(quietFor.components.attoseconds) / 1e18
        return .object([
            JSONMember(name: "type", value: .string("stale")),
            JSONMember(name: "symbol", value: .string(symbol)),
            JSONMember(name: "quiet_seconds", value: .number((seconds * 10).rounded() / 10)),
        ])
    }

    /// `{"type":"heartbeat","timestamp":…}` when no tick went out for a while, so a browser can mark itself stale.
    public static func heartbeat(timeMs: Int64) -> JSONValue {
        .object([
            JSONMember(name: "type", value: .string("heartbeat")),
            JSONMember(name: "timestamp", value: .string(JSONRendering.time(timeMs))),
        ])
    }
}

import PulseClient
import PulseMarketData
import PulseProtocol
import Testing

@testable import PulseBridge

private func parseCode(_ text: String) -> String? {
    do {
        _ = try ClientMessage.parse(Array(text.utf8))
        return nil
    } catch {
        return error.code.name
    }
}

@Suite("WebSocket events, messages and subscriptions")
struct WebSocketTests {
    @Test("$connect (with its query string), $default and $disconnect events in API Gateway's recorded shape")
    func events() throws {
        let connect = try WebSocketEvent.decode(JSONValue.parse(eventFixture("websocket-connect.json")))
        #expect(
            connect
                == WebSocketEvent(connectionId: "L0SM9cOFvHcCIhw=", kind: .connect(query: ["symbols": ["AAPL,MSFT"]])))
        let message = try WebSocketEvent.decode(JSONValue.parse(eventFixture("websocket-default-message.json")))
        guard case .message(let body) = message.kind else {
            Issue.record("not a message: \(message)")
            return
        }
        #expect(try ClientMessage.parse(body) == .subscribe(symbols: ["AAPL"]))
        let disconnect = try WebSocketEvent.decode(JSONValue.parse(eventFixture("websocket-disconnect.json")))
        #expect(disconnect.kind == .disconnect)
        #expect(throws: EventDecodingError.self) { try WebSocketEvent.decode(.object([])) }
    }

    @Test("the seed's subscribe message, a symbols list, unsubscribe and resume")
    func messages() throws {
        #expect(
            try ClientMessage.parse(Array(#"{"action":"subscribe","symbol":"AAPL"}"#.utf8))
                == .subscribe(symbols: ["AAPL"]))
        #expect(
            try ClientMessage.parse(Array(#"{"action":"subscribe","symbols":["msft","IBM","MSFT"]}"#.utf8))
                == .subscribe(symbols: ["MSFT", "IBM"]))
        #expect(
            try ClientMessage.parse(Array(#"{"action":"unsubscribe","symbol":"IBM"}"#.utf8))
                == .unsubscribe(symbols: ["IBM"]))
        #expect(
            try ClientMessage.parse(Array(#"{"action":"resume","sequences":{"AAPL":41}}"#.utf8))
                == .resume(after: ["AAPL": 41]))
    }

    @Test("bad frames are INVALID_ARGUMENT with a reason")
    func badMessages() {
        for text in [
            "{not json", "[]", #"{"symbol":"AAPL"}"#, #"{"action":"dance"}"#, #"{"action":"subscribe"}"#,
            #"{"action":"subscribe","symbols":[]}"#, #"{"action":"subscribe","symbols":[1]}"#,
            #"{"action":"subscribe","symbol":"$$"}"#, #"{"action":"resume","sequences":{"AAPL":-1}}"#,
        ] {
            #expect(parseCode(text) == "INVALID_ARGUMENT", "\(text)")
        }
    }

    @Test("the registry: sets per connection, the limit all-or-nothing, disconnect forgets")
    func registry() throws {
        var registry = SubscriptionRegistry(maxSymbolsPerConnection: 3)
        registry.connect("a")
        #expect(try registry.subscribe("a", ["AAPL", "MSFT"]) == ["AAPL", "MSFT"])
        #expect(try registry.subscribe("b", ["AAPL"]) == ["AAPL"])
        #expect(registry.connections(following: "AAPL") == ["a", "b"])
        #expect(throws: BridgeError.self) { try registry.subscribe("a", ["IBM", "GOOG"]) }
        #expect(registry.symbols(of: "a") == ["AAPL", "MSFT"])
        #expect(registry.unsubscribe("a", ["AAPL"]) == ["MSFT"])
        registry.disconnect("b")
        #expect(registry.connections(following: "AAPL").isEmpty)
    }

    @Test("frames: acknowledgement, error, the seed's tick shape with sequence, volume and conflated")
    func frames() {
        #expect(ServerMessage.acknowledgement(["AAPL"]).json == #"{"type":"subscribed","symbols":["AAPL"]}"#)
        #expect(
            ServerMessage.error(BridgeError(.notFound, "unknown symbol: ZZZ")).json
                == #"{"type":"error","error":{"code":"NOT_FOUND","message":"unknown symbol: ZZZ"}}"#)
        #expect(
            ServerMessage.tick(
                symbol: "AAPL", price: 215.32, timeMs: 1_755_009_300_000, sequence: 42, volume: 100, conflated: 0
            ).json
                == #"{"symbol":"AAPL","price":215.32,"timestamp":"2025-08-12T14:35:00Z","sequence":42,"volume":100,"conflated":0}"#
        )
        // A socket that asked for timing: the ingest time in whole microseconds (no exponent), after the seed's keys.
        #expect(
            ServerMessage.tick(
                symbol: "AAPL", price: 215.32, timeMs: 1_755_009_300_000, sequence: 42, volume: 100, conflated: 0,
                ingestTimeUs: 1_755_009_300_123_456
            ).json
                == #"{"symbol":"AAPL","price":215.32,"timestamp":"2025-08-12T14:35:00Z","sequence":42,"volume":100,"conflated":0,"ingest_time_us":1755009300123456}"#
        )
    }

    @Test("the handler answers bad input with an error frame and keeps the connection's set")
    func handlerErrors() async throws {
        let client = try PulseClient(host: "127.0.0.1", port: 9, connectTimeout: .seconds(2))
        let handler = WebSocketHandler(client: client)
        #expect(await handler.handle(WebSocketEvent(connectionId: "c", kind: .connect(query: [:]))).isEmpty)
        let bad = await handler.handle(WebSocketEvent(connectionId: "c", kind: .message(body: Array("{".utf8))))
        #expect(bad.count == 1 && bad[0]["type"] == .string("error"))
        // The server is down: the symbol cannot be checked, so the subscription is refused, not assumed.
        let down = await handler.handle(
            WebSocketEvent(
                connectionId: "c", kind: .message(body: Array(#"{"action":"subscribe","symbol":"AAPL"}"#.utf8))))
        #expect(down.first?["error"]?["code"] == .string("UNAVAILABLE"))
        #expect(await handler.symbols(of: "c").isEmpty)
        let ack = await handler.handle(
            WebSocketEvent(
                connectionId: "c", kind: .message(body: Array(#"{"action":"unsubscribe","symbol":"AAPL"}"#.utf8))))
        #expect(ack == [ServerMessage.acknowledgement([])])
        await client.close()
    }
}

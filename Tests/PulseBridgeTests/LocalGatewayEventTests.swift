import PulseMarketData
import Testing

@testable import PulseBridge
@testable import PulseGateway

@Suite("pulse gateway's HTTP API events")
struct LocalGatewayEventTests {
    @Test("a request becomes a 2.0 event the Lambda's decoder reads back: headers joined, cookies apart")
    func roundTrip() throws {
        let json = LocalGateway.httpAPIEvent(
            method: "GET", path: "/quotes", rawQuery: "symbols=AAPL%2CIBM",
            headers: [("Accept", "a"), ("X-Many", "1"), ("x-many", "2"), ("Cookie", "k=v; s=t")], body: [])
        #expect(json["version"] == .string("2.0"))
        #expect(json["requestContext"]?["http"]?["method"] == .string("GET"))
        #expect(json["cookies"] == .array([.string("k=v"), .string("s=t")]))
        let event = try HTTPEvent.decode(json)
        #expect(event.version == .v2)
        #expect(event.headers["x-many"] == "1,2")
        #expect(event.headers["accept"] == "a")
        #expect(try Route.match(event) == .quotes(symbols: ["AAPL", "IBM"]))
    }

    @Test("a binary body travels base64, a text body as is")
    func bodies() throws {
        let binary = LocalGateway.httpAPIEvent(method: "POST", path: "/x", rawQuery: "", headers: [], body: [0xff, 0])
        #expect(binary["isBase64Encoded"] == .bool(true))
        #expect(try HTTPEvent.decode(binary).body == [0xff, 0])
        let text = LocalGateway.httpAPIEvent(
            method: "POST", path: "/load-stock", rawQuery: "", headers: [], body: Array(#"{"symbol":"A"}"#.utf8))
        #expect(text["body"] == .string(#"{"symbol":"A"}"#))
        #expect(try Route.match(try HTTPEvent.decode(text)) == .loadStock(symbol: "A"))
    }
}

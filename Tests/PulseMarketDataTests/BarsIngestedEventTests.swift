import Testing

@testable import PulseMarketData

@Suite("Bars-ingested events and JSON text")
struct BarsIngestedEventTests {
    @Test("An event survives JSON text, and its shape is the documented one")
    func roundTrip() throws {
        let event = BarsIngestedEvent(
            symbol: "IBM", timeframe: "1m", from: utc("2024-03-01 09:00:00"), to: utc("2024-03-28 23:59:00"),
            count: 19200)
        #expect(
            event.json
                == #"{"type":"bars_ingested","version":1,"symbol":"IBM","timeframe":"1m","#
                + #""from":"2024-03-01T09:00:00Z","to":"2024-03-28T23:59:00Z","count":19200}"#)
        #expect(BarsIngestedEvent(json: event.json) == event)
        #expect(BarsIngestedEvent(json: #"{"type":"other","version":1}"#) == nil)
        #expect(BarsIngestedEvent(json: "not json") == nil)
    }

    @Test("JSON strings escape quotes, backslashes and control characters, and parse back")
    func escaping() throws {
        let text = "é \"q\" \\ \n\t\u{01} 𝄞"
        let encoded = JSONValue.string(text).json
        #expect(encoded == #""é \"q\" \\ \n\t\u0001 𝄞""#)
        #expect(try JSONValue.parse(Array(encoded.utf8)) == .string(text))
        #expect(try JSONValue.parse(Array(#""\ud834\udd1e""#.utf8)) == .string("𝄞"))
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array("{\"a\":1,}".utf8)) }
    }
}

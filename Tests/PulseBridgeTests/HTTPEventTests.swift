import PulseMarketData
import PulseProtocol
import Testing

@testable import PulseBridge

@Suite("API Gateway HTTP events")
struct HTTPEventTests {
    @Test("a REST API (1.0) event: method, stage-less path, multi-value query, lower-cased headers")
    func restEvent() throws {
        let event = try HTTPEvent.decode(eventFixture("rest-api-get-bars.json"))
        #expect(event.version == .v1)
        #expect(event.method == "GET")
        #expect(event.path == "/bars/aapl")
        #expect(event.query["timeframe"] == ["5m"])
        #expect(event.queryValue("start") == "2025-08-12T13:30:00Z")
        #expect(event.headers["accept"] == "application/json")
        #expect(event.headers["x-forwarded-port"] == "443")
        #expect(event.body.isEmpty)
    }

    @Test("a base64 body is decoded")
    func base64Body() throws {
        let event = try HTTPEvent.decode(eventFixture("rest-api-post-load-stock-base64.json"))
        #expect(event.method == "POST")
        #expect(String(decoding: event.body, as: UTF8.self) == #"{"symbol":"AAPL"}"#)
        #expect(try Route.match(event) == .loadStock(symbol: "AAPL"))
    }

    @Test("an HTTP API (2.0) event reads rawPath and rawQueryString, keeping repeated names and escapes")
    func httpAPIEvent() throws {
        let event = try HTTPEvent.decode(eventFixture("http-api-v2-get-quotes.json"))
        #expect(event.version == .v2)
        #expect(event.method == "GET")
        #expect(event.path == "/quotes")
        #expect(event.query["symbols"] == ["AAPL,MSFT", "IBM"])
        #expect(event.query["x"] == ["a b"])
        #expect(event.headers["cookie"] == "cookie1; cookie2")
        #expect(try Route.match(event) == .quotes(symbols: ["AAPL", "MSFT"]))
    }

    @Test("an HTTP API configured for 1.0 (version \"1.0\", httpMethod) decodes as 1.0 with null query maps")
    func httpAPIVersion1() throws {
        let event = try HTTPEvent.decode(eventFixture("http-api-v1-options.json"))
        #expect(event.version == .v1)
        #expect(event.method == "OPTIONS")
        #expect(event.query.isEmpty)
        #expect(try Route.match(event) == .preflight)
    }

    @Test("events that are not HTTP proxy events are refused with a reason")
    func badEvents() {
        #expect(throws: EventDecodingError.self) { try HTTPEvent.decode(Array("not json".utf8)) }
        #expect(throws: EventDecodingError.self) { try HTTPEvent.decode(Array("[1]".utf8)) }
        #expect(throws: EventDecodingError.self) { try HTTPEvent.decode(Array(#"{"version":"2.0"}"#.utf8)) }
        #expect(throws: EventDecodingError.self) {
            try HTTPEvent.decode(Array(#"{"httpMethod":"GET","path":"/x","body":"%%%","isBase64Encoded":true}"#.utf8))
        }
    }

    @Test("responses: 1.0 carries multiValueHeaders, 2.0 not; binary bodies go base64")
    func responses() throws {
        let result = HTTPResult(
            statusCode: 404, headers: [("Content-Type", "application/json")], body: Array("{}".utf8))
        let v1 = result.encoded(for: .v1)
        #expect(v1["statusCode"] == .number(404))
        #expect(v1["headers"]?["Content-Type"] == .string("application/json"))
        #expect(v1["multiValueHeaders"]?["Content-Type"] == .array([.string("application/json")]))
        #expect(v1["body"] == .string("{}"))
        #expect(v1["isBase64Encoded"] == .bool(false))
        let v2 = result.encoded(for: .v2)
        #expect(v2["multiValueHeaders"] == nil)
        let binary = HTTPResult(statusCode: 200, body: [0xff, 0x00, 0x01]).encoded(for: .v2)
        #expect(binary["body"] == .string("/wAB"))
        #expect(binary["isBase64Encoded"] == .bool(true))
    }

    @Test("percent-decoding: escapes, plus as space, a broken escape kept")
    func percentDecoding() {
        #expect(QueryString.percentDecoded("BRK.B%2C%5EGSPC") == "BRK.B,^GSPC")
        #expect(QueryString.percentDecoded("a+b") == "a b")
        #expect(QueryString.percentDecoded("100%") == "100%")
        #expect(QueryString.percentDecoded("%zz") == "%zz")
        #expect(QueryString.parse("a=1&b&a=2&&c=") == ["a": ["1", "2"], "b": [""], "c": [""]])
    }
}

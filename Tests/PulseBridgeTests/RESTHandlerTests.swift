import PulseClient
import PulseMarketData
import PulseProtocol
import Testing

@testable import PulseBridge

@Suite("REST handler without an upstream")
struct RESTHandlerTests {
    /// A client whose server is not there: a port nothing listens on (bound, never listened, then closed).
    func unreachableClient() throws -> PulseClient {
        try PulseClient(host: "127.0.0.1", port: 9, connectTimeout: .seconds(2))
    }

    @Test("preflight answers 204 with CORS headers and no body")
    func preflight() async throws {
        let client = try unreachableClient()
        let handler = RESTHandler(client: client)
        let raw = await handler.handle(eventJSON: eventFixture("http-api-v1-options.json"))
        let response = try JSONValue.parse(raw)
        #expect(response["statusCode"] == .number(204))
        #expect(response["headers"]?["Access-Control-Allow-Origin"] == .string("*"))
        #expect(response["headers"]?["Access-Control-Allow-Methods"] == .string("GET, POST, OPTIONS"))
        #expect(response["body"] == .string(""))
        await client.close()
    }

    @Test("a bad request is answered 400 in the caller's payload version, with CORS, without calling upstream")
    func badRequest() async throws {
        let client = try unreachableClient()
        let handler = RESTHandler(client: client)
        let result = await handler.handle(
            HTTPEvent(version: .v2, method: "GET", path: "/bars/AAPL", query: ["timeframe": ["7x"]]))
        #expect(result.statusCode == 400)
        #expect(result.header("access-control-allow-origin") == "*")
        let body = try JSONValue.parse(result.body)
        #expect(body["error"]?["code"] == .string("INVALID_ARGUMENT"))
        #expect(body["error"]?["message"]?.string?.hasPrefix("timeframe:") == true)
        await client.close()
    }

    @Test("an unreachable upstream is 503 UNAVAILABLE, not a crash or a hang")
    func upstreamDown() async throws {
        let client = try unreachableClient()
        let handler = RESTHandler(client: client, callTimeout: .seconds(10))
        let result = await handler.handle(HTTPEvent(version: .v1, method: "GET", path: "/quotes/AAPL"))
        #expect(result.statusCode == 503)
        let body = try JSONValue.parse(result.body)
        #expect(body["error"]?["code"] == .string("UNAVAILABLE"))
        #expect(body["error"]?["message"]?.string?.contains("127.0.0.1") == false)
        await client.close()
    }

    @Test("a non-event payload is a 400 response, not a throw")
    func notAnEvent() async throws {
        let client = try unreachableClient()
        let raw = await RESTHandler(client: client).handle(eventJSON: Array("[]".utf8))
        let response = try JSONValue.parse(raw)
        #expect(response["statusCode"] == .number(400))
        await client.close()
    }
}

import PulseBridge
import PulseClient
import PulseMarketData
import Testing

@testable import PulseLambda

/// AWS's sample events as aws-sam-cli ships them (Events/README.md): values checked against the JSON text by
/// hand, not against anything the decoders produce.
@Suite("AWS sample events decoded")
struct SampleEventTests {
    @Test("REST API (payload 1.0): method, stage-less path, multi-value query, base64 body, headers lower-cased")
    func restProxy() throws {
        let event = try HTTPEvent.decode(fixture("sam-apigateway-aws-proxy.json"))
        #expect(event.version == .v1)
        #expect(event.method == "POST")
        #expect(event.path == "/path/to/resource")
        #expect(event.query == ["foo": ["bar"]])
        #expect(String(decoding: event.body, as: UTF8.self) == #"{"test":"body"}"#)
        #expect(event.headers["host"] == "1234567890.execute-api.us-east-1.amazonaws.com")
        #expect(event.headers["x-forwarded-port"] == "443")
    }

    @Test("HTTP API (payload 2.0): rawPath, a repeated query parameter in order, cookies, base64 body")
    func httpAPIProxy() throws {
        let event = try HTTPEvent.decode(fixture("sam-apigateway-http-api-proxy.json"))
        #expect(event.version == .v2)
        #expect(event.method == "POST")
        #expect(event.path == "/path/to/resource")
        #expect(event.query == ["parameter1": ["value1", "value2"], "parameter2": ["value"]])
        #expect(event.headers["cookie"] == "cookie1; cookie2")
        #expect(event.headers["header2"] == "value1,value2")
        #expect(String(decoding: event.body, as: UTF8.self) == #"{"test":"body"}"#)
    }

    @Test("SQS: message id, body, receive count and source of the sample record")
    func sqs() throws {
        let event = try SQSEvent.decode(JSONValue.parse(fixture("sam-sqs-receive-message.json")))
        #expect(
            event.records == [
                SQSEvent.Record(
                    messageID: "19dd0b57-b21e-4ac1-bd88-01bbb068cb78", body: "Hello from SQS!", receiveCount: 1,
                    eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:MyQueue")
            ])
        let ingested = try SQSEvent.decode(JSONValue.parse(fixture("sam-sqs-bars-ingested.json")))
        let body = try #require(ingested.records.first?.body)
        #expect(
            BarsIngestedEvent(json: body)
                == BarsIngestedEvent(symbol: "IBM", timeframe: "1m", from: 1_709_303_400, to: 1_709_303_640, count: 5))
        #expect(throws: LambdaFunctionError.self) {
            try SQSEvent.decode(JSONValue.parse(Array(#"{"Records":3}"#.utf8)))
        }
        #expect(throws: LambdaFunctionError.self) {
            try SQSEvent.decode(JSONValue.parse(Array(#"{"Records":[{"messageId":"a","body":"b"}]}"#.utf8)))
        }
    }

    @Test("EventBridge scheduled event: its rule, and other events refused")
    func scheduled() throws {
        let event = try ScheduledEvent.decode(JSONValue.parse(fixture("sam-cloudwatch-scheduled-event.json")))
        #expect(event.rule == "arn:aws:events:us-east-1:123456789012:rule/ExampleRule")
        #expect(event.time == "1970-01-01T00:00:00Z")
        #expect(throws: LambdaFunctionError.self) {
            try ScheduledEvent.decode(JSONValue.parse(fixture("sam-sqs-receive-message.json")))
        }
    }

    @Test("the bridge Lambda answers each API's sample in that API's response shape")
    func bridgeResponses() async throws {
        // Nothing listens on port 9: every route that calls upstream answers 503 with our fixed message.
        let client = try PulseClient(host: "127.0.0.1", port: 9, connectTimeout: .seconds(2))
        let handler = BridgeLambdaHandler(rest: RESTHandler(client: client), webSocket: nil)
        let context = LambdaContext(requestID: "r1", deadlineMs: LambdaClock.nowMs() + 30_000)

        let rest = try JSONValue.parse(
            try await handler.handle(fixture("sam-apigateway-aws-proxy-get-quote.json"), context: context))
        #expect(rest["statusCode"] == .number(503))
        #expect(rest["multiValueHeaders"] != nil)  // payload 1.0's response
        let restBody = try JSONValue.parse(Array((rest["body"]?.string ?? "").utf8))
        #expect(restBody["error"]?["code"] == .string("UNAVAILABLE"))
        #expect(restBody["error"]?["message"] == .string("the PulseTrader server is unavailable; try again"))

        let http = try JSONValue.parse(
            try await handler.handle(fixture("sam-apigateway-http-api-get-quote.json"), context: context))
        #expect(http["statusCode"] == .number(503))
        #expect(http["multiValueHeaders"] == nil)  // payload 2.0's response
        #expect(http["headers"]?["Access-Control-Allow-Origin"] == .string("*"))

        // The sample's POST /path/to/resource is no route of ours.
        let unknown = try JSONValue.parse(
            try await handler.handle(fixture("sam-apigateway-aws-proxy.json"), context: context))
        #expect(unknown["statusCode"] == .number(404))

        // A WebSocket event without a registry configured is a typed invocation error, not a crash.
        await #expect(throws: LambdaFunctionError.self) {
            _ = try await handler.handle(bridgeFixture("websocket-connect.json"), context: context)
        }
        await #expect(throws: LambdaFunctionError.self) {
            _ = try await handler.handle(Array("{not json".utf8), context: context)
        }
        await client.close()
    }
}

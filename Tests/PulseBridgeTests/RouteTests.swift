import PulseClient
import PulseMarketData
import PulseProtocol
import Testing

@testable import PulseBridge

private func get(_ path: String, _ query: [String: String] = [:]) -> HTTPEvent {
    HTTPEvent(version: .v2, method: "GET", path: path, query: query.mapValues { [$0] })
}

private func code(_ event: HTTPEvent) -> GRPCStatus.Code? {
    do {
        _ = try Route.match(event)
        return nil
    } catch {
        return error.code
    }
}

@Suite("REST routes and error mapping")
struct RouteTests {
    @Test("each route with its parameters")
    func routes() throws {
        #expect(try Route.match(get("/health")) == .health)
        #expect(try Route.match(get("/quotes/msft")) == .quote(symbol: "MSFT"))
        #expect(try Route.match(get("/quotes/BRK.B")) == .quote(symbol: "BRK.B"))
        #expect(try Route.match(get("/quotes", ["symbols": "aapl,IBM"])) == .quotes(symbols: ["AAPL", "IBM"]))
        #expect(try Route.match(get("/stocks")) == .stocks)
        #expect(try Route.match(get("/clock/")) == .clock)
        #expect(try Route.match(get("/prices", ["symbol": "AAPL"])) == .prices(symbol: "AAPL", limit: 100))
        #expect(try Route.match(get("/prices", ["symbol": "AAPL", "limit": "7"])) == .prices(symbol: "AAPL", limit: 7))

        var bars = PulseV1.GetBarsRequest()
        bars.symbol = "AAPL"
        bars.timeframe = PulseV1.Timeframe(5, .minute)
        bars.startTimeMs = 1_755_005_400_000  // 2025-08-12T13:30:00Z, computed by hand: 20312 days · 86400 + 48600
        bars.endTimeMs = 1_755_009_300_000
        bars.limit = 50
        bars.pageToken = "tok"
        bars.adjustment = .split
        let event = get(
            "/bars/aapl",
            [
                "timeframe": "5m", "start": "2025-08-12T13:30:00Z", "end": "1755009300000", "limit": "50",
                "page_token": "tok", "adjustment": "split",
            ])
        #expect(try Route.match(event) == .bars(bars))

        let screen = try Route.match(get("/screener", ["metric": "volatility", "window": "20", "limit": "5"]))
        guard case .screener(let request) = screen else {
            Issue.record("not a screener route: \(screen)")
            return
        }
        #expect(request.metric == .volatility)
        #expect(request.window == 20)
        #expect(request.limit == 5)
    }

    @Test("bad input is INVALID_ARGUMENT, unknown paths NOT_FOUND, wrong methods UNIMPLEMENTED")
    func errors() {
        #expect(code(get("/nowhere")) == .notFound)
        #expect(code(get("/quotes/a/b")) == .notFound)
        #expect(code(HTTPEvent(version: .v1, method: "DELETE", path: "/stocks")) == .unimplemented)
        #expect(code(HTTPEvent(version: .v1, method: "GET", path: "/load-stock")) == .unimplemented)
        #expect(code(get("/quotes")) == .invalidArgument)
        #expect(code(get("/quotes", ["symbols": ""])) == .invalidArgument)
        #expect(code(get("/quotes/" + String(repeating: "A", count: 16))) == .invalidArgument)
        #expect(code(get("/quotes/a%20b")) == .invalidArgument)
        #expect(code(get("/bars/AAPL", ["timeframe": "7x"])) == .invalidArgument)
        #expect(code(get("/bars/AAPL", ["start": "yesterday"])) == .invalidArgument)
        #expect(code(get("/bars/AAPL", ["limit": "-1"])) == .invalidArgument)
        #expect(code(get("/bars/AAPL", ["adjustment": "magic"])) == .invalidArgument)
        #expect(code(get("/prices")) == .invalidArgument)
        #expect(code(get("/prices", ["symbol": "AAPL", "limit": "10001"])) == .invalidArgument)
        #expect(code(get("/screener", ["metric": "luck"])) == .invalidArgument)
        #expect(code(get("/screener", ["min_price": "cheap"])) == .invalidArgument)
        let many = (0...Route.maxQuoteSymbols).map { "S\($0)" }.joined(separator: ",")
        #expect(code(get("/quotes", ["symbols": many])) == .invalidArgument)
        for body in ["", "{", #"{"symbol":1}"#, #"{"ticker":"AAPL"}"#, #"{"symbol":"$$$"}"#] {
            #expect(
                code(HTTPEvent(version: .v2, method: "POST", path: "/load-stock", body: Array(body.utf8)))
                    == .invalidArgument, "body \(body)")
        }
    }

    @Test("gRPC codes map to HTTP statuses as grpc-gateway's HTTPStatusFromCode does")
    func statusMapping() {
        // The table from grpc-gateway's runtime/errors.go, written out independently of the switch under test.
        let expected: [(GRPCStatus.Code, Int)] = [
            (.ok, 200), (.cancelled, 499), (.unknown, 500), (.invalidArgument, 400), (.deadlineExceeded, 504),
            (.notFound, 404), (.alreadyExists, 409), (.permissionDenied, 403), (.resourceExhausted, 429),
            (.failedPrecondition, 400), (.aborted, 409), (.outOfRange, 400), (.unimplemented, 501),
            (.internal, 500), (.unavailable, 503), (.dataLoss, 500), (.unauthenticated, 401),
        ]
        #expect(expected.count == GRPCStatus.Code.allCases.count)
        for (code, status) in expected { #expect(BridgeError.httpStatus(for: code) == status, "\(code)") }
    }

    @Test("the error body's shape")
    func errorBody() {
        #expect(
            BridgeError(.notFound, "no symbol \"X\"").json.json
                == #"{"error":{"code":"NOT_FOUND","message":"no symbol \"X\""}}"#)
    }

    @Test("times are RFC 3339 UTC, milliseconds only when present")
    func times() {
        #expect(JSONRendering.time(1_755_009_300_000) == "2025-08-12T14:35:00Z")
        #expect(JSONRendering.time(1_755_009_300_042) == "2025-08-12T14:35:00.042Z")
        #expect(JSONRendering.time(-1) == "1969-12-31T23:59:59.999Z")
    }
}

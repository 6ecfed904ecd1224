import PulseClient
import PulseMarketData
import PulseProtocol

/// The REST half of the bridge: an API Gateway HTTP event in, its response out, every route a PulseClient call.
/// The Lambda and `pulse gateway` both call this, so the two behave the same.
public struct RESTHandler: Sendable {
    public let client: PulseClient
    /// Each upstream call's deadline: under API Gateway's 29 s integration timeout, so a slow call ends as a
    /// DEADLINE_EXCEEDED (504) body of ours rather than API Gateway's own bare 504.
    public var callTimeout: Duration

    public init(client: PulseClient, callTimeout: Duration = .seconds(25)) {
        self.client = client
        self.callTimeout = callTimeout
    }

    /// CORS: the dashboard may be served from another origin than the API (a custom domain, a laptop).
    public static let corsHeaders: [(name: String, value: String)] = [
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
        ("Access-Control-Allow-Headers", "Content-Type, Authorization"),
        ("Access-Control-Max-Age", "600"),
    ]

    /// Handles one raw event (the Lambda's invocation payload) and returns the raw response payload.
    public func handle(eventJSON: [UInt8]) async -> [UInt8] {
        let event: HTTPEvent
        do {
            event = try HTTPEvent.decode(eventJSON)
        } catch {
            let result = Self.result(BridgeError(.invalidArgument, "not an API Gateway HTTP event: \(error)"))
            return Array(result.encoded(for: .v1).json.utf8)
        }
        return Array(await handle(event).encoded(for: event.version).json.utf8)
    }

    public func handle(_ event: HTTPEvent) async -> HTTPResult {
        do {
            let route = try Route.match(event)
            if route == .preflight { return HTTPResult(statusCode: 204, headers: Self.corsHeaders) }
            return Self.result(status: 200, try await run(route))
        } catch {
            return Self.result(error)
        }
    }

    static func result(status: Int, _ json: JSONValue) -> HTTPResult {
        HTTPResult(
            statusCode: status, headers: [("Content-Type", "application/json")] + corsHeaders,
            body: Array(json.json.utf8))
    }

    static func result(_ error: BridgeError) -> HTTPResult { result(status: error.httpStatus, error.json) }

    private func run(_ route: Route) async throws(BridgeError) -> JSONValue {
        let options = CallOptions(timeout: callTimeout)
        do {
            switch route {
            case .preflight:
                return .null
            case .health:
                let status = try await client.health.check(options: options)
                guard status == .serving else { throw BridgeError(.unavailable, "the server is \(status)") }
                return .object([JSONMember(name: "status", value: .string("SERVING"))])
            case .quote(let symbol):
                return JSONRendering.quote(try await client.quotes.quote(symbol, options: options))
            case .quotes(let symbols):
                let response = try await client.quotes.quotes(symbols, options: options)
                return .object([
                    JSONMember(name: "quotes", value: .array(response.quotes.map(JSONRendering.quote))),
                    JSONMember(name: "not_found", value: .array(response.notFound.map(JSONValue.string))),
                ])
            case .bars(let request):
                return JSONRendering.bars(try await client.quotes.barsPage(request, options: options))
            case .stocks:
                let symbols = try await client.quotes.symbols(options: options)
                return .object([JSONMember(name: "stocks", value: .array(symbols.map(JSONRendering.symbol)))])
            case .prices(let symbol, let limit):
                var request = PulseV1.GetBarsRequest()
                request.symbol = symbol
                request.timeframe = .oneDay
                request.limit = limit
                request.adjustment = .raw
                return JSONRendering.prices(try await client.quotes.barsPage(request, options: options))
            case .clock:
                return JSONRendering.clock(try await client.quotes.clock(options: options))
            case .loadStock(let symbol):
                return JSONRendering.loaded(try await client.loading.loadSymbol(symbol: symbol, options: options))
            case .screener(let request):
                return JSONRendering.screen(try await client.loading.screen(request, options: options))
            }
        } catch let error as RPCError {
            throw BridgeError(error)
        } catch let error as BridgeError {
            throw error
        } catch {
            throw BridgeError(.unknown, "internal error")
        }
    }
}

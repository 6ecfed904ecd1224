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
    /// Where backtests that outlive their request are kept; nil runs every backtest inline (within callTimeout).
    public var jobs: (any BacktestJobStore)?
    /// A backtest still running after this becomes a job (202 with a Location).
    public var inlineBacktestBudget: Duration = .seconds(10)
    /// The deadline of a backtest run as a job.
    public var jobTimeout: Duration = .seconds(30 * 60)

    public init(client: PulseClient, callTimeout: Duration = .seconds(25), jobs: (any BacktestJobStore)? = nil) {
        self.client = client
        self.callTimeout = callTimeout
        self.jobs = jobs
    }

    /// CORS: the dashboard may be served from another origin than the API (a custom domain, a laptop).
    public static let corsHeaders: [(name: String, value: String)] = [
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
        ("Access-Control-Allow-Headers", "Content-Type, Authorization, X-Api-Key"),
        ("Access-Control-Expose-Headers", "Retry-After, Location"),
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
            let credential = Credentials.key(fromHeaders: event.headers)
            switch route {
            case .backtest(let request, let job):
                return try await backtest(request, asJob: job, credential: credential)
            case .backtestJob(let id):
                return try await backtestJob(id)
            default:
                return Self.result(status: 200, try await run(route, credential: credential))
            }
        } catch {
            return Self.result(error)
        }
    }

    static func result(status: Int, _ json: JSONValue) -> HTTPResult {
        HTTPResult(
            statusCode: status, headers: [("Content-Type", "application/json")] + corsHeaders,
            body: Array(json.json.utf8))
    }

    public static func result(_ error: BridgeError) -> HTTPResult {
        var result = result(status: error.httpStatus, error.json)
        if let seconds = error.retryAfterSeconds { result.headers.append(("Retry-After", String(seconds))) }
        if let method = error.allowedMethod { result.headers.append(("Allow", "\(method), OPTIONS")) }
        return result
    }

    /// The route's upstream call; the caller's key (if any) goes along as `authorization: Bearer`, and the server
    /// alone decides (the bridge checks no credential itself).
    private func run(_ route: Route, credential: String?) async throws(BridgeError) -> JSONValue {
        let options = CallOptions(timeout: callTimeout, metadata: Credentials.metadata(credential))
        do {
            switch route {
            case .preflight, .backtest, .backtestJob:
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
            case .indicators(let request):
                return JSONRendering.indicators(
                    try await client.unary(PulseMethods.Indicators.compute, request, options: options))
            }
        } catch let error as RPCError {
            throw BridgeError(error)
        } catch let error as BridgeError {
            throw error
        } catch {
            throw BridgeError(.unknown, "internal error")
        }
    }

    /// `POST /backtests`: inline when the run ends within ``inlineBacktestBudget`` (or when there is no job store),
    /// else `202 Accepted` with `Location: /backtests/{id}` while the run goes on and saves its progress.
    private func backtest(_ request: PulseV1.BacktestRequest, asJob: Bool, credential: String?)
        async throws(BridgeError) -> HTTPResult
    {
        let metadata = Credentials.metadata(credential)
        let timeout = jobs == nil ? callTimeout : jobTimeout
        let stream = client.serverStream(
            PulseMethods.Backtests.runStream, request, options: CallOptions(timeout: timeout, metadata: metadata))
        let run = BacktestRun()
        let store = jobs
        let reader = Task { await run.consume(stream, store: store) }
        guard let store else {
            await reader.value
            return try Self.inline(run.outcome)
        }
        if !asJob, await run.waitInline(inlineBacktestBudget) { return try Self.inline(run.outcome) }
        let id = BacktestRun.newId()
        try await store.save(id, BacktestRun.document(id: id, progress: run.progress, outcome: nil))
        if let outcome = run.becomeJob(id) {
            // Ended while the job was being saved: its document says so too, and the answer is inline after all.
            try? await store.save(id, BacktestRun.document(id: id, progress: run.progress, outcome: outcome))
            if !asJob { return try Self.inline(outcome) }
        }
        var result = Self.result(
            status: 202,
            .object([
                JSONMember(name: "id", value: .string(id)), JSONMember(name: "state", value: .string("running")),
                JSONMember(name: "location", value: .string("/backtests/\(id)")),
            ]))
        result.headers.append(("Location", "/backtests/\(id)"))
        return result
    }

    private static func inline(_ outcome: Result<PulseV1.BacktestResult, BridgeError>?) throws(BridgeError)
        -> HTTPResult
    {
        switch outcome {
        case .success(let result): return Self.result(status: 200, JSONRendering.backtest(result))
        case .failure(let error): throw error
        case nil: throw BridgeError(.internal, "internal error (the backtest has no outcome)")
        }
    }

    /// `GET /backtests/{id}`: the job's document (running with its progress, then succeeded with the result or
    /// failed with the error).
    private func backtestJob(_ id: String) async throws(BridgeError) -> HTTPResult {
        guard let jobs else { throw BridgeError(.notFound, "no backtest job \(id): this gateway keeps no jobs") }
        guard let document = try await jobs.load(id) else {
            throw BridgeError(.notFound, "no backtest job \(id) (jobs are kept for 24 hours)")
        }
        return HTTPResult(
            statusCode: 200, headers: [("Content-Type", "application/json")] + Self.corsHeaders, body: document)
    }
}

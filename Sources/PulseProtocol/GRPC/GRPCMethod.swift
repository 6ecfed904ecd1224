/// One RPC method: its full `:path` and its shape.
public struct GRPCMethod: Hashable, Sendable, CustomStringConvertible {
    /// Whether a method answers once or streams.
    public enum Kind: Hashable, Sendable {
        /// One request, one response.
        case unary
        /// One request, a stream of responses.
        case serverStreaming
    }

    /// The fully qualified service, e.g. `pulse.v1.Quotes`.
    public let service: String
    /// The method's name within the service, e.g. `GetQuote`.
    public let name: String
    /// The method's shape.
    public let kind: Kind

    public init(service: String, name: String, kind: Kind) {
        self.service = service
        self.name = name
        self.kind = kind
    }

    /// The HTTP/2 `:path`, e.g. `/pulse.v1.Quotes/GetQuote`.
    public var path: String { "/\(service)/\(name)" }

    public var description: String { path }
}

/// A unary method together with its message types, so a call or a registration cannot pair it with
/// other messages: `client.unary(PulseMethods.Health.check, request)` returns a `HealthCheckResponse`.
public struct UnaryMethod<Request: ProtoMessage, Response: ProtoMessage>: Hashable, Sendable,
    CustomStringConvertible
{
    /// The untyped descriptor: service, name, kind and `:path`.
    public let descriptor: GRPCMethod

    public init(service: String, name: String) {
        descriptor = GRPCMethod(service: service, name: name, kind: .unary)
    }

    /// The HTTP/2 `:path`.
    public var path: String { descriptor.path }
    public var description: String { descriptor.path }
}

/// A server-streaming method together with its message types (one `Request`, a stream of `Response`).
public struct ServerStreamingMethod<Request: ProtoMessage, Response: ProtoMessage>: Hashable, Sendable,
    CustomStringConvertible
{
    /// The untyped descriptor: service, name, kind and `:path`.
    public let descriptor: GRPCMethod

    public init(service: String, name: String) {
        descriptor = GRPCMethod(service: service, name: name, kind: .serverStreaming)
    }

    /// The HTTP/2 `:path`.
    public var path: String { descriptor.path }
    public var description: String { descriptor.path }
}

/// Every method PulseTrader serves, by service, typed with its messages.
public enum PulseMethods {
    /// `grpc.health.v1.Health`.
    public enum Health {
        public static let service = "grpc.health.v1.Health"
        public static let check = UnaryMethod<HealthCheckRequest, HealthCheckResponse>(service: service, name: "Check")
        public static let watch = ServerStreamingMethod<HealthCheckRequest, HealthCheckResponse>(
            service: service, name: "Watch")
        public static let all = [check.descriptor, watch.descriptor]
    }

    /// `pulse.v1.Quotes`: quotes, symbols, historical bars, live ticks.
    public enum Quotes {
        public static let service = "pulse.v1.Quotes"
        public static let getQuote = UnaryMethod<PulseV1.GetQuoteRequest, PulseV1.Quote>(
            service: service, name: "GetQuote")
        public static let listSymbols = UnaryMethod<PulseV1.ListSymbolsRequest, PulseV1.ListSymbolsResponse>(
            service: service, name: "ListSymbols")
        public static let getBars = UnaryMethod<PulseV1.GetBarsRequest, PulseV1.BarSeries>(
            service: service, name: "GetBars")
        public static let loadSymbol = UnaryMethod<PulseV1.LoadSymbolRequest, PulseV1.LoadSymbolResponse>(
            service: service, name: "LoadSymbol")
        public static let subscribe = ServerStreamingMethod<PulseV1.SubscribeQuotesRequest, PulseV1.QuoteEvent>(
            service: service, name: "Subscribe")
        public static let getQuotes = UnaryMethod<PulseV1.GetQuotesRequest, PulseV1.GetQuotesResponse>(
            service: service, name: "GetQuotes")
        public static let getClock = UnaryMethod<PulseV1.GetClockRequest, PulseV1.MarketClock>(
            service: service, name: "GetClock")
        public static let getSessions = UnaryMethod<PulseV1.GetSessionsRequest, PulseV1.GetSessionsResponse>(
            service: service, name: "GetSessions")
        public static let screen = UnaryMethod<PulseV1.ScreenRequest, PulseV1.ScreenResponse>(
            service: service, name: "Screen")
        public static let all = [
            getQuote.descriptor, listSymbols.descriptor, getBars.descriptor, loadSymbol.descriptor,
            subscribe.descriptor, getQuotes.descriptor, getClock.descriptor, getSessions.descriptor, screen.descriptor,
        ]
    }

    /// `pulse.v1.Indicators`: technical indicators, batch and live.
    public enum Indicators {
        public static let service = "pulse.v1.Indicators"
        public static let compute = UnaryMethod<PulseV1.ComputeIndicatorsRequest, PulseV1.ComputeIndicatorsResponse>(
            service: service, name: "Compute")
        public static let subscribe = ServerStreamingMethod<
            PulseV1.SubscribeIndicatorsRequest, PulseV1.IndicatorUpdate
        >(service: service, name: "Subscribe")
        public static let all = [compute.descriptor, subscribe.descriptor]
    }

    /// `pulse.v1.Backtests`: strategy backtests and parameter optimisation.
    public enum Backtests {
        public static let service = "pulse.v1.Backtests"
        public static let run = UnaryMethod<PulseV1.BacktestRequest, PulseV1.BacktestResult>(
            service: service, name: "Run")
        public static let runStream = ServerStreamingMethod<PulseV1.BacktestRequest, PulseV1.BacktestEvent>(
            service: service, name: "RunStream")
        public static let optimize = ServerStreamingMethod<PulseV1.OptimizeRequest, PulseV1.OptimizeResult>(
            service: service, name: "Optimize")
        public static let all = [run.descriptor, runStream.descriptor, optimize.descriptor]
    }

    /// `pulse.v1.Diagnostics`: echo and synthetic streams for transport tests and benchmarks.
    public enum Diagnostics {
        public static let service = "pulse.v1.Diagnostics"
        public static let echo = UnaryMethod<EchoRequest, EchoResponse>(service: service, name: "Echo")
        public static let stream = ServerStreamingMethod<StreamRequest, StreamItem>(service: service, name: "Stream")
        public static let all = [echo.descriptor, stream.descriptor]
    }

    /// Every method of every service.
    public static let all: [GRPCMethod] =
        Health.all + Quotes.all + Indicators.all + Backtests.all + Diagnostics.all

    private static let byPath: [String: GRPCMethod] = Dictionary(
        uniqueKeysWithValues: all.map { ($0.path, $0) })

    /// The method served at `path`, or nil (the server answers UNIMPLEMENTED).
    public static func method(forPath path: some StringProtocol) -> GRPCMethod? {
        byPath[String(path)]
    }
}

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

/// Every method PulseTrader serves, by service.
public enum PulseMethods {
    /// `grpc.health.v1.Health`.
    public enum Health {
        public static let service = "grpc.health.v1.Health"
        public static let check = GRPCMethod(service: service, name: "Check", kind: .unary)
        public static let watch = GRPCMethod(service: service, name: "Watch", kind: .serverStreaming)
        public static let all = [check, watch]
    }

    /// `pulse.v1.Quotes`: quotes, symbols, historical bars, live ticks.
    public enum Quotes {
        public static let service = "pulse.v1.Quotes"
        public static let getQuote = GRPCMethod(service: service, name: "GetQuote", kind: .unary)
        public static let listSymbols = GRPCMethod(service: service, name: "ListSymbols", kind: .unary)
        public static let getBars = GRPCMethod(service: service, name: "GetBars", kind: .unary)
        public static let loadSymbol = GRPCMethod(service: service, name: "LoadSymbol", kind: .unary)
        public static let subscribe = GRPCMethod(service: service, name: "Subscribe", kind: .serverStreaming)
        public static let all = [getQuote, listSymbols, getBars, loadSymbol, subscribe]
    }

    /// `pulse.v1.Indicators`: technical indicators, batch and live.
    public enum Indicators {
        public static let service = "pulse.v1.Indicators"
        public static let compute = GRPCMethod(service: service, name: "Compute", kind: .unary)
        public static let subscribe = GRPCMethod(service: service, name: "Subscribe", kind: .serverStreaming)
        public static let all = [compute, subscribe]
    }

    /// `pulse.v1.Backtests`: strategy backtests and parameter optimisation.
    public enum Backtests {
        public static let service = "pulse.v1.Backtests"
        public static let run = GRPCMethod(service: service, name: "Run", kind: .unary)
        public static let runStream = GRPCMethod(service: service, name: "RunStream", kind: .serverStreaming)
        public static let optimize = GRPCMethod(service: service, name: "Optimize", kind: .serverStreaming)
        public static let all = [run, runStream, optimize]
    }

    /// `pulse.v1.Diagnostics`: echo and synthetic streams for transport tests and benchmarks.
    public enum Diagnostics {
        public static let service = "pulse.v1.Diagnostics"
        public static let echo = GRPCMethod(service: service, name: "Echo", kind: .unary)
        public static let stream = GRPCMethod(service: service, name: "Stream", kind: .serverStreaming)
        public static let all = [echo, stream]
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

import PulseAnalytics
import PulseProtocol
import PulseRPC

/// The read side of `pulse.v1.Quotes`: GetQuote and GetQuotes (from this process's ticks, else the Redis cache,
/// else the last stored bar), ListSymbols, GetBars at any timeframe with paging and adjustment, GetClock and
/// GetSessions. Subscribe, LoadSymbol and the screener are other services of the same name (the router dispatches
/// by method path).
public struct QuotesReadService: RPCService {
    public var serviceName: String { PulseMethods.Quotes.service }
    let data: ServerDataLayer
    let clock: @Sendable () -> Int64

    /// - Parameter now: the current time in milliseconds since the epoch (tests pass a fixed one).
    public init(data: ServerDataLayer, now: @escaping @Sendable () -> Int64 = MarketCalendarAnswers.currentTimeMs) {
        self.data = data
        self.clock = now
    }

    public var methods: [RPCMethodDefinition] {
        let quotes = QuoteLookup(data: data)
        let bars = BarPages(reader: StoredBarReader(data: data))
        let symbols = SymbolCatalog(data: data)
        let clock = self.clock
        return [
            .unary(PulseMethods.Quotes.getQuote) { request, context in
                try await quotes.quote(request.symbol, context: context)
            },
            .unary(PulseMethods.Quotes.getQuotes) { request, context in
                try await quotes.quotes(request.symbols, context: context)
            },
            .unary(PulseMethods.Quotes.listSymbols) { request, context in
                try await symbols.list(request, context: context)
            },
            .unary(PulseMethods.Quotes.getBars) { request, context in
                try await bars.page(request, context: context)
            },
            .unary(PulseMethods.Quotes.getClock) { _, _ in
                MarketCalendarAnswers.clock(at: clock())
            },
            .unary(PulseMethods.Quotes.getSessions) { request, _ in
                try MarketCalendarAnswers.sessions(request, now: clock())
            },
        ]
    }
}

/// The rules for a symbol in a request.
enum SymbolRules {
    static let maxLength = 32

    /// - Throws: INVALID_ARGUMENT saying what is wrong with `symbol`.
    static func check(_ symbol: String, field: String = "symbol") throws(GRPCStatus) {
        guard !symbol.isEmpty else { throw GRPCStatus(.invalidArgument, "\(field) is empty") }
        guard symbol.utf8.count <= maxLength else {
            throw GRPCStatus(.invalidArgument, "\(field) is longer than \(maxLength) characters")
        }
        let allowed = { (c: UInt8) in
            (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
                || [
                    UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "^"), UInt8(ascii: "="), UInt8(ascii: "_"),
                    UInt8(ascii: "/"),
                ].contains(c)
        }
        if let bad = symbol.utf8.first(where: { !allowed($0) }) {
            let shown =
                bad >= 0x20 && bad < 0x7F ? "'\(Character(Unicode.Scalar(bad)))'" : "byte 0x\(String(bad, radix: 16))"
            throw GRPCStatus(
                .invalidArgument,
                "\(field) has \(shown); symbols are letters, digits and . - ^ = _ /")
        }
    }
}

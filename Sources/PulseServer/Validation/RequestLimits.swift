import PulseProtocol

/// The bounds every service applies to what a request may ask for, in one place so services agree (the table
/// is in Protocol/README.md, "Limits"). Each check throws INVALID_ARGUMENT naming the field, the value and the
/// bound, before any work or I/O is done.
public enum RequestLimits {
    /// Symbols: 1–16 characters of A–Z, a–z, 0–9, `.`, `-`, `^`, `=` (`BRK.B`, `^GSPC`, `EURUSD=X`).
    public static let maxSymbolLength = 16
    /// Symbols (or inline series) named by one request.
    public static let maxSymbolsPerRequest = 100
    /// Times must lie in [1900-01-01, 2200-01-01) (milliseconds since the epoch; 0 means unbounded).
    public static let minTimeMs: Int64 = -2_208_988_800_000
    public static let maxTimeMs: Int64 = 7_258_118_400_000
    /// Bars per series, given inline or asked for with `limit`.
    public static let maxBarsPerSeries = 1_000_000
    /// Bars over all inline series of one request.
    public static let maxBarsPerRequest = 2_000_000
    /// Indicator specs per request, and parameters per spec.
    public static let maxIndicators = 64
    public static let maxIndicatorParameters = 16
    /// A function name or parameter name, in bytes.
    public static let maxNameLength = 64
    /// One strategy or weight expression, in UTF-8 bytes.
    public static let maxExpressionLength = 4096
    /// Named strategy parameters, and ranges in an optimisation grid.
    public static let maxStrategyParameters = 64
    /// Explicit values of one grid range.
    public static let maxGridValues = 100_000
    /// `Timeframe.multiple`.
    public static let maxTimeframeMultiple: UInt32 = 100_000

    static func invalid(_ message: String) -> GRPCStatus { GRPCStatus(.invalidArgument, message) }

    /// A symbol's shape.
    public static func checkSymbol(_ symbol: String, field: String) throws(GRPCStatus) {
        let bytes = symbol.utf8
        guard !bytes.isEmpty else { throw invalid("\(field) is empty: give a symbol such as AAPL") }
        guard bytes.count <= maxSymbolLength,
            bytes.allSatisfy({ byte in
                (65...90).contains(byte) || (97...122).contains(byte) || (48...57).contains(byte)
                    || byte == 46 || byte == 45 || byte == 94 || byte == 61
            })
        else {
            throw invalid(
                "\(field) \(quoted(symbol)) is not a symbol: 1-\(maxSymbolLength) characters of A-Z, 0-9, . - ^ =")
        }
    }

    /// A `[start, end)` range in milliseconds where 0 means unbounded.
    public static func checkRange(start: Int64, end: Int64, field: String = "") throws(GRPCStatus) {
        for (name, value) in [("start_time_ms", start), ("end_time_ms", end)] where value != 0 {
            guard value >= minTimeMs, value < maxTimeMs else {
                throw invalid("\(field)\(name) \(value) is outside 1900-01-01 ... 2200-01-01 (epoch milliseconds)")
            }
        }
        if start != 0, end != 0, end <= start {
            throw invalid("\(field)end_time_ms \(end) is not after start_time_ms \(start)")
        }
    }

    /// A result-size `limit` (0: the server's maximum).
    public static func checkLimit(_ limit: UInt32, field: String = "limit") throws(GRPCStatus) {
        guard limit <= maxBarsPerSeries else {
            throw invalid("\(field) \(limit) is over the maximum of \(maxBarsPerSeries) bars")
        }
    }

    public static func checkTimeframe(_ timeframe: PulseV1.Timeframe?, field: String = "timeframe") throws(GRPCStatus) {
        guard let timeframe else { return }
        guard timeframe.multiple <= maxTimeframeMultiple else {
            throw invalid("\(field).multiple \(timeframe.multiple) is over the maximum of \(maxTimeframeMultiple)")
        }
    }

    /// An expression's size (its syntax is the compiler's business).
    public static func checkExpression(_ text: String, field: String) throws(GRPCStatus) {
        guard text.utf8.count <= maxExpressionLength else {
            throw invalid(
                "\(field) is \(text.utf8.count) bytes long, over the maximum of \(maxExpressionLength)")
        }
    }

    /// A count against its maximum.
    public static func checkCount(_ count: Int, max: Int, field: String, of what: String) throws(GRPCStatus) {
        guard count <= max else { throw invalid("\(field) has \(count) \(what), over the maximum of \(max)") }
    }

    static func checkName(_ name: String, field: String) throws(GRPCStatus) {
        guard name.utf8.count <= maxNameLength else {
            throw invalid("\(field) is \(name.utf8.count) bytes long, over the maximum of \(maxNameLength)")
        }
    }

    /// Inline series: how many, how long each and together, and their symbols.
    /// `repeated` says whether `field` is a list (its entries are named `field[i]`).
    static func checkInline(_ series: [PulseV1.BarSeries], field: String, repeated: Bool = true) throws(GRPCStatus) {
        try checkCount(series.count, max: maxSymbolsPerRequest, field: field, of: "series")
        var total = 0
        for (index, one) in series.enumerated() {
            let name = repeated ? "\(field)[\(index)]" : field
            let count = one.timeMs.count
            try checkCount(count, max: maxBarsPerSeries, field: name, of: "bars")
            total += count
            if !one.symbol.isEmpty { try checkSymbol(one.symbol, field: "\(name).symbol") }
            try checkTimeframe(one.timeframe, field: "\(name).timeframe")
        }
        try checkCount(total, max: maxBarsPerRequest, field: field, of: "bars in all")
    }

    /// Text shown in an error: at most 32 characters of it, so a huge value never fills the message.
    static func quoted(_ text: String) -> String {
        text.utf8.count <= 32 ? "'\(text)'" : "'\(text.prefix(32))…'"
    }
}

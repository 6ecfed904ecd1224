/// One Alpha Vantage call: `function` and its parameters, without the key (added when the URL is built).
public struct AlphaVantageQuery: Sendable, Equatable {
    public var function: String
    public var parameters: [(name: String, value: String)]

    public init(function: String, parameters: [(name: String, value: String)] = []) {
        self.function = function
        self.parameters = parameters
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.function == b.function && a.parameters.map(\.name) == b.parameters.map(\.name)
            && a.parameters.map(\.value) == b.parameters.map(\.value)
    }

    /// `GLOBAL_QUOTE`: the latest price and volume of a symbol.
    public static func globalQuote(symbol: String, format: AlphaVantageFormat = .json) -> Self {
        Self(function: "GLOBAL_QUOTE", parameters: [("symbol", symbol)] + format.parameters)
    }

    /// `TIME_SERIES_INTRADAY`. `month` (`YYYY-MM`, from 2000-01) asks for that month's history; Alpha Vantage's
    /// defaults are `adjusted=true` and `extended_hours=true` (04:00–20:00 US/Eastern).
    public static func intraday(
        symbol: String, interval: IntradayInterval, outputSize: OutputSize = .compact, month: String? = nil,
        extendedHours: Bool? = nil, adjusted: Bool? = nil, format: AlphaVantageFormat = .json
    ) -> Self {
        var parameters: [(name: String, value: String)] = [
            ("symbol", symbol), ("interval", interval.rawValue), ("outputsize", outputSize.rawValue),
        ]
        if let month { parameters.append(("month", month)) }
        if let extendedHours { parameters.append(("extended_hours", String(extendedHours))) }
        if let adjusted { parameters.append(("adjusted", String(adjusted))) }
        return Self(function: "TIME_SERIES_INTRADAY", parameters: parameters + format.parameters)
    }

    /// `TIME_SERIES_DAILY` (raw, unadjusted prices; the adjusted series is premium-only).
    public static func daily(symbol: String, outputSize: OutputSize = .compact, format: AlphaVantageFormat = .json)
        -> Self
    {
        Self(
            function: "TIME_SERIES_DAILY",
            parameters: [("symbol", symbol), ("outputsize", outputSize.rawValue)] + format.parameters)
    }

    /// `SYMBOL_SEARCH`: symbols matching `keywords`.
    public static func symbolSearch(keywords: String) -> Self {
        Self(function: "SYMBOL_SEARCH", parameters: [("keywords", keywords)])
    }

    /// Whether the response comes as CSV.
    public var isCSV: Bool { parameters.contains { $0.name == "datatype" && $0.value == "csv" } }

    /// The request URL: `base?function=…&…&entitlement=…&apikey=…`, every value percent-encoded.
    public func url(base: String, apiKey: String, entitlement: AlphaVantageEntitlement?) -> String {
        var pairs = [("function", function)] + parameters.map { ($0.name, $0.value) }
        if let entitlement { pairs.append(("entitlement", entitlement.rawValue)) }
        pairs.append(("apikey", apiKey))
        let query = pairs.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return base + (base.contains("?") ? "&" : "?") + query
    }

    /// RFC 3986 unreserved characters stay; every other byte becomes `%XX`.
    static func encode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

public enum IntradayInterval: String, Sendable, CaseIterable {
    case oneMinute = "1min"
    case fiveMinutes = "5min"
    case fifteenMinutes = "15min"
    case thirtyMinutes = "30min"
    case sixtyMinutes = "60min"
}

/// `outputsize`: the latest 100 bars, or everything (a month's worth for intraday with `month`).
public enum OutputSize: String, Sendable {
    case compact, full
}

/// `datatype`: Alpha Vantage's JSON, or CSV (CRLF line ends, newest first). Errors come as JSON either way.
public enum AlphaVantageFormat: String, Sendable {
    case json, csv

    var parameters: [(name: String, value: String)] { self == .csv ? [("datatype", "csv")] : [] }
}

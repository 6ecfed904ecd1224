import PulseAnalytics
import PulseClient
import PulseMarketData
import PulseProtocol

/// One REST route with its arguments parsed and checked, before anything is sent upstream: bad input is an
/// INVALID_ARGUMENT here, never a malformed upstream call.
public enum Route: Sendable, Equatable {
    case preflight
    case health
    case quote(symbol: String)
    case quotes(symbols: [String])
    case bars(PulseV1.GetBarsRequest)
    case stocks
    case prices(symbol: String, limit: UInt32)
    case clock
    case loadStock(symbol: String)
    case screener(PulseV1.ScreenRequest)
    case indicators(PulseV1.ComputeIndicatorsRequest)
    /// `POST /backtests`; `job` when `?async=true` asks for a job whatever its size.
    case backtest(PulseV1.BacktestRequest, job: Bool)
    case backtestJob(id: String)

    /// At most this many symbols in one `GET /quotes?symbols=` (the server's own GetQuotes limit may be lower).
    public static let maxQuoteSymbols = 100
    /// `GET /indicators` computes at most this many indicators in one request.
    public static let maxIndicators = 20
    /// `GET /prices` answers at most this many points.
    public static let maxPriceLimit: UInt32 = 10_000

    /// Matches `event` to a route; NOT_FOUND for an unknown path, UNIMPLEMENTED for a known path with an
    /// unsupported method (HTTP 405 with `Allow`, as HTTP asks), INVALID_ARGUMENT for bad parameters.
    public static func match(_ event: HTTPEvent) throws(BridgeError) -> Route {
        if event.method == "OPTIONS" { return .preflight }
        let segments = event.path.split(separator: "/", omittingEmptySubsequences: true).map {
            QueryString.percentDecoded(String($0).replacingPlus())
        }
        func require(_ method: String) throws(BridgeError) {
            guard event.method == method else {
                var error = BridgeError(
                    .unimplemented, "\(event.method) \(event.path) is not supported (use \(method))")
                error.allowedMethod = method
                throw error
            }
        }
        switch segments.first ?? "" {
        case "health" where segments.count == 1:
            try require("GET")
            return .health
        case "quotes" where segments.count == 2:
            try require("GET")
            return .quote(symbol: try symbol(segments[1]))
        case "quotes" where segments.count == 1:
            try require("GET")
            guard let list = event.queryValue("symbols") else {
                throw BridgeError(.invalidArgument, "GET /quotes needs symbols=A,B (or use /quotes/{symbol})")
            }
            let symbols = try list.split(separator: ",").map { (s) throws(BridgeError) in try symbol(String(s)) }
            guard !symbols.isEmpty else { throw BridgeError(.invalidArgument, "symbols is empty") }
            guard symbols.count <= maxQuoteSymbols else {
                throw BridgeError(.invalidArgument, "at most \(maxQuoteSymbols) symbols, got \(symbols.count)")
            }
            return .quotes(symbols: symbols)
        case "bars" where segments.count == 2:
            try require("GET")
            var request = PulseV1.GetBarsRequest()
            request.symbol = try symbol(segments[1])
            request.timeframe = try timeframe(event.queryValue("timeframe") ?? "1d")
            request.startTimeMs = try time(event, "start")
            request.endTimeMs = try time(event, "end")
            request.limit = try count(event, "limit", max: UInt32.max) ?? 0
            request.pageToken = event.queryValue("page_token") ?? ""
            request.adjustment = try adjustment(event.queryValue("adjustment") ?? "raw")
            return .bars(request)
        case "stocks" where segments.count == 1:
            try require("GET")
            return .stocks
        case "prices" where segments.count == 1:
            try require("GET")
            guard let name = event.queryValue("symbol") else {
                throw BridgeError(.invalidArgument, "GET /prices needs symbol=")
            }
            return .prices(symbol: try symbol(name), limit: try count(event, "limit", max: maxPriceLimit) ?? 100)
        case "clock" where segments.count == 1:
            try require("GET")
            return .clock
        case "load-stock" where segments.count == 1:
            try require("POST")
            let body: JSONValue
            do {
                body = try JSONValue.parse(event.body)
            } catch {
                throw BridgeError(.invalidArgument, "the body is not JSON: \(error)")
            }
            guard let name = body["symbol"]?.string else {
                throw BridgeError(.invalidArgument, #"the body needs a string "symbol", e.g. {"symbol":"AAPL"}"#)
            }
            return .loadStock(symbol: try symbol(name))
        case "indicators" where segments.count == 2:
            try require("GET")
            var request = PulseV1.ComputeIndicatorsRequest()
            request.symbol = try symbol(segments[1])
            request.timeframe = try timeframe(event.queryValue("timeframe") ?? "1d")
            request.startTimeMs = try time(event, "start")
            request.endTimeMs = try time(event, "end")
            request.limit = try count(event, "limit", max: UInt32.max) ?? 0
            request.pageToken = event.queryValue("page_token") ?? ""
            request.includeBars = try flag(event, "include_bars")
            request.indicators = try indicatorSpecs(event.query["ind"] ?? [])
            request.pageSize =
                try count(event, "page_size", max: UInt32(Self.maxJSONPage))
                ?? Self.jsonPageSize(request.indicators, includeBars: request.includeBars)
            return .indicators(request)
        case "backtests" where segments.count == 1:
            try require("POST")
            return .backtest(try BacktestRequestJSON.parse(event.body), job: try flag(event, "async"))
        case "backtests" where segments.count == 2:
            try require("GET")
            guard BacktestRun.isJobId(segments[1]) else {
                throw BridgeError(.notFound, "no backtest job \"\(segments[1].prefix(40))\"")
            }
            return .backtestJob(id: segments[1])
        case "screener" where segments.count == 1:
            try require("GET")
            return .screener(try screenRequest(event))
        default:
            throw BridgeError(.notFound, "no route \(event.method) \(event.path)")
        }
    }

    /// Upper-cased ticker: 1–15 of letters, digits, `.`, `-`, `^`, `=` (the forms the stores and feeds use).
    static func symbol(_ text: String) throws(BridgeError) -> String {
        let upper = text.uppercased()
        let allowed = upper.utf8.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "^")
                || byte == UInt8(ascii: "=")
        }
        guard !upper.isEmpty, upper.utf8.count <= 15, allowed else {
            throw BridgeError(.invalidArgument, "\"\(text.prefix(40))\" is not a symbol")
        }
        return upper
    }

    static func timeframe(_ text: String) throws(BridgeError) -> PulseV1.Timeframe {
        do {
            return try PulseV1.Timeframe.parsing(text)
        } catch {
            throw BridgeError(.invalidArgument, "timeframe: \(error)")
        }
    }

    static func adjustment(_ text: String) throws(BridgeError) -> PulseV1.Adjustment {
        switch text.lowercased() {
        case "raw": return .raw
        case "split": return .split
        case "dividend": return .dividend
        case "all": return .all
        default: throw BridgeError(.invalidArgument, "adjustment is raw, split, dividend or all, not \"\(text)\"")
        }
    }

    /// An RFC 3339 time or epoch seconds/milliseconds, as epoch milliseconds; 0 when absent.
    static func time(_ event: HTTPEvent, _ name: String) throws(BridgeError) -> Int64 {
        guard let text = event.queryValue(name), !text.isEmpty else { return 0 }
        if let digits = Int64(text) { return digits >= 100_000_000_000 ? digits : digits * 1000 }
        guard let seconds = TimestampParser.parse(text) else {
            throw BridgeError(.invalidArgument, "\(name) is not an RFC 3339 time (2025-08-12T14:35:00Z): \"\(text)\"")
        }
        return seconds * 1000
    }

    /// Bars per `/indicators` page: as many as keep the JSON under ``jsonBudget`` bytes (API Gateway and Lambda
    /// refuse responses over 6 MB) at 24 bytes a value (a double's longest text and its comma), at most
    /// ``maxJSONPage``. The RPC's own pages are sized for 4 MiB of binary doubles, three times fewer bytes.
    static func jsonPageSize(_ specs: [PulseV1.IndicatorSpec], includeBars: Bool) -> UInt32 {
        let outputs = specs.reduce(0) { sum, spec in
            sum + (IndicatorRegistry.standard.definition(named: spec.function)?.outputs.count ?? 1)
        }
        let perBar = 24 * (1 + outputs + (includeBars ? 6 : 0))
        return UInt32(max(1, min(maxJSONPage, jsonBudget / perBar)))
    }

    static let jsonBudget = 5_000_000
    static let maxJSONPage = 10_000

    static func count(_ event: HTTPEvent, _ name: String, max: UInt32) throws(BridgeError) -> UInt32? {
        guard let text = event.queryValue(name), !text.isEmpty else { return nil }
        guard let value = UInt32(text), value <= max else {
            throw BridgeError(.invalidArgument, "\(name) must be a whole number from 0 to \(max), not \"\(text)\"")
        }
        return value
    }

    static func screenRequest(_ event: HTTPEvent) throws(BridgeError) -> PulseV1.ScreenRequest {
        var request = PulseV1.ScreenRequest()
        switch (event.queryValue("metric") ?? "return").lowercased() {
        case "return": request.metric = .return
        case "volume_spike", "volume-spike": request.metric = .volumeSpike
        case "volatility": request.metric = .volatility
        case "new_high", "new-high": request.metric = .newHigh
        case let other:
            throw BridgeError(
                .invalidArgument, "metric is return, volume_spike, volatility or new_high, not \"\(other)\"")
        }
        if let list = event.queryValue("symbols"), !list.isEmpty {
            request.symbols = try list.split(separator: ",").map { (s) throws(BridgeError) in try symbol(String(s)) }
        }
        if let text = event.queryValue("timeframe") { request.timeframe = try timeframe(text) }
        request.window = try count(event, "window", max: 100_000) ?? 0
        request.endTimeMs = try time(event, "end")
        request.limit = try count(event, "limit", max: 10_000) ?? 0
        switch (event.queryValue("order") ?? "desc").lowercased() {
        case "asc": request.ascending = true
        case "desc": request.ascending = false
        case let other: throw BridgeError(.invalidArgument, "order is asc or desc, not \"\(other.prefix(40))\"")
        }
        request.minValue = try number(event, "min_value")
        request.maxValue = try number(event, "max_value")
        request.minPrice = try number(event, "min_price") ?? 0
        request.minAverageVolume = try number(event, "min_average_volume") ?? 0
        return request
    }

    /// `ind=ema:20,rsi:14,bbands:20,2,2,obv` (or `ind` repeated): a name starts each indicator, optionally with
    /// `:` and its first parameter; a bare number after it is its next parameter.
    static func indicatorSpecs(_ values: [String]) throws(BridgeError) -> [PulseV1.IndicatorSpec] {
        var specs: [PulseV1.IndicatorSpec] = []
        for item in values.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
            let token = item.drop { $0 == " " }
            if let value = Double(token), value.isFinite {
                guard !specs.isEmpty else {
                    throw BridgeError(.invalidArgument, "ind: a parameter (\(token)) before any indicator name")
                }
                specs[specs.count - 1].parameters.append(value)
                continue
            }
            let parts = token.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).lowercased()
            guard !name.isEmpty, name.utf8.count <= 32,
                name.utf8.allSatisfy({
                    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_")
                })
            else {
                throw BridgeError(
                    .invalidArgument, "ind: \"\(token.prefix(40))\" is not an indicator (e.g. ema:20,rsi:14)")
            }
            var spec = PulseV1.IndicatorSpec()
            spec.function = name
            if parts.count == 2 {
                guard let value = Double(parts[1]), value.isFinite else {
                    throw BridgeError(.invalidArgument, "ind: \"\(parts[1].prefix(40))\" is not a number in \(name)")
                }
                spec.parameters = [value]
            }
            specs.append(spec)
        }
        guard !specs.isEmpty else {
            throw BridgeError(.invalidArgument, "GET /indicators needs ind=, e.g. ind=ema:20,rsi:14")
        }
        guard specs.count <= maxIndicators else {
            throw BridgeError(.invalidArgument, "at most \(maxIndicators) indicators, got \(specs.count)")
        }
        return specs
    }

    static func flag(_ event: HTTPEvent, _ name: String) throws(BridgeError) -> Bool {
        guard let text = event.queryValue(name) else { return false }
        switch text.lowercased() {
        case "", "true", "1": return true
        case "false", "0": return false
        default: throw BridgeError(.invalidArgument, "\(name) is true or false, not \"\(text.prefix(40))\"")
        }
    }

    static func number(_ event: HTTPEvent, _ name: String) throws(BridgeError) -> Double? {
        guard let text = event.queryValue(name), !text.isEmpty else { return nil }
        guard let value = Double(text), value.isFinite else {
            throw BridgeError(.invalidArgument, "\(name) must be a number, not \"\(text)\"")
        }
        return value
    }
}

extension String {
    /// Path segments are not form-encoded: a `+` in a path is a plus sign, so protect it from percentDecoded.
    fileprivate func replacingPlus() -> String {
        var out = ""
        for ch in self { out += ch == "+" ? "%2B" : String(ch) }
        return out
    }
}

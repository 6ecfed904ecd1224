import PulseAnalytics

/// Bars from Alpha Vantage, checked and in ascending time order.
public struct AlphaVantageBars: Sendable {
    public var symbol: String
    /// `1min` … `60min`, or `1d` for daily series.
    public var interval: String
    /// Times in UTC: intraday bars from their US/Eastern wall time (with DST), daily bars at midnight UTC of
    /// their date (the convention of daily data across the project). `labels` keep Alpha Vantage's text.
    public var bars: BarSeries
    /// What ``BarValidation`` repaired or found odd.
    public var warnings: [String]
}

/// Turns Alpha Vantage bodies into values. Pure: no I/O, so every shape is tested without a server.
public enum AlphaVantageParser {
    /// The bars of a `TIME_SERIES_*` JSON document: the object under the first `Time Series …` key.
    public static func bars(json document: JSONValue, symbol: String, interval: String) throws(AlphaVantageError)
        -> AlphaVantageBars
    {
        guard let members = document.members,
            let series = members.first(where: { $0.name.hasPrefix("Time Series") })?.value.members
        else {
            throw AlphaVantageError(.malformedResponse, "the response has no \"Time Series\" object")
        }
        let daily = interval == "1d"
        var rows = Rows(capacity: series.count)
        for entry in series {
            guard let fields = entry.value.members else {
                throw AlphaVantageError(.malformedResponse, "bar \(entry.name.debugDescription) is not an object")
            }
            func field(_ suffix: String) -> Double {
                // "1. open" … "5. volume"; the adjusted daily series numbers volume 6.
                fields.first { $0.name.hasSuffix(suffix) }?.value.string.flatMap(Double.init) ?? .nan
            }
            try rows.append(
                label: entry.name, daily: daily, open: field(". open"), high: field(". high"), low: field(". low"),
                close: field(". close"), volume: field(". volume"))
        }
        return try rows.validated(symbol: symbol, interval: interval) { "bar \(series[$0].name)" }
    }

    /// The bars of a `datatype=csv` body: `timestamp,open,high,low,close,volume`, CRLF (or LF), newest first.
    public static func bars(csv body: [UInt8], symbol: String, interval: String) throws(AlphaVantageError)
        -> AlphaVantageBars
    {
        let lines = splitLines(body)
        guard let header = lines.first else { throw AlphaVantageError(.malformedResponse, "the CSV is empty") }
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map { $0.lowercased() }
        func column(_ name: String) throws(AlphaVantageError) -> Int {
            guard let index = names.firstIndex(of: name) else {
                throw AlphaVantageError(.malformedResponse, "the CSV has no \(name) column (header: \(header))")
            }
            return index
        }
        let time = try column("timestamp")
        let (open, high, low, close, volume) = (
            try column("open"), try column("high"), try column("low"), try column("close"), try column("volume")
        )
        let daily = interval == "1d"
        var rows = Rows(capacity: lines.count - 1)
        for line in lines.dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            func cell(_ index: Int) -> Double { index < cells.count ? Double(cells[index]) ?? .nan : .nan }
            guard time < cells.count else {
                throw AlphaVantageError(.malformedResponse, "CSV line \(rows.count + 2) has no timestamp")
            }
            try rows.append(
                label: String(cells[time]), daily: daily, open: cell(open), high: cell(high), low: cell(low),
                close: cell(close), volume: cell(volume))
        }
        return try rows.validated(symbol: symbol, interval: interval) { "line \($0 + 2)" }
    }

    /// A `GLOBAL_QUOTE` in JSON (`"Global Quote": {"01. symbol": …}`) or CSV (`symbol,open,…`).
    public static func quote(_ body: [UInt8], document: JSONValue?) throws(AlphaVantageError) -> AlphaVantageQuote {
        var values: [String: String] = [:]
        if let document {
            guard let fields = document["Global Quote"]?.members, !fields.isEmpty else {
                throw AlphaVantageError(.malformedResponse, "the response has no \"Global Quote\" (unknown symbol?)")
            }
            for field in fields {
                // "05. price" → "price"; "07. latest trading day" → "latesttradingday"
                let name = field.name.drop { $0 != " " }.filter { $0 != " " }.lowercased()
                values[name] = field.value.string
            }
        } else {
            let lines = splitLines(body)
            guard lines.count >= 2 else { throw AlphaVantageError(.malformedResponse, "the quote CSV has no row") }
            let names = lines[0].split(separator: ",", omittingEmptySubsequences: false)
            let cells = lines[1].split(separator: ",", omittingEmptySubsequences: false)
            for (name, cell) in zip(names, cells) { values[name.lowercased()] = String(cell) }
            values["latesttradingday"] = values["latesttradingday"] ?? values["latestday"]
        }
        func number(_ name: String) throws(AlphaVantageError) -> Double {
            guard let text = values[name], let value = Double(text), value.isFinite else {
                throw AlphaVantageError(.malformedResponse, "the quote's \(name) is missing or not a number")
            }
            return value
        }
        guard let symbol = values["symbol"], let day = values["latesttradingday"],
            let dayStart = TimestampParser.parse(day)
        else { throw AlphaVantageError(.malformedResponse, "the quote has no symbol or trading day") }
        let percent = values["changepercent"].map { $0.hasSuffix("%") ? String($0.dropLast()) : $0 }
        return AlphaVantageQuote(
            symbol: symbol, open: try number("open"), high: try number("high"), low: try number("low"),
            price: try number("price"), volume: try number("volume"), latestTradingDay: day,
            latestTradingDayStart: dayStart, previousClose: try number("previousclose"),
            change: try number("change"), changePercent: percent.flatMap(Double.init) ?? .nan)
    }

    /// `SYMBOL_SEARCH`'s `bestMatches`.
    public static func symbolMatches(_ document: JSONValue) throws(AlphaVantageError) -> [SymbolMatch] {
        guard case .array(let matches)? = document["bestMatches"] else {
            throw AlphaVantageError(.malformedResponse, "the response has no \"bestMatches\" array")
        }
        return matches.compactMap { match in
            guard let fields = match.members else { return nil }
            func value(_ suffix: String) -> String {
                fields.first { $0.name.hasSuffix(suffix) }?.value.string ?? ""
            }
            return SymbolMatch(
                symbol: value(". symbol"), name: value(". name"), type: value(". type"), region: value(". region"),
                marketOpen: value(". marketOpen"), marketClose: value(". marketClose"),
                timezone: value(". timezone"), currency: value(". currency"),
                matchScore: Double(value(". matchScore")) ?? 0)
        }
    }

    /// Lines of a body without their CR/LF ends; blank lines dropped.
    static func splitLines(_ body: [UInt8]) -> [String] {
        body.split(separator: 0x0A).compactMap { line in
            let trimmed = line.last == 0x0D ? line.dropLast() : line[...]
            return trimmed.isEmpty ? nil : String(decoding: trimmed, as: UTF8.self)
        }
    }

    /// Column buffers for a series being parsed.
    private struct Rows {
        var labels: [String] = []
        var times: [Int64] = []
        var open: [Double] = []
        var high: [Double] = []
        var low: [Double] = []
        var close: [Double] = []
        var volume: [Double] = []

        init(capacity: Int) {
            labels.reserveCapacity(capacity)
            times.reserveCapacity(capacity)
        }

        var count: Int { labels.count }

        mutating func append(
            label: String, daily: Bool, open: Double, high: Double, low: Double, close: Double, volume: Double
        ) throws(AlphaVantageError) {
            guard let wall = TimestampParser.parse(label) else {
                throw AlphaVantageError(.malformedResponse, "bar time \(label.debugDescription) is not a time")
            }
            labels.append(label)
            // Alpha Vantage writes US/Eastern wall time without an offset; a date stays midnight UTC.
            times.append(daily ? wall : EasternTime.instant(ofWallClock: wall))
            self.open.append(open)
            self.high.append(high)
            self.low.append(low)
            self.close.append(close)
            self.volume.append(volume)
        }

        func validated(symbol: String, interval: String, rowName: (Int) -> String) throws(AlphaVantageError)
            -> AlphaVantageBars
        {
            let series = BarSeries(
                labels: labels, timestamps: times, open: open, high: high, low: low, close: close, volume: volume)
            do {
                let result = try BarValidation.validate(series, rowName: rowName)
                return AlphaVantageBars(
                    symbol: symbol, interval: interval, bars: result.bars, warnings: result.warnings)
            } catch {
                throw AlphaVantageError(.badData, error.description)
            }
        }
    }
}

/// A `GLOBAL_QUOTE`.
public struct AlphaVantageQuote: Sendable, Equatable {
    public var symbol: String
    public var open: Double
    public var high: Double
    public var low: Double
    public var price: Double
    public var volume: Double
    /// `YYYY-MM-DD` as Alpha Vantage gives it.
    public var latestTradingDay: String
    /// Midnight UTC of that date.
    public var latestTradingDayStart: Int64
    public var previousClose: Double
    public var change: Double
    /// In percent (`0.7183` for `0.7183%`).
    public var changePercent: Double
}

/// One of `SYMBOL_SEARCH`'s `bestMatches`.
public struct SymbolMatch: Sendable, Equatable {
    public var symbol: String
    public var name: String
    public var type: String
    public var region: String
    public var marketOpen: String
    public var marketClose: String
    public var timezone: String
    public var currency: String
    public var matchScore: Double
}

/// US/Eastern calendar days, for quota windows (Alpha Vantage's day).
enum EasternDay {
    static func of(_ utc: Int64) -> Int64 { EasternTime.sessionDay(at: utc) }
    static func start(of day: Int64) -> Int64 { EasternTime.instant(ofWallClock: day * 86_400) }
}

/// A bar length to resample to: minutes or hours (clock-aligned in US/Eastern time), or Eastern trading
/// sessions grouped by day, week (Monday to Sunday) or calendar month.
///
/// ```swift
/// let fiveMinutes = try Timeframe("5m")
/// let weekly = try Timeframe("1w")
/// ```
public struct Timeframe: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Unit: String, Sendable, Hashable, Codable {
        case minute, hour, day, week, month
    }

    public let unit: Unit
    /// How many units one bar spans (1 for days, weeks and months).
    public let count: Int

    public static let oneMinute = Timeframe(unchecked: .minute, 1)
    public static let fiveMinutes = Timeframe(unchecked: .minute, 5)
    public static let fifteenMinutes = Timeframe(unchecked: .minute, 15)
    public static let thirtyMinutes = Timeframe(unchecked: .minute, 30)
    public static let oneHour = Timeframe(unchecked: .hour, 1)
    public static let fourHours = Timeframe(unchecked: .hour, 4)
    public static let oneDay = Timeframe(unchecked: .day, 1)
    public static let oneWeek = Timeframe(unchecked: .week, 1)
    public static let oneMonth = Timeframe(unchecked: .month, 1)

    private init(unchecked unit: Unit, _ count: Int) {
        self.unit = unit
        self.count = count
    }

    /// A timeframe of `count` units. Minutes must divide an hour and hours a day, so buckets stay aligned to the
    /// clock; days, weeks and months take a count of 1.
    /// - Throws: `ResampleError` for any other count.
    public init(_ unit: Unit, _ count: Int) throws(ResampleError) {
        let valid: Bool
        switch unit {
        case .minute: valid = count >= 1 && count <= 60 && 60 % count == 0
        case .hour: valid = count >= 1 && count <= 24 && 24 % count == 0
        case .day, .week, .month: valid = count == 1
        }
        guard valid else {
            throw ResampleError(
                "timeframe \(count) \(unit)(s) is not supported; minutes must divide 60, hours 24, and days, weeks "
                    + "and months take 1")
        }
        self.init(unchecked: unit, count)
    }

    /// Parses `1m`, `5m`, `15m`, `30m`, `1h`, `4h`, `1d`, `1w`, `1mo` (also `min`, `D`, `W`, `M` spellings of
    /// the units and any minute count dividing 60 or hour count dividing 24).
    /// - Throws: `ResampleError` naming the accepted forms.
    public init(_ text: String) throws(ResampleError) {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let suffix = String(text.dropFirst(digits.count))
        let count = digits.isEmpty ? 1 : Int(digits)
        let unit: Unit?
        switch suffix {
        case "m", "min", "T": unit = .minute
        case "h", "H": unit = .hour
        case "d", "D": unit = .day
        case "w", "W": unit = .week
        case "mo", "M", "MS": unit = .month
        default: unit = nil
        }
        guard let unit, let count else {
            throw ResampleError(
                "unknown timeframe '\(text)'; use one of 1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w, 1mo")
        }
        try self.init(unit, count)
    }

    /// The canonical spelling (`5m`, `1h`, `1d`, `1w`, `1mo`).
    public var description: String {
        switch unit {
        case .minute: return "\(count)m"
        case .hour: return "\(count)h"
        case .day: return "1d"
        case .week: return "1w"
        case .month: return "1mo"
        }
    }

    /// The length in seconds of minute and hour timeframes; nil for sessions, weeks and months.
    public var fixedSeconds: Int64? {
        switch unit {
        case .minute: return Int64(count) * 60
        case .hour: return Int64(count) * 3600
        default: return nil
        }
    }

    /// Bars a year, for annualising: 252 sessions, 52 weeks or 12 months (divided by the count); intraday bars
    /// 252 × 23,400 s of regular session ÷ the bar's length.
    public var periodsPerYear: Double {
        switch unit {
        case .day: return 252 / Double(count)
        case .week: return 52 / Double(count)
        case .month: return 12 / Double(count)
        case .minute, .hour: return 252 * 23_400 / Double(fixedSeconds ?? 86_400)
        }
    }
}

/// A resampling request that cannot be served: an unknown timeframe or input without times.
public struct ResampleError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

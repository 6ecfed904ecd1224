import PulseProtocol

extension PulseV1.Timeframe {
    /// Parses a timeframe as people write it: our form (`1m`, `5m`, `1h`, `1d`, `1w`, `1mo`), Alpaca's (`5Min`,
    /// `1Hour`, `1Day`, `1Week`, `1Month`, and its short `15T`, `1H`, `1D`, `1W`, `1M`), Alpha Vantage's (`5min`,
    /// `60min`, `daily`, `weekly`, `monthly`) and pandas' (`5min`, `5T`, `1h`, `1D`, `1W`, `1MS`).
    ///
    /// Case matters only where the spellings collide: `m` is a minute and `M` a month (Alpaca's `1M`); every other
    /// unit is read in any case. A missing count is 1 (`D`, `daily`).
    ///
    /// - Throws: ``TimeframeTextError`` naming the accepted forms.
    public static func parsing(_ text: String) throws(TimeframeTextError) -> PulseV1.Timeframe {
        let trimmed = Substring(text).drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()
        let digits = String(trimmed.prefix { $0.isASCII && $0.isNumber })
        let unitText = String(trimmed.dropFirst(digits.count))
        guard let count = digits.isEmpty ? 1 : UInt32(digits), count > 0 else { throw TimeframeTextError(text) }
        let unit: Unit
        switch unitText {
        case "m", "T": unit = .minute
        case "M", "MS": unit = .month
        default:
            switch unitText.lowercased() {
            case "s", "sec", "second", "seconds": unit = .second
            case "min", "mins", "minute", "minutes", "t": unit = .minute
            case "h", "hr", "hour", "hours": unit = .hour
            case "d", "day", "days", "daily": unit = .day
            case "w", "wk", "week", "weeks", "weekly": unit = .week
            case "mo", "mon", "month", "months", "monthly", "ms": unit = .month
            default: throw TimeframeTextError(text)
            }
        }
        return PulseV1.Timeframe(count, unit)
    }

    /// Our text form: `5m`, `1h`, `1d`, `1w`, `1mo` (`s` for seconds).
    public var text: String {
        let suffix: String
        switch unit {
        case .second: suffix = "s"
        case .minute: suffix = "m"
        case .hour: suffix = "h"
        case .week: suffix = "w"
        case .month: suffix = "mo"
        default: suffix = "d"
        }
        return "\(max(multiple, 1))\(suffix)"
    }
}

/// A timeframe text that is not one of the accepted forms.
public struct TimeframeTextError: Error, Sendable, CustomStringConvertible {
    public var text: String
    init(_ text: String) { self.text = text }
    public var description: String {
        "unknown timeframe '\(text)'; use 1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w, 1mo (or 5Min, 1Hour, 1Day, 1M for a "
            + "month, 5min, daily, weekly, monthly)"
    }
}

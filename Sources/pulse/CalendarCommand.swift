import ArgumentParser
import PulseAnalytics

#if canImport(Glibc)
    import Glibc
#endif

/// `pulse calendar`: the exchange calendar — sessions in a range, or the market clock at an instant.
///
/// ```
/// pulse calendar --from 2024-12-20 --to 2025-01-10
/// pulse calendar --at 2024-07-03T17:30:00Z
/// ```
struct CalendarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar",
        abstract: "NYSE trading sessions in a date range, or whether the market is open at an instant.",
        discussion: """
            Sessions: one row per trading day with its regular open and close and its extended hours \
            (04:00 and 20:00 US/Eastern; 13:00 and 17:00 on half days), times in RFC 3339 UTC.
            Clock (--at, default now): whether the regular and extended sessions are open, the next open and \
            close. Exact from 2000-01-01; later years follow the rules (one-off closures cannot be known).
            """)

    @Option(name: .long, help: "First day (YYYY-MM-DD, US/Eastern) of a session listing.")
    var from: String?

    @Option(name: .long, help: "Last day (YYYY-MM-DD) of a session listing, inclusive.")
    var to: String?

    @Option(name: .long, help: "An instant (RFC 3339, or Unix seconds) for the market clock; default now.")
    var at: String?

    @Option(name: .long, help: "Output format: csv or json.")
    var format: IndicatorsCommand.OutputFormat = .csv

    func run() throws {
        let calendar = ExchangeCalendar.nyse
        if from != nil || to != nil {
            guard let from, let to else { throw UsageError("give both --from and --to (YYYY-MM-DD)") }
            let first = try Self.day(from, flag: "--from")
            let last = try Self.day(to, flag: "--to")
            guard first <= last else { throw UsageError("--from \(from) is after --to \(to)") }
            guard last - first <= 366 * 200 else { throw UsageError("a listing covers at most 200 years") }
            writeStandardOutput(Array(sessions(calendar.sessions(from: first, through: last)).utf8))
            return
        }
        let now: Int64
        if let at {
            guard let instant = TimestampParser.parse(at) else {
                throw UsageError("--at \(at): not a time (use RFC 3339, e.g. 2024-07-03T17:30:00Z, or Unix seconds)")
            }
            now = instant
        } else {
            now = unixNow()
        }
        writeStandardOutput(Array(clock(calendar, at: now).utf8))
    }

    private static func day(_ text: String, flag: String) throws -> Int64 {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            parts[0].count == 4, (1...12).contains(m), (1...31).contains(d),
            TimestampParser.parse(text) != nil
        else { throw UsageError("\(flag) \(text): not a date (YYYY-MM-DD)") }
        return TimestampParser.daysFromCivil(year: y, month: m, day: d)
    }

    private func sessions(_ sessions: [ExchangeCalendar.Session]) -> String {
        let iso = TimestampParser.iso8601
        switch format {
        case .csv:
            var text = "date,open,close,pre_market_open,after_hours_close,half_day\n"
            for s in sessions {
                text += "\(s.dayText),\(iso(s.open)),\(iso(s.close)),\(iso(s.preMarketOpen)),"
                text += "\(iso(s.afterHoursClose)),\(s.isHalfDay)\n"
            }
            return text
        case .json:
            let rows = sessions.map { s in
                "{\"date\":\"\(s.dayText)\",\"open\":\"\(iso(s.open))\",\"close\":\"\(iso(s.close))\","
                    + "\"pre_market_open\":\"\(iso(s.preMarketOpen))\","
                    + "\"after_hours_close\":\"\(iso(s.afterHoursClose))\",\"half_day\":\(s.isHalfDay)}"
            }
            return "{\"sessions\":[" + rows.joined(separator: ",") + "]}\n"
        }
    }

    private func clock(_ calendar: ExchangeCalendar, at now: Int64) -> String {
        let iso = TimestampParser.iso8601
        let fields: [(String, String)] = [
            ("time", iso(now)),
            ("is_open", "\(calendar.isOpen(at: now))"),
            ("is_open_extended_hours", "\(calendar.isOpen(at: now, extendedHours: true))"),
            ("next_open", iso(calendar.nextOpen(after: now).open)),
            ("next_close", iso(calendar.nextClose(after: now).close)),
        ]
        switch format {
        case .csv:
            return fields.map(\.0).joined(separator: ",") + "\n" + fields.map(\.1).joined(separator: ",") + "\n"
        case .json:
            let body = fields.map { name, value in
                let quoted = value == "true" || value == "false" ? value : "\"\(value)\""
                return "\"\(name)\":\(quoted)"
            }
            return "{" + body.joined(separator: ",") + "}\n"
        }
    }
}

extension ExchangeCalendar.Session {
    /// The session's date as YYYY-MM-DD.
    fileprivate var dayText: String { String(TimestampParser.iso8601(day * 86_400).prefix(10)) }
}

/// The wall-clock time in Unix seconds.
private func unixNow() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec)
}

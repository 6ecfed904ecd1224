import PulseAnalytics
import PulseProtocol
import PulseRPC

#if canImport(Glibc)
    import Glibc
#endif

/// GetClock and GetSessions from PulseAnalytics' ``ExchangeCalendar`` (NYSE rules; exact from 2000 on).
public enum MarketCalendarAnswers {
    /// The longest range GetSessions answers.
    static let maxRangeDays: Int64 = 3660
    static let firstMs = ExchangeCalendar.firstDay * 86_400_000

    public static func currentTimeMs() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    static func clock(at ms: Int64) -> PulseV1.MarketClock {
        let calendar = ExchangeCalendar.nyse
        let seconds = floorDiv(ms, 1000)
        var clock = PulseV1.MarketClock()
        clock.timeMs = ms
        clock.isOpen = calendar.isOpen(at: seconds)
        clock.isExtendedHours = !clock.isOpen && calendar.isOpen(at: seconds, extendedHours: true)
        clock.nextOpenTimeMs = calendar.nextOpen(after: seconds).open * 1000
        clock.nextCloseTimeMs = calendar.nextClose(after: seconds).close * 1000
        return clock
    }

    static func sessions(_ request: PulseV1.GetSessionsRequest, now: Int64) throws(GRPCStatus)
        -> PulseV1.GetSessionsResponse
    {
        let start = request.startTimeMs == 0 ? now : request.startTimeMs
        let end = request.endTimeMs == 0 ? start + 31 * 86_400_000 : request.endTimeMs
        guard start >= firstMs else {
            throw GRPCStatus(.invalidArgument, "start_time_ms \(start) is before 2000-01-01, where the calendar starts")
        }
        guard end > start else {
            throw GRPCStatus(.invalidArgument, "end_time_ms \(end) is not after start_time_ms \(start)")
        }
        guard end - start <= maxRangeDays * 86_400_000 else {
            throw GRPCStatus(.invalidArgument, "the range is longer than \(maxRangeDays) days; ask in parts")
        }
        let first = EasternTime.sessionDay(at: floorDiv(start, 1000)) - 1
        let last = EasternTime.sessionDay(at: floorDiv(end, 1000)) + 1
        var response = PulseV1.GetSessionsResponse()
        for session in ExchangeCalendar.nyse.sessions(from: first, through: last) {
            let open = session.open * 1000
            guard open >= start, open < end else { continue }
            var wire = PulseV1.MarketSession()
            let (y, m, d) = TimestampParser.civilFromDays(session.day)
            wire.date = "\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)"
            wire.openTimeMs = open
            wire.closeTimeMs = session.close * 1000
            wire.preMarketOpenTimeMs = session.preMarketOpen * 1000
            wire.afterHoursCloseTimeMs = session.afterHoursClose * 1000
            wire.earlyClose = session.isHalfDay
            response.sessions.append(wire)
        }
        return response
    }

}

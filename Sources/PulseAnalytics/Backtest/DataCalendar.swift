#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The calendar facts backtesting.py infers from a bar index: the data period (median spacing of the last
/// 100 bars), the periods per year used to annualise (252 trading days, 365 when weekends trade, 52 for
/// weekly, 12 for monthly, 1 for yearly data), how equity is resampled into period returns, and the unit
/// durations are rounded up to.
struct DataCalendar: Sendable {
    enum Period { case day, week, month, year }

    let period: Period
    let annualPeriods: Double
    /// Seconds that durations are rounded up to (the finest non-zero component of the data period).
    let resolution: Double

    init(timestamps: [Int64]) {
        let tail = timestamps.suffix(100)
        var gaps = zip(tail.dropFirst(), tail).map { Double($0 - $1) }
        gaps.sort()
        let median: Double
        if gaps.isEmpty {
            median = .nan
        } else if gaps.count % 2 == 1 {
            median = gaps[gaps.count / 2]
        } else {
            median = (gaps[gaps.count / 2 - 1] + gaps[gaps.count / 2]) / 2
        }
        let days = median.isFinite ? Int((median / 86_400).rounded(.down)) : 0
        // Day arithmetic only when a bar leaves the current day (intraday bars share it).
        var weekend = 0
        var dayStart = Int64.max
        var dayEnd = Int64.min
        var isWeekend = false
        for t in timestamps {
            if t < dayStart || t >= dayEnd {
                let day = Self.dayNumber(t)
                dayStart = day * 86_400
                dayEnd = dayStart + 86_400
                isWeekend = Self.weekday(day) >= 5
            }
            if isWeekend { weekend += 1 }
        }
        let haveWeekends = Double(weekend) / Double(timestamps.count) > 2.0 / 7.0 * 0.6
        switch days {
        case 7: (period, annualPeriods) = (.week, 52)
        case 31: (period, annualPeriods) = (.month, 12)
        case 365: (period, annualPeriods) = (.year, 1)
        default: (period, annualPeriods) = (.day, haveWeekends ? 365 : 252)
        }
        if !median.isFinite || median == 0 || median.truncatingRemainder(dividingBy: 86_400) == 0 {
            resolution = 86_400
        } else if median.truncatingRemainder(dividingBy: 3_600) == 0 {
            resolution = 3_600
        } else if median.truncatingRemainder(dividingBy: 60) == 0 {
            resolution = 60
        } else if median.truncatingRemainder(dividingBy: 1) == 0 {
            resolution = 1
        } else {
            resolution = 0.001
        }
    }

    /// A duration in seconds rounded up to the resolution, in days.
    func roundedDays(_ seconds: Double) -> Double {
        (seconds / resolution).rounded(.up) * resolution / 86_400
    }

    /// Index of the last bar of each calendar day / week ending Sunday / month / year that has bars.
    func periodEnds(_ timestamps: [Int64]) -> [Int] {
        var ends: [Int] = []
        var dayStart = Int64.max
        var dayEnd = Int64.min
        var key = Int64.min
        var previousKey = Int64.min
        for i in timestamps.indices {
            let t = timestamps[i]
            if t < dayStart || t >= dayEnd {
                let day = Self.dayNumber(t)
                dayStart = day * 86_400
                dayEnd = dayStart + 86_400
                key = periodKey(day: day)
            }
            if key != previousKey && i > 0 { ends.append(i - 1) }
            previousKey = key
        }
        if !timestamps.isEmpty { ends.append(timestamps.count - 1) }
        return ends
    }

    private func periodKey(day: Int64) -> Int64 {
        switch period {
        case .day: return day
        case .week: return day + Int64(6 - Self.weekday(day))
        case .month:
            let (y, m, _) = TimestampParser.civilFromDays(day)
            return Int64(y * 12 + m)
        case .year: return Int64(TimestampParser.civilFromDays(day).year)
        }
    }

    static func dayNumber(_ t: Int64) -> Int64 { t >= 0 ? t / 86_400 : (t - 86_399) / 86_400 }
    /// Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday).
    static func weekday(_ day: Int64) -> Int { Int(((day + 3) % 7 + 7) % 7) }
}

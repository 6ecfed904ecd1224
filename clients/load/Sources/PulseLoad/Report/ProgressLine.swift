/// The live line on standard error, once a second.
enum ProgressLine {
    static func unary(_ snapshot: StatsSnapshot, elapsed: Double, perSecond: Double, openLoop: Bool) -> String {
        let summary = LatencySummary(snapshot.latency)
        return "[\(formatFixed(elapsed, places: 0).leftPadded(4))s] \(formatCount(Int(perSecond))) calls/s  "
            + "total \(formatCount(snapshot.requests))  "
            + "\(formatCount(snapshot.errorCount)) failed  p50 \(formatMilliseconds(summary.p50))  "
            + "p99 \(formatMilliseconds(summary.p99))\(openLoop ? " (from intended time)" : "")"
    }

    static func subscribe(
        _ snapshot: StatsSnapshot, elapsed: Double, perSecond: Double, openStreams: Int, unit: String = "streams"
    ) -> String {
        let summary = LatencySummary(snapshot.latency)
        return "[\(formatFixed(elapsed, places: 0).leftPadded(4))s] \(openStreams) \(unit) open  "
            + "\(formatCount(Int(perSecond))) messages/s  "
            + "\(formatCount(snapshot.messages)) messages  missing \(formatCount(snapshot.missing))  "
            + "p50 \(formatMilliseconds(summary.p50))  p99 \(formatMilliseconds(summary.p99))"
    }
}

/// Tracks the figures of the previous line, so each line can say the rate over the last second.
final class ProgressRate: @unchecked Sendable {
    // Only touched from the monitor's task, one call at a time.
    private var last = 0

    func perSecond(_ count: Int, interval: Double) -> Double {
        defer { last = count }
        return Double(count - last) / max(interval, 1e-9)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

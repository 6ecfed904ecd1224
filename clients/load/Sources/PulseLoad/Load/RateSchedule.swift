/// The request rate of an open-loop run over time: constant, steps, or a straight line.
///
/// The schedule gives each request `n` (0, 1, 2, …) its intended send time, so latency is measured from
/// when the request was due, not from when the harness got round to sending it.
public struct RateSchedule: Sendable, Equatable {
    /// A stretch of `seconds` over which the rate goes linearly from `startRate` to `endRate`.
    struct Segment: Sendable, Equatable {
        var seconds: Double
        var startRate: Double
        var endRate: Double
        /// Requests sent over the whole segment.
        var count: Double { (startRate + endRate) / 2 * seconds }
    }

    var segments: [Segment]
    /// The rate after the last segment (held until the run ends).
    var finalRate: Double
    public let text: String

    /// A constant rate.
    public static func constant(_ rate: Double, text: String? = nil) -> RateSchedule {
        RateSchedule(segments: [], finalRate: rate, text: text ?? "\(rate)")
    }

    /// Parses `R` (constant), `step:START:END:STEP:EVERY` (START, raised by STEP every EVERY until END, then
    /// held) or `line:START:END` (from START to END linearly over `duration`, then held).
    public static func parse(_ text: String, duration: Double) throws(LoadError) -> RateSchedule {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func number(_ part: String) throws(LoadError) -> Double {
            guard let value = Double(part), value.isFinite, value >= 0 else {
                throw LoadError("bad rate '\(part)' in '\(text)'")
            }
            return value
        }
        switch parts[0] {
        case "step":
            guard parts.count == 5 else { throw LoadError("expected step:START:END:STEP:EVERY, got '\(text)'") }
            let start = try number(parts[1])
            let end = try number(parts[2])
            let step = try number(parts[3])
            guard let every = DurationText.seconds(parts[4]), every > 0, step > 0 else {
                throw LoadError("step:START:END:STEP:EVERY needs STEP > 0 and a duration EVERY (e.g. 2s)")
            }
            var segments: [Segment] = []
            var rate = start
            let rising = end >= start
            while rising ? rate < end : rate > end {
                segments.append(Segment(seconds: every, startRate: rate, endRate: rate))
                rate = rising ? min(end, rate + step) : max(end, rate - step)
                if segments.count > 100_000 { throw LoadError("too many steps in '\(text)'") }
            }
            return RateSchedule(segments: segments, finalRate: end, text: text)
        case "line":
            guard parts.count == 3 else { throw LoadError("expected line:START:END, got '\(text)'") }
            let start = try number(parts[1])
            let end = try number(parts[2])
            return RateSchedule(
                segments: [Segment(seconds: duration, startRate: start, endRate: end)], finalRate: end, text: text)
        default:
            guard parts.count == 1 else { throw LoadError("unknown rate schedule '\(text)'") }
            let rate = try number(parts[0])
            guard rate > 0 else { throw LoadError("--rate must be above 0") }
            return .constant(rate, text: text)
        }
    }

    /// The rate at `seconds` into the schedule.
    public func rate(at seconds: Double) -> Double {
        var elapsed = 0.0
        for segment in segments {
            if seconds < elapsed + segment.seconds {
                let fraction = (seconds - elapsed) / segment.seconds
                return segment.startRate + (segment.endRate - segment.startRate) * fraction
            }
            elapsed += segment.seconds
        }
        return finalRate
    }

    /// Seconds from the schedule's start at which request `index` is due: the time by which `index + 1`
    /// requests have been sent at the scheduled rate. Infinity when the rate has dropped to 0.
    public func intendedTime(ofRequest index: Int) -> Double {
        var remaining = Double(index + 1)
        var elapsed = 0.0
        for segment in segments {
            if remaining <= segment.count {
                return elapsed + Self.timeFor(remaining, in: segment)
            }
            remaining -= segment.count
            elapsed += segment.seconds
        }
        guard finalRate > 0 else { return .infinity }
        return elapsed + remaining / finalRate
    }

    /// Solves count = r0·t + (r1 − r0)/(2D)·t² for t within one segment.
    private static func timeFor(_ count: Double, in segment: Segment) -> Double {
        let slope = (segment.endRate - segment.startRate) / segment.seconds
        if abs(slope) < 1e-12 { return segment.startRate > 0 ? count / segment.startRate : segment.seconds }
        let discriminant = segment.startRate * segment.startRate + 2 * slope * count
        return (-segment.startRate + max(0, discriminant).squareRoot()) / slope
    }
}

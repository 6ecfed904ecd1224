#if canImport(Glibc)
    import Glibc
#endif

/// Nanoseconds on `CLOCK_MONOTONIC`, the clock every loop timer uses.
public enum MonotonicClock {
    /// The current monotonic time in nanoseconds.
    @inline(__always)
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}

extension Duration {
    /// The duration in whole nanoseconds for a loop timer: negative durations are 0, huge ones saturate.
    public var wholeNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole &+ UInt64(max(0, attoseconds / 1_000_000_000))
    }
}

extension Duration {
    /// The duration in whole milliseconds (for Redis `PX`/`BLOCK`, PostgreSQL `statement_timeout`): negative
    /// durations are 0, huge ones saturate.
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        return overflow ? .max : whole &+ max(0, attoseconds / 1_000_000_000_000_000)
    }
}

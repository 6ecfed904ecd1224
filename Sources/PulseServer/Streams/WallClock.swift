#if canImport(Glibc)
    import Glibc
#endif

/// The wall clock, as ticks' `ingest_time_us` and heartbeats' `server_time_ms` use it.
enum WallClock {
    static func nowUs() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }

    static func nowMs() -> Int64 { nowUs() / 1000 }
}

#if canImport(Glibc)
    import Glibc
#endif

extension BarStore {
    /// Creates the yearly partitions of `bars` covering `first`…`last` (µs since the Unix epoch); returns how
    /// many were new. Safe to call concurrently (the SQL function serialises on an advisory lock).
    @discardableResult
    public func ensurePartitions(first: Int64, last: Int64) async throws -> Int {
        let result = try await connection.query(
            "SELECT pulse_ensure_bar_partitions($1, $2)",
            [.timestamp(microseconds: first), .timestamp(microseconds: last)])
        return Int(try result.int(0, 0) ?? 0)
    }

    /// Creates the partitions from `now` through `yearsAhead` years after it and, with `retention`, drops the
    /// partitions whose whole year ended more than `retention` before `now`.
    /// - Parameter now: µs since the Unix epoch (tests pass a fixed time).
    public func maintainPartitions(yearsAhead: Int = 1, retention: Duration? = nil, now: Int64? = nil) async throws
        -> PartitionUpkeep
    {
        let now = now ?? Self.currentMicroseconds()
        let ahead = now + Int64(yearsAhead) * 366 * 86_400 * 1_000_000
        let created = try await ensurePartitions(first: now, last: ahead)
        var dropped: [String] = []
        if let retention {
            let cutoff = now - retention.components.seconds * 1_000_000
            let result = try await connection.query(
                "SELECT pulse_drop_bar_partitions_before($1)", [.timestamp(microseconds: cutoff)])
            dropped = (0..<result.rowCount).compactMap { result.string($0, 0) }
            // Rollups of the dropped years go with their minutes (dropping a partition fires no trigger).
            if let lastYear = dropped.compactMap({ Int($0.dropFirst("bars_".count)) }).max() {
                try await connection.query(
                    "DELETE FROM bar_rollups WHERE ts < make_timestamptz($1::int + 1, 1, 1, 0, 0, 0, 'UTC')",
                    [.int(Int64(lastYear))])
            }
        }
        return PartitionUpkeep(created: created, dropped: dropped)
    }

    static func currentMicroseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }
}

/// What ``BarStore/maintainPartitions(yearsAhead:retention:now:)`` did.
public struct PartitionUpkeep: Sendable, Equatable {
    /// Partitions created ahead of time.
    public var created: Int
    /// Partitions dropped past the retention, by name (`bars_2001`).
    public var dropped: [String]

    public init(created: Int, dropped: [String]) {
        self.created = created
        self.dropped = dropped
    }
}

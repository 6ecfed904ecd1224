extension BarStore {
    /// Bars of `symbolID` read from the stored `sourceTimeframe` and grouped in SQL by `grouping` (nil: as
    /// stored), with `adjustment` applied to each source bar before grouping. Bars are selected by their own
    /// (bucket) time in `[start, end)` (µs since the Unix epoch, nil = unbounded), every bucket read whole;
    /// returned oldest first, decoded from binary columns straight into arrays.
    ///
    /// - Parameters:
    ///   - limit: at most this many bars: the first ones of the range, or with `fromEnd` the last ones.
    ///   - timeout: the deadline of the statement (it is cancelled when it passes).
    public func readGrouped(
        symbolID: Int32, sourceTimeframe: String, sourceIsDaily: Bool, grouping: BarGrouping?, start: Int64?,
        end: Int64?, limit: Int?, fromEnd: Bool = false,
        adjustment: AdjustmentSteps = .init(
            exDates: [], priceFactors: [], volumeFactors: []), timeout: Duration? = nil
    ) async throws -> StoredBars {
        let read = GroupedRead(
            symbolID: symbolID, sourceTimeframe: sourceTimeframe, sourceIsDaily: sourceIsDaily, grouping: grouping,
            start: start, end: end, limit: limit, fromEnd: fromEnd, adjustment: adjustment)
        return try await readGrouped([read], timeout: timeout)[0]
    }

    /// Several reads in one round trip (pipeline mode; one read is a plain query), their bars in the same order.
    public func readGrouped(_ reads: [GroupedRead], timeout: Duration? = nil) async throws -> [StoredBars] {
        if reads.count == 1 {
            let (sql, parameters) = reads[0].query
            let result = try await connection.query(sql, parameters, binaryResults: true, timeout: timeout)
            return [try Self.decode(result, fromEnd: reads[0].fromEnd)]
        }
        let statements = reads.map { read in
            let (sql, parameters) = read.query
            return PostgresStatement.query(sql, parameters, binaryResults: true)
        }
        let outcomes = try await connection.pipeline(statements, timeout: timeout)
        return try zip(reads, outcomes).map { read, outcome in try Self.decode(try outcome.get(), fromEnd: read.fromEnd)
        }
    }

    /// One read of ``readGrouped(_:timeout:)``: the arguments of
    /// ``readGrouped(symbolID:sourceTimeframe:sourceIsDaily:grouping:start:end:limit:fromEnd:adjustment:timeout:)``.
    public struct GroupedRead: Sendable {
        public var symbolID: Int32
        public var sourceTimeframe: String
        public var sourceIsDaily: Bool
        public var grouping: BarGrouping?
        public var start: Int64?
        public var end: Int64?
        public var limit: Int?
        public var fromEnd: Bool
        public var adjustment: AdjustmentSteps
        /// Read `sourceTimeframe` from `bar_rollups` (5m, 1h, 1d kept from the minutes) rather than `bars`.
        public var fromRollups = false

        public init(
            symbolID: Int32, sourceTimeframe: String, sourceIsDaily: Bool, grouping: BarGrouping?, start: Int64?,
            end: Int64?, limit: Int?, fromEnd: Bool = false,
            adjustment: AdjustmentSteps = .init(exDates: [], priceFactors: [], volumeFactors: [])
        ) {
            self.symbolID = symbolID
            self.sourceTimeframe = sourceTimeframe
            self.sourceIsDaily = sourceIsDaily
            self.grouping = grouping
            self.start = start
            self.end = end
            self.limit = limit
            self.fromEnd = fromEnd
            self.adjustment = adjustment
        }

        var query: (String, [PostgresValue]) {
            BarStore.groupedQuery(
                symbolID: symbolID, sourceTimeframe: sourceTimeframe, sourceIsDaily: sourceIsDaily,
                grouping: grouping, start: start, end: end, limit: limit, fromEnd: fromEnd, adjustment: adjustment,
                fromRollups: fromRollups)
        }
    }

    /// The bars of a binary result of ``groupedQuery(symbolID:sourceTimeframe:sourceIsDaily:grouping:start:end:limit:fromEnd:adjustment:)``,
    /// oldest first.
    static func decode(_ result: PostgresResult, fromEnd: Bool) throws -> StoredBars {
        var bars = StoredBars(
            timestamps: try result.timestampColumn(0), open: try result.float8Column(1),
            high: try result.float8Column(2), low: try result.float8Column(3), close: try result.float8Column(4),
            volume: try result.float8Column(5))
        if fromEnd {
            bars = StoredBars(
                timestamps: bars.timestamps.reversed(), open: bars.open.reversed(), high: bars.high.reversed(),
                low: bars.low.reversed(), close: bars.close.reversed(), volume: bars.volume.reversed())
        }
        return bars
    }

    /// The statement ``readGrouped(symbolID:sourceTimeframe:sourceIsDaily:grouping:start:end:limit:fromEnd:adjustment:timeout:)``
    /// runs, and its parameters (exposed so benchmarks can run the same SQL through `pgbench`).
    public static func groupedQuery(
        symbolID: Int32, sourceTimeframe: String, sourceIsDaily: Bool, grouping: BarGrouping?, start: Int64?,
        end: Int64?, limit: Int?, fromEnd: Bool, adjustment: AdjustmentSteps, fromRollups: Bool = false
    ) -> (String, [PostgresValue]) {
        let day = BarGrouping.sessionDate(sourceIsDaily: sourceIsDaily)
        let adjusted = !adjustment.isEmpty
        let factors =
            adjusted
            ? """
            LEFT JOIN LATERAL (
                SELECT a.pf, a.vf FROM unnest($6::date[], $7::float8[], $8::float8[]) AS a (ex, pf, vf)
                WHERE \(day) < a.ex ORDER BY a.ex LIMIT 1) f ON true
            """ : ""
        let price = { (column: String) in adjusted ? "\(column) * coalesce(f.pf, 1)" : column }
        let volume = adjusted ? "volume * coalesce(f.vf, 1)" : "volume"
        let order = fromEnd ? "DESC" : ""
        var parameters: [PostgresValue] = [
            .int32(symbolID), .text(sourceTimeframe),
            start.map { .timestamp(microseconds: $0) } ?? .text("-infinity"),
            end.map { .timestamp(microseconds: $0) } ?? .text("infinity"),
            limit.map { .int(Int64($0)) } ?? .null,
        ]
        if adjusted {
            parameters += [
                .text("{" + adjustment.exDates.joined(separator: ",") + "}"),
                .text("{" + adjustment.priceFactors.map { "\($0)" }.joined(separator: ",") + "}"),
                .text("{" + adjustment.volumeFactors.map { "\($0)" }.joined(separator: ",") + "}"),
            ]
        }
        let source = """
            FROM \(fromRollups ? "bar_rollups" : "bars") \(factors)
            WHERE symbol_id = $1 AND timeframe = $2
            """
        guard let grouping else {
            let sql = """
                SELECT ts, \(price("open")), \(price("high")), \(price("low")), \(price("close")), \(volume)
                \(source) AND ts >= $3::timestamptz AND ts < $4::timestamptz
                ORDER BY ts \(order) LIMIT $5::bigint
                """
            return (sql, parameters)
        }
        // A bucket's open and close are those of its first and last row: the least and greatest
        // [epoch seconds, price] pair (times are distinct within a series, and exact in float8 to well under a
        // microsecond), which PostgreSQL 15 finds without the per-group sort of `array_agg(… ORDER BY ts)` —
        // 20-30 % less time for a year of 15-minute bars.
        // Rows of a bucket never precede its stamp (midnight UTC is at or before midnight in New York) and end
        // within `spanMicroseconds` of it: a coarse range on ts (the primary key) and the exact one on the bucket.
        let coarseEnd = end.map { PostgresValue.timestamp(microseconds: $0 &+ grouping.spanMicroseconds) }
        parameters.append(coarseEnd ?? .text("infinity"))
        let coarse = "$\(parameters.count)::timestamptz"
        let sql = """
            WITH src AS (
                SELECT \(grouping.bucketExpression(sourceIsDaily: sourceIsDaily)) AS bucket, ts,
                    \(price("open")) AS open, \(price("high")) AS high, \(price("low")) AS low,
                    \(price("close")) AS close, \(volume) AS volume
                \(source) AND ts >= $3::timestamptz AND ts < \(coarse)
            )
            SELECT bucket, (min(ARRAY[date_part('epoch', ts), open]))[2], max(high), min(low),
                (max(ARRAY[date_part('epoch', ts), close]))[2], sum(volume)
            FROM src WHERE bucket >= $3::timestamptz AND bucket < $4::timestamptz
            GROUP BY bucket ORDER BY bucket \(order) LIMIT $5::bigint
            """
        return (sql, parameters)
    }

    /// The splits and dividends stored for `symbolID`, oldest first; each dividend with the last close of
    /// `sourceTimeframe` before its ex-date (the basis of its price factor).
    public func corporateActions(
        symbolID: Int32, sourceTimeframe: String, sourceIsDaily: Bool, timeout: Duration? = nil
    ) async throws -> [CorporateAction] {
        let zone = sourceIsDaily ? "UTC" : "America/New_York"
        let result = try await connection.query(
            """
            SELECT a.ex_date::text, a.kind, a.value, p.close
            FROM corporate_actions a
            LEFT JOIN LATERAL (
                SELECT b.close FROM bars b
                WHERE b.symbol_id = a.symbol_id AND b.timeframe = $2
                    AND b.ts < (a.ex_date::timestamp AT TIME ZONE '\(zone)')
                ORDER BY b.ts DESC LIMIT 1) p ON a.kind = 'dividend'
            WHERE a.symbol_id = $1 ORDER BY a.ex_date, a.kind
            """, [.int32(symbolID), .text(sourceTimeframe)], timeout: timeout)
        return try (0..<result.rowCount).map { row throws(PostgresError) in
            CorporateAction(
                exDate: result.string(row, 0) ?? "",
                kind: CorporateAction.Kind(rawValue: result.string(row, 1) ?? "")
                    ?? .split, value: try result.double(row, 2) ?? 1, previousClose: try result.double(row, 3))
        }
    }

    /// Records a split or dividend (replacing one of the same kind on the same date).
    public func recordCorporateAction(symbolID: Int32, _ action: CorporateAction) async throws {
        try await connection.query(
            """
            INSERT INTO corporate_actions (symbol_id, ex_date, kind, value) VALUES ($1, $2::date, $3, $4)
            ON CONFLICT (symbol_id, ex_date, kind) DO UPDATE SET value = EXCLUDED.value
            """, [.int32(symbolID), .text(action.exDate), .text(action.kind.rawValue), .double(action.value)])
    }
}

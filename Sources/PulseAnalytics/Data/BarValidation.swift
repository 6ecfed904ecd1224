/// The checks every source of bars passes before anything computes on them: CSV files, Alpha Vantage
/// responses and database imports all come through here, so a bad bar is refused the same way everywhere.
///
/// Refused (an error naming the row): a missing, NaN or infinite open, high, low or close; high below low;
/// a missing, NaN, infinite or negative volume; two bars at the same time. Repaired: bars newest first (Alpha
/// Vantage's order) are reversed quietly; bars out of order in any other way are sorted with a warning.
/// Warned about, not refused: an open or close outside the bar's low…high range, which adjusted data from
/// some vendors shows by a rounding step.
public enum BarValidation {
    /// Bars that passed, in ascending time order, and what was repaired or looked odd.
    public struct Result: Sendable {
        public var bars: BarSeries
        public var warnings: [String]
    }

    /// Checks `series` and returns it in ascending time order.
    ///
    /// - Parameter rowName: names a row of the input for messages (`"line 12"` for a CSV file), given the
    ///   row's index in `series` as it came in.
    /// - Throws: `BarDataError` for the first bar that cannot be used.
    public static func validate(
        _ series: BarSeries, rowName: (Int) -> String = { "bar \($0 + 1)" }
    ) throws(BarDataError) -> Result {
        var warnings: [String] = []
        try checkValues(series, rowName: rowName, warnings: &warnings)
        guard let timestamps = series.timestamps, timestamps.count > 1 else {
            return Result(bars: series, warnings: warnings)
        }
        switch order(of: timestamps) {
        case .ascending:
            return Result(bars: series, warnings: warnings)
        case .descending:
            return Result(bars: series.reordered(Array(timestamps.indices.reversed())), warnings: warnings)
        case .unordered:
            // A stable sort keeps equal times in input order, so the duplicate check below names them
            // in the order the user wrote them.
            let permutation = timestamps.indices.sorted { (timestamps[$0], $0) < (timestamps[$1], $1) }
            for k in permutation.indices.dropFirst() {
                let (earlier, later) = (permutation[k - 1], permutation[k])
                if timestamps[earlier] == timestamps[later] { throw duplicate(earlier, later, series, rowName) }
            }
            let first = timestamps.indices.dropFirst().first { timestamps[$0] < timestamps[$0 - 1] }!
            warnings.append(
                "bars are not in time order (\(rowName(first)) is earlier than \(rowName(first - 1))); sorted by time")
            return Result(bars: series.reordered(permutation), warnings: warnings)
        }
    }

    private static func checkValues(
        _ series: BarSeries, rowName: (Int) -> String, warnings: inout [String]
    ) throws(BarDataError) {
        var outsideRange = 0
        var firstOutside = 0
        for i in 0..<series.count {
            let open = series.open[i]
            let high = series.high[i]
            let low = series.low[i]
            let close = series.close[i]
            // One test for the common case: every price finite and high ≥ low (NaN fails every comparison).
            if !(high >= low && open.isFinite && high.isFinite && low.isFinite && close.isFinite) {
                for (name, value) in [("open", open), ("high", high), ("low", low), ("close", close)]
                where !value.isFinite {
                    throw BarDataError(
                        "\(name) is \(value.isNaN ? "missing or NaN" : "infinite"); every bar needs a finite open, "
                            + "high, low and close", row: i, rowName: rowName(i))
                }
                throw BarDataError("high \(high) is below low \(low)", row: i, rowName: rowName(i))
            }
            if !(open >= low && open <= high && close >= low && close <= high) {
                if outsideRange == 0 { firstOutside = i }
                outsideRange += 1
            }
            if let volume = series.volume?[i], !(volume >= 0 && volume.isFinite) {
                let problem = volume.isNaN ? "missing or NaN" : volume.isFinite ? "negative (\(volume))" : "infinite"
                throw BarDataError("volume is \(problem)", row: i, rowName: rowName(i))
            }
        }
        if outsideRange > 0 {
            warnings.append(
                "\(outsideRange) bar\(outsideRange == 1 ? " has" : "s have") an open or close outside low…high "
                    + "(first: \(rowName(firstOutside)))")
        }
    }

    private enum Order { case ascending, descending, unordered }

    private static func order(of timestamps: [Int64]) -> Order {
        var ascending = true
        var descending = true
        for i in timestamps.indices.dropFirst() {
            ascending = ascending && timestamps[i] > timestamps[i - 1]
            descending = descending && timestamps[i] < timestamps[i - 1]
            if !ascending && !descending { return .unordered }
        }
        return ascending ? .ascending : .descending
    }

    private static func duplicate(
        _ first: Int, _ second: Int, _ series: BarSeries, _ rowName: (Int) -> String
    ) -> BarDataError {
        BarDataError(
            "duplicate time '\(series.labels[second])' (also on \(rowName(first))); each bar needs its own time",
            row: second, rowName: rowName(second))
    }
}

/// A bar that cannot be used, with the row it is on as the source counts rows.
public struct BarDataError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    /// The row's index in the series as it came in.
    public var row: Int
    /// The row as the source names it, e.g. `line 12`.
    public var rowName: String

    public init(_ message: String, row: Int, rowName: String) {
        self.message = message
        self.row = row
        self.rowName = rowName
    }

    public var description: String { "\(rowName): \(message)" }
}

extension BarSeries {
    /// The bars in the order `permutation` gives, as indices into this series.
    func reordered(_ permutation: [Int]) -> BarSeries {
        func pick<T>(_ column: [T]) -> [T] { permutation.map { column[$0] } }
        return BarSeries(
            labels: pick(labels), timestamps: timestamps.map(pick), open: pick(open), high: pick(high),
            low: pick(low), close: pick(close), volume: volume.map(pick))
    }
}

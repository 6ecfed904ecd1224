/// The values each strategy parameter may take in an optimisation, and the combinations they form.
public struct ParameterSpace: Sendable, Equatable {
    /// Parameter names in the order given; combinations vary the last name fastest.
    public private(set) var names: [String] = []
    public private(set) var values: [[Double]] = []

    public init() {}

    /// Adds a parameter with explicit values.
    public mutating func add(_ name: String, values: [Double]) throws(BacktestError) {
        guard !values.isEmpty else { throw BacktestError(.invalidInput, "parameter \(name) has no values") }
        guard !names.contains(name) else { throw BacktestError(.invalidInput, "parameter \(name) is given twice") }
        names.append(name)
        self.values.append(values)
    }

    /// Adds a parameter from `NAME=START:STOP[:STEP]` (STOP inclusive, STEP default 1) or `NAME=V1,V2,…`.
    public mutating func add(range text: String) throws(BacktestError) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else {
            throw BacktestError(.invalidInput, "'\(text)' is not NAME=START:STOP[:STEP] or NAME=V1,V2,...")
        }
        let name = parts[0]
        if parts[1].contains(":") {
            let bounds = parts[1].split(separator: ":", omittingEmptySubsequences: false).map { Double($0) }
            guard bounds.count == 2 || bounds.count == 3, let lo = bounds[0], let hi = bounds[1],
                lo.isFinite, hi.isFinite
            else {
                throw BacktestError(.invalidInput, "'\(text)': expected NAME=START:STOP[:STEP] with numbers")
            }
            let step = bounds.count == 3 ? bounds[2] : 1
            guard let step, step > 0, hi >= lo, (hi - lo) / step < 100_000 else {
                throw BacktestError(
                    .invalidInput, "'\(text)': STOP must be >= START and STEP > 0 (at most 100000 values)")
            }
            var list: [Double] = []
            var k = 0.0
            while lo + k * step <= hi + step * 1e-9 {
                list.append(lo + k * step)
                k += 1
            }
            try add(name, values: list)
        } else {
            var list: [Double] = []
            for item in parts[1].split(separator: ",") {
                guard let v = Double(item), v.isFinite else {
                    throw BacktestError(.invalidInput, "'\(text)': '\(item)' is not a number")
                }
                list.append(v)
            }
            try add(name, values: list)
        }
    }

    /// Number of combinations (`Int.max` when that overflows).
    public var count: Int {
        guard !values.isEmpty else { return 0 }
        var total = 1
        for column in values {
            let (product, overflow) = total.multipliedReportingOverflow(by: column.count)
            if overflow { return .max }
            total = product
        }
        return total
    }

    /// The `index`-th combination (last parameter fastest, as `itertools.product`).
    public func combination(_ index: Int) -> [String: Double] {
        var rest = index
        var result: [String: Double] = [:]
        for k in names.indices.reversed() {
            let column = values[k]
            result[names[k]] = column[rest % column.count]
            rest /= column.count
        }
        return result
    }
}

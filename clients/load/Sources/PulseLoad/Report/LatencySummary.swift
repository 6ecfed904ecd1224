import Histogram

/// Latency percentiles in milliseconds.
public struct LatencySummary: Sendable, Equatable {
    public var count: UInt64
    public var min: Double
    public var mean: Double
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var p999: Double
    public var p9999: Double
    public var max: Double

    /// The keys of the JSON report, in order, with the figure each names.
    static var keys: [(key: String, label: String, value: KeyPath<LatencySummary, Double>)] {
        [
            ("p50", "p50", \.p50), ("p90", "p90", \.p90), ("p99", "p99", \.p99), ("p999", "p99.9", \.p999),
            ("p9999", "p99.99", \.p9999), ("max", "max", \.max), ("mean", "mean", \.mean), ("min", "min", \.min),
        ]
    }

    init(_ histogram: LatencyHistogram) {
        func ms(_ micros: UInt64) -> Double { Double(micros) / 1000 }
        guard histogram.totalCount > 0 else {
            self.init(count: 0, values: [Double](repeating: 0, count: 8))
            return
        }
        self.init(
            count: histogram.totalCount,
            values: [
                ms(histogram.min), histogram.mean / 1000, ms(histogram.valueAtPercentile(50)),
                ms(histogram.valueAtPercentile(90)), ms(histogram.valueAtPercentile(99)),
                ms(histogram.valueAtPercentile(99.9)), ms(histogram.valueAtPercentile(99.99)), ms(histogram.max),
            ])
    }

    private init(count: UInt64, values: [Double]) {
        self.count = count
        (min, mean, p50, p90, p99) = (values[0], values[1], values[2], values[3], values[4])
        (p999, p9999, max) = (values[5], values[6], values[7])
    }

    var json: JSONValue {
        .object(Self.keys.map { ($0.key, .rounded(self[keyPath: $0.value], places: 3)) })
    }

    /// Reads the figures back from a report's JSON (missing keys are 0).
    init(json: JSONValue) {
        self.init(count: 0, values: [Double](repeating: 0, count: 8))
        for entry in Self.keys {
            let value = json[entry.key]?.doubleValue ?? 0
            switch entry.key {
            case "p50": p50 = value
            case "p90": p90 = value
            case "p99": p99 = value
            case "p999": p999 = value
            case "p9999": p9999 = value
            case "max": max = value
            case "mean": mean = value
            default: min = value
            }
        }
    }
}

/// Milliseconds printed for people: 3 significant figures-ish, never exponent notation.
func formatMilliseconds(_ value: Double) -> String {
    if value >= 100 { return formatFixed(value, places: 1) + " ms" }
    if value >= 1 { return formatFixed(value, places: 2) + " ms" }
    return formatFixed(value, places: 3) + " ms"
}

func formatFixed(_ value: Double, places: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int64(scaled / scale)
    var fraction = String(Int64(scaled) - whole * Int64(scale))
    fraction = String(repeating: "0", count: max(0, places - fraction.count)) + fraction
    let sign = value < 0 && scaled > 0 ? "-" : ""
    return places == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
}

/// 1234567 as "1,234,567".
func formatCount(_ value: Int) -> String {
    let digits = String(abs(value))
    var out = ""
    for (index, digit) in digits.enumerated() {
        if index > 0, (digits.count - index) % 3 == 0 { out += "," }
        out.append(digit)
    }
    return value < 0 ? "-" + out : out
}

import Foundation

/// The change of each figure between an earlier JSON report and a new one.
public struct ReportComparison: Sendable {
    public let json: JSONValue
    let source: String

    public init(json: JSONValue, source: String) {
        self.json = json
        self.source = source
    }

    /// Reads a report written by `--json`.
    public static func load(_ path: String) throws(LoadError) -> ReportComparison {
        guard let data = FileManager.default.contents(atPath: path) else { throw LoadError("cannot read \(path)") }
        do {
            return ReportComparison(json: try JSONParser.parse(String(decoding: data, as: UTF8.self)), source: path)
        } catch {
            throw LoadError("\(path) is not a JSON report: \(error.message)")
        }
    }

    /// The figures compared: (label, value in a report, whether higher is better).
    static func figures(_ report: JSONValue) -> [(String, Double?, Bool)] {
        var rows: [(String, Double?, Bool)] = [
            ("rps", report["rps"]?.doubleValue, true), ("requests", report["requests"]?.doubleValue, true),
            ("errors", errorTotal(report), false),
        ]
        for (prefix, latency) in [("", report["latency_ms"]), ("uncorrected ", report["latency_ms"]?["uncorrected"])] {
            guard let latency else { continue }
            for entry in LatencySummary.keys.prefix(6) {
                rows.append(("\(prefix)\(entry.label) ms", latency[entry.key]?.doubleValue, false))
            }
        }
        if let stream = report["stream"] {
            rows.append(("messages/s", stream["messages_per_s"]?.doubleValue, true))
            rows.append(("missing", stream["missing"]?.doubleValue, false))
        }
        return rows
    }

    static func errorTotal(_ report: JSONValue) -> Double? {
        guard case .object(let members)? = report["errors"] else { return nil }
        return members.reduce(0) { $0 + ($1.1.doubleValue ?? 0) }
    }

    /// A table: figure, before, after, change in percent (+ is an increase).
    public func compare(with later: JSONValue) -> String {
        let before = Self.figures(json)
        let after = Dictionary(Self.figures(later).map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        var lines = [
            "compared with \(source):",
            "  figure".padding(22) + "before".leftPadded(14) + "after".leftPadded(14) + "change".leftPadded(10),
        ]
        for (label, old, higherIsBetter) in before {
            guard let old, let new = after[label] ?? nil else { continue }
            let change: String
            if old == 0 {
                change = new == 0 ? "0%" : "new"
            } else {
                let percent = (new - old) / abs(old) * 100
                change = (percent >= 0 ? "+" : "") + formatFixed(percent, places: 1) + "%"
            }
            let better = new == old ? "" : ((new > old) == higherIsBetter ? "  better" : "  worse")
            lines.append(
                "  \(label)".padding(22) + Self.number(old).leftPadded(14) + Self.number(new).leftPadded(14)
                    + change.leftPadded(10) + better)
        }
        return lines.joined(separator: "\n")
    }

    static func number(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return formatCount(Int(value)) }
        return formatFixed(value, places: abs(value) >= 1000 ? 1 : 3)
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

import PulseAnalytics

/// The CSV and JSON renderings of computed indicator columns.
extension IndicatorsCommand {
    /// The first header field of the CSV as given (quotes removed, a byte-order mark skipped); empty for pandas'
    /// unnamed index.
    static func firstHeaderField(_ bytes: [UInt8]) -> String {
        var start = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: ","), bytes[end] != UInt8(ascii: "\n") { end += 1 }
        var field = String(decoding: bytes[start..<end], as: UTF8.self)
        if field.hasSuffix("\r") { field.removeLast() }
        if field.count >= 2, field.hasPrefix("\""), field.hasSuffix("\"") {
            field = String(field.dropFirst().dropLast())
        }
        return field
    }

    static func csv(firstHeader: String, labels: [String], columns: [(name: String, values: [Double])]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(labels.count * (16 + 20 * columns.count))
        appendCSVField(firstHeader, to: &out)
        for column in columns {
            out.append(UInt8(ascii: ","))
            appendCSVField(column.name, to: &out)
        }
        out.append(UInt8(ascii: "\n"))
        for row in labels.indices {
            appendCSVField(labels[row], to: &out)
            for column in columns {
                out.append(UInt8(ascii: ","))
                let value = column.values[row]
                if !value.isNaN { out.append(contentsOf: value.description.utf8) }
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    static func json(labels: [String], columns: [(name: String, values: [Double])]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(labels.count * (16 + 20 * columns.count))
        out.append(contentsOf: "{\"index\":[".utf8)
        for (i, label) in labels.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendJSONString(label, to: &out)
        }
        out.append(contentsOf: "],\"columns\":{".utf8)
        for (c, column) in columns.enumerated() {
            if c > 0 { out.append(UInt8(ascii: ",")) }
            appendJSONString(column.name, to: &out)
            out.append(contentsOf: ":[".utf8)
            for (i, value) in column.values.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                // JSON has no NaN or infinity: null marks the lookback (and any undefined value).
                if value.isFinite {
                    out.append(contentsOf: value.description.utf8)
                } else {
                    out.append(contentsOf: "null".utf8)
                }
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(contentsOf: "}}\n".utf8)
        return out
    }

    private static func appendCSVField(_ field: String, to out: inout [UInt8]) {
        let needsQuotes = field.utf8.contains {
            $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13
        }
        guard needsQuotes else {
            out.append(contentsOf: field.utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in field.utf8 {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

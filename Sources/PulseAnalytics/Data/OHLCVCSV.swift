/// Reads OHLCV bars from CSV text in the forms traders actually have on disk:
/// `timestamp,open,high,low,close,volume` with any header case, `Date,Open,High,Low,Close,Volume`
/// (Yahoo, backtesting.py), an `index` first column, or pandas' `to_csv` form whose first header is empty.
///
/// The first column is kept verbatim as the row label. The time column is the first of `timestamp`,
/// `datetime`, `date`, `time` or, failing those, the first column, when every value in it parses as a time.
/// Empty numeric fields read as NaN (pandas writes missing values that way).
public enum OHLCVCSV {
    /// Parses `text`; throws `CSVError` naming the line and column of the first problem.
    public static func parse(_ text: String) throws(CSVError) -> BarSeries {
        var text = text
        let result = text.withUTF8 { bytes in Result { () throws(CSVError) in try parse(bytes) } }
        return try result.get()
    }

    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(CSVError) -> BarSeries {
        var reader = CSVRowReader(bytes)
        guard let header = reader.nextRow() else { throw CSVError("the file is empty", line: 1) }
        let names = header.map { String(decoding: $0, as: UTF8.self).trimmed().lowercased() }
        func column(_ candidates: [String]) -> Int? {
            for c in candidates { if let i = names.firstIndex(of: c) { return i } }
            return nil
        }
        guard let openIndex = column(["open"]), let highIndex = column(["high"]), let lowIndex = column(["low"]),
            let closeIndex = column(["close"])
        else {
            throw CSVError(
                "the header must name open, high, low and close columns (any case); found: "
                    + names.map { $0.isEmpty ? "(empty)" : $0 }.joined(separator: ","), line: 1)
        }
        let volumeIndex = column(["volume"])
        let timeIndex = column(["timestamp", "datetime", "date", "time"]) ?? 0

        var labels: [String] = []
        var open: [Double] = [], high: [Double] = [], low: [Double] = [], close: [Double] = []
        var volume: [Double] = []
        var times: [Int64] = []
        var timesValid = true
        var line = 1
        let needed = max(openIndex, highIndex, lowIndex, closeIndex, volumeIndex ?? 0, timeIndex)
        while let row = reader.nextRow() {
            line += 1
            if row.count == 1 && row[0].isEmpty { continue }  // blank line
            guard row.count > needed else {
                throw CSVError("expected at least \(needed + 1) fields, found \(row.count)", line: line)
            }
            labels.append(String(decoding: row[0], as: UTF8.self))
            func number(_ index: Int) throws(CSVError) -> Double {
                let field = row[index]
                if field.isEmpty { return .nan }
                guard let value = parseDouble(field) else {
                    throw CSVError(
                        "'\(String(decoding: field, as: UTF8.self))' in column '\(names[index])' is not a number",
                        line: line)
                }
                return value
            }
            open.append(try number(openIndex))
            high.append(try number(highIndex))
            low.append(try number(lowIndex))
            close.append(try number(closeIndex))
            if let volumeIndex { volume.append(try number(volumeIndex)) }
            if timesValid {
                if let t = TimestampParser.parse(row[timeIndex]) { times.append(t) } else { timesValid = false }
            }
        }
        return BarSeries(
            labels: labels, timestamps: timesValid && !labels.isEmpty ? times : nil,
            open: open, high: high, low: low, close: close, volume: volumeIndex == nil ? nil : volume)
    }

    static func parseDouble(_ field: UnsafeBufferPointer<UInt8>) -> Double? {
        var start = 0
        var end = field.count
        while start < end, field[start] == 0x20 || field[start] == 0x09 { start += 1 }
        while end > start, field[end - 1] == 0x20 || field[end - 1] == 0x09 || field[end - 1] == 0x0D { end -= 1 }
        guard start < end else { return .nan }
        return Double(Substring(decoding: UnsafeBufferPointer(rebasing: field[start..<end]), as: UTF8.self))
    }
}

/// A CSV problem, with the 1-based line it was found on.
public struct CSVError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public var line: Int
    public init(_ message: String, line: Int) {
        self.message = message
        self.line = line
    }
    public var description: String { "line \(line): \(message)" }
}

/// Splits CSV bytes into rows of fields without copying; handles `\n` and `\r\n` line ends and
/// double-quoted fields (quotes are stripped; a doubled quote inside one is kept as two bytes, which
/// never matters for the numeric and label fields read here).
struct CSVRowReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        // Skip a UTF-8 byte-order mark, which spreadsheet exports add.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }
    }

    mutating func nextRow() -> [UnsafeBufferPointer<UInt8>]? {
        guard position < bytes.count else { return nil }
        var fields: [UnsafeBufferPointer<UInt8>] = []
        fields.reserveCapacity(8)
        while true {
            var start = position
            var end: Int
            if position < bytes.count, bytes[position] == UInt8(ascii: "\"") {
                start = position + 1
                position = start
                while position < bytes.count {
                    if bytes[position] == UInt8(ascii: "\"") {
                        if position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "\"") {
                            position += 2
                            continue
                        }
                        break
                    }
                    position += 1
                }
                end = position
                if position < bytes.count { position += 1 }  // closing quote
                while position < bytes.count, bytes[position] != UInt8(ascii: ","),
                    bytes[position] != UInt8(ascii: "\n")
                {
                    position += 1
                }
            } else {
                while position < bytes.count, bytes[position] != UInt8(ascii: ","),
                    bytes[position] != UInt8(ascii: "\n")
                {
                    position += 1
                }
                end = position
                if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            }
            fields.append(UnsafeBufferPointer(rebasing: bytes[start..<end]))
            if position >= bytes.count { return fields }
            let separator = bytes[position]
            position += 1
            if separator == UInt8(ascii: "\n") { return fields }
        }
    }
}

extension String {
    func trimmed() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace || f == "\u{FEFF}" { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}

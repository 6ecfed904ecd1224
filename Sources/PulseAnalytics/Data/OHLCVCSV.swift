/// Reads OHLCV bars from CSV text in the forms traders actually have on disk:
/// `timestamp,open,high,low,close,volume` with any header case, `Date,Open,High,Low,Close,Volume`
/// (Yahoo, backtesting.py), an `index` first column, or pandas' `to_csv` form whose first header is empty.
///
/// The first column is kept verbatim as the row label. The time column is the first of `timestamp`,
/// `datetime`, `date`, `time` or, failing those, the first column, when every value in it parses as a time.
/// Every file is checked by `BarValidation`: unusable bars are refused with their line, bars out of time
/// order are sorted.
public enum OHLCVCSV {
    /// Parses and checks `text` (see `BarValidation`); throws `CSVError` naming the line of the first problem.
    /// Warnings about repaired input (rows sorted into time order) are dropped: use `read` to show them.
    public static func parse(_ text: String) throws(CSVError) -> BarSeries {
        try read(text).bars
    }

    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(CSVError) -> BarSeries {
        try read(bytes).bars
    }

    /// Parses and checks `text`, returning the bars in time order and what was repaired or looked odd.
    public static func read(_ text: String) throws(CSVError) -> BarValidation.Result {
        var text = text
        let result = text.withUTF8 { bytes in Result { () throws(CSVError) in try read(bytes) } }
        return try result.get()
    }

    public static func read(_ bytes: UnsafeBufferPointer<UInt8>) throws(CSVError) -> BarValidation.Result {
        let (series, lines) = try parseRows(bytes)
        do {
            return try BarValidation.validate(series) { "line \(lines.line(ofRow: $0))" }
        } catch {
            throw CSVError(error.message, line: lines.line(ofRow: error.row))
        }
    }

    /// Reads the rows as they are, unchecked: NaN for empty numeric fields, any order.
    static func parseRows(_ bytes: UnsafeBufferPointer<UInt8>) throws(CSVError) -> (BarSeries, RowLines) {
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
        var days = TimestampParser.DayCache()
        var line = 1
        var lines = RowLines()
        let needed = max(openIndex, highIndex, lowIndex, closeIndex, volumeIndex ?? 0, timeIndex)
        // One buffer for the fields every row needs, filled in place row after row.
        let row = UnsafeMutableBufferPointer<UnsafeBufferPointer<UInt8>>.allocate(capacity: needed + 1)
        row.initialize(repeating: UnsafeBufferPointer(start: nil, count: 0))
        defer { row.deallocate() }
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
        let dataStart = reader.offset
        while let fieldCount = reader.nextRow(into: row) {
            line += 1
            if fieldCount == 1 && row[0].isEmpty {  // blank line
                lines.skipLine(beforeRow: labels.count)
                continue
            }
            guard fieldCount > needed else {
                throw CSVError("expected at least \(needed + 1) fields, found \(fieldCount)", line: line)
            }
            if labels.isEmpty {
                // Size the columns from the first row's length so a large file fills them without regrowing;
                // every row holds at least `needed + 1` separator bytes, which bounds the guess by the input size.
                let rows =
                    min((bytes.count - dataStart) / max(reader.offset - dataStart, 1), bytes.count / (needed + 1)) + 1
                labels.reserveCapacity(rows)
                open.reserveCapacity(rows)
                high.reserveCapacity(rows)
                low.reserveCapacity(rows)
                close.reserveCapacity(rows)
                if volumeIndex != nil { volume.reserveCapacity(rows) }
                times.reserveCapacity(rows)
            }
            labels.append(String(decoding: row[0], as: UTF8.self))
            open.append(try number(openIndex))
            high.append(try number(highIndex))
            low.append(try number(lowIndex))
            close.append(try number(closeIndex))
            if let volumeIndex { volume.append(try number(volumeIndex)) }
            if timesValid {
                if let t = TimestampParser.parse(row[timeIndex], days: &days) {
                    times.append(t)
                } else {
                    timesValid = false
                }
            }
        }
        let series = BarSeries(
            labels: labels, timestamps: timesValid && !labels.isEmpty ? times : nil,
            open: open, high: high, low: low, close: close, volume: volumeIndex == nil ? nil : volume)
        return (series, lines)
    }

    static func parseDouble(_ field: UnsafeBufferPointer<UInt8>) -> Double? {
        // A plain number, by far the common case, has no padding to trim.
        if let value = DecimalParser.fastParse(field) { return value }
        var start = 0
        var end = field.count
        while start < end, field[start] == 0x20 || field[start] == 0x09 { start += 1 }
        while end > start, field[end - 1] == 0x20 || field[end - 1] == 0x09 || field[end - 1] == 0x0D { end -= 1 }
        guard start < end else { return .nan }
        return DecimalParser.parse(UnsafeBufferPointer(rebasing: field[start..<end]))
    }
}

/// Maps a row's index to its 1-based line in the file (the header is line 1). Only blank lines make the two
/// drift apart, so only they are recorded.
struct RowLines {
    /// For each blank line, the index of the row that follows it.
    private var blankLinesBefore: [Int] = []

    mutating func skipLine(beforeRow row: Int) { blankLinesBefore.append(row) }

    func line(ofRow row: Int) -> Int {
        // Blank lines are recorded in row order, so those at or before `row` are a prefix.
        var low = 0
        var high = blankLinesBefore.count
        while low < high {
            let mid = (low + high) / 2
            if blankLinesBefore[mid] <= row { low = mid + 1 } else { high = mid }
        }
        return row + 2 + low
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

extension String {
    func trimmed() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace || f == "\u{FEFF}" { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}

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

    /// How many bytes have been consumed so far.
    var offset: Int { position }

    /// The next row's fields, or nil at the end of the input.
    mutating func nextRow() -> [UnsafeBufferPointer<UInt8>]? {
        guard position < bytes.count else { return nil }
        var fields: [UnsafeBufferPointer<UInt8>] = []
        while true {
            let (field, endsRow) = nextField()
            fields.append(field)
            if endsRow { return fields }
        }
    }

    /// Stores the next row's first `fields.count` fields in `fields` and returns how many fields the row
    /// has, or nil at the end of the input. Filling a buffer the caller allocates once, rather than
    /// building an array per row, is what makes reading a million rows cheap.
    mutating func nextRow(into fields: UnsafeMutableBufferPointer<UnsafeBufferPointer<UInt8>>) -> Int? {
        guard position < bytes.count else { return nil }
        var count = 0
        while true {
            let (field, endsRow) = nextField()
            if count < fields.count { fields[count] = field }
            count += 1
            if endsRow { return count }
        }
    }

    /// The field at the read position, and whether it is the last of its row.
    @inline(__always)
    private mutating func nextField() -> (UnsafeBufferPointer<UInt8>, endsRow: Bool) {
        let comma = UInt8(ascii: ","), newline = UInt8(ascii: "\n"), quote = UInt8(ascii: "\"")
        let count = bytes.count
        var start = position
        var end: Int
        if position < count, bytes[position] == quote {
            start = position + 1
            position = start
            while position < count {
                if bytes[position] == quote {
                    if position + 1 < count, bytes[position + 1] == quote {
                        position += 2
                        continue
                    }
                    break
                }
                position += 1
            }
            end = position
            if position < count { position += 1 }  // closing quote
            while position < count, bytes[position] != comma, bytes[position] != newline { position += 1 }
        } else {
            skipToSeparator()
            while position < count, bytes[position] != comma, bytes[position] != newline { position += 1 }
            end = position
            if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        }
        let field = UnsafeBufferPointer(rebasing: bytes[start..<end])
        if position >= count { return (field, true) }
        let separator = bytes[position]
        position += 1
        return (field, separator == newline)
    }

    /// Moves the read position over whole 8-byte words holding no comma or newline, stopping on the
    /// word that holds one at the first such byte; the byte loop after it finishes the field. Fields are
    /// short but there are tens of millions of them, and this halves the time spent finding their ends.
    @inline(__always)
    private mutating func skipToSeparator() {
        guard let base = bytes.baseAddress else { return }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while position + 8 <= bytes.count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
            let commas = word ^ (ones &* UInt64(UInt8(ascii: ",")))
            let newlines = word ^ (ones &* UInt64(UInt8(ascii: "\n")))
            // A byte of `x` is zero where `(x - ones) & ~x` has its high bit set; the lowest such flag is exact.
            let found = (((commas &- ones) & ~commas) | ((newlines &- ones) & ~newlines)) & highs
            if found != 0 {
                position += found.trailingZeroBitCount / 8
                return
            }
            position += 8
        }
    }
}

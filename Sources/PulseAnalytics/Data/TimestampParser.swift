/// Parses the time forms found in market-data CSVs into seconds since the Unix epoch (UTC):
/// `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS[.fraction]]` (or `T` between), an optional `Z` or `±HH[:]MM`
/// offset, and integer epoch seconds or milliseconds. A time without an offset is taken as UTC.
public enum TimestampParser {
    public static func parse(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parse($0) }
    }

    public static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var days = DayCache()
        return parse(b, days: &days)
    }

    /// The last `YYYY-MM-DD` text parsed and its day number: consecutive bars mostly share their date, so a
    /// column parser keeps one of these and compares ten bytes instead of re-reading the date.
    struct DayCache {
        var head: UInt64 = 0
        var tail: UInt16 = 0
        var days: Int64 = 0
        var valid = false
    }

    static func parse(_ b: UnsafeBufferPointer<UInt8>, days cache: inout DayCache) -> Int64? {
        var c = Cursor(bytes: b)
        while c.i < c.n, b[c.i] == 0x20 { c.i += 1 }
        while c.n > c.i, b[c.n - 1] == 0x20 || b[c.n - 1] == 0x0D { c.n -= 1 }
        var head: UInt64 = 0
        var tail: UInt16 = 0
        if c.n - c.i >= 10, let base = b.baseAddress {
            let date = UnsafeRawPointer(base + c.i)
            head = date.loadUnaligned(as: UInt64.self)
            tail = date.loadUnaligned(fromByteOffset: 8, as: UInt16.self)
        }
        let days: Int64
        // Only a text that parsed as a date is cached, so a match is a date, never epoch digits.
        if cache.valid, c.n - c.i >= 10, head == cache.head, tail == cache.tail {
            c.i += 10
            days = cache.days
        } else {
            // All digits: epoch seconds (10 digits or fewer) or milliseconds (13).
            if c.n - c.i >= 9, c.isAllDigits {
                var v: Int64 = 0
                for k in c.i..<c.n { v = v &* 10 &+ Int64(b[k] - 48) }
                return c.n - c.i >= 13 ? v / 1000 : v
            }
            guard let year = c.digits(4), c.expect(UInt8(ascii: "-")), let month = c.digits(2),
                c.expect(UInt8(ascii: "-")), let day = c.digits(2), month >= 1, month <= 12, day >= 1, day <= 31
            else { return nil }
            days = daysFromCivil(year: year, month: month, day: day)
            // The date took exactly ten bytes, so `head` and `tail` hold its text.
            cache = DayCache(head: head, tail: tail, days: days, valid: true)
        }
        var seconds = days * 86_400
        if c.atEnd { return seconds }
        guard c.expect(UInt8(ascii: " ")) || c.expect(UInt8(ascii: "T")) else { return nil }
        guard let hour = c.digits(2), c.expect(UInt8(ascii: ":")), let minute = c.digits(2), hour < 24, minute < 60
        else { return nil }
        seconds += Int64(hour * 3600 + minute * 60)
        if c.expect(UInt8(ascii: ":")) {
            guard let second = c.digits(2), second <= 60 else { return nil }
            seconds += Int64(second)
            if c.expect(UInt8(ascii: ".")) {
                while c.i < c.n, b[c.i] >= 48, b[c.i] <= 57 { c.i += 1 }
            }
        }
        if c.atEnd || c.expect(UInt8(ascii: "Z")) { return c.atEnd ? seconds : nil }
        let sign: Int64
        if c.expect(UInt8(ascii: "+")) {
            sign = 1
        } else if c.expect(UInt8(ascii: "-")) {
            sign = -1
        } else {
            return nil
        }
        guard let oh = c.digits(2) else { return nil }
        _ = c.expect(UInt8(ascii: ":"))
        guard let om = c.digits(2), c.atEnd else { return nil }
        return seconds - sign * Int64(oh * 3600 + om * 60)
    }

    /// A read position in `bytes[..<n]`; a struct rather than closures over locals so the optimizer
    /// keeps the position in a register (the closures cost a quarter of a microsecond per timestamp).
    private struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0
        var n: Int

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
            n = bytes.count
        }

        var atEnd: Bool { i == n }

        var isAllDigits: Bool {
            for k in i..<n where bytes[k] &- 48 > 9 { return false }
            return true
        }

        mutating func digits(_ count: Int) -> Int? {
            guard i + count <= n else { return nil }
            var v = 0
            for k in 0..<count {
                let d = bytes[i + k] &- 48
                guard d <= 9 else { return nil }
                v = v * 10 + Int(d)
            }
            i += count
            return v
        }

        mutating func expect(_ c: UInt8) -> Bool {
            guard i < n, bytes[i] == c else { return false }
            i += 1
            return true
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day number since 1970-01-01.
    public static func civilFromDays(_ z0: Int64) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    /// ISO 8601 text (`YYYY-MM-DDTHH:MM:SSZ`) of an epoch time.
    public static func iso8601(_ seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rest = Int(seconds - days * 86_400)
        let (y, m, d) = civilFromDays(days)
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return
            "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rest / 3600, 2)):\(pad(rest / 60 % 60, 2)):\(pad(rest % 60, 2))Z"
    }
}

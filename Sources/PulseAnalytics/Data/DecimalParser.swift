/// Reads a number field to exactly the `Double` that `Double(String)` gives, without creating a string
/// for the common case.
///
/// Plain decimals (`[+-]digits[.digits][e[+-]digits]`) with at most 19 digits, a mantissa of at most
/// 2^53 and a power of ten within ±22 are computed as one multiplication or division of two exactly
/// representable doubles (Clinger's fast path), which IEEE 754 rounds correctly, so the result is the
/// correctly rounded value `Double(String)` also returns. Everything else (longer mantissas, large
/// exponents, `inf`, `nan`, hexadecimal, malformed text) goes to `Double(String)` itself, so what is
/// accepted and rejected cannot differ.
enum DecimalParser {
    /// 10^0 ... 10^22, the powers of ten a double holds exactly.
    private static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
        1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// The value of `field`, or nil when `Double(String)` would reject it.
    static func parse(_ field: UnsafeBufferPointer<UInt8>) -> Double? {
        if let value = fastParse(field) { return value }
        return Double(Substring(decoding: field, as: UTF8.self))
    }

    /// The exactly rounded value of a short plain decimal, or nil when the text is anything else.
    @inline(__always)
    static func fastParse(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
        let n = b.count
        var i = 0
        var negative = false
        if i < n, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") {
            negative = b[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: UInt64 = 0
        let integerStart = i
        while i < n {
            let d = b[i] &- 48
            if d > 9 { break }
            mantissa = mantissa &* 10 &+ UInt64(d)
            i += 1
        }
        var digits = i - integerStart
        var fractionDigits = 0
        if i < n, b[i] == UInt8(ascii: ".") {
            i += 1
            let fractionStart = i
            while i < n {
                let d = b[i] &- 48
                if d > 9 { break }
                mantissa = mantissa &* 10 &+ UInt64(d)
                i += 1
            }
            fractionDigits = i - fractionStart
            digits += fractionDigits
        }
        // Over 19 digits the mantissa may have wrapped; those rare fields take the slow path.
        guard digits > 0, digits <= 19, mantissa <= 1 << 53 else { return nil }
        var exponent = -fractionDigits
        if i < n, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            var exponentNegative = false
            if i < n, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") {
                exponentNegative = b[i] == UInt8(ascii: "-")
                i += 1
            }
            let exponentStart = i
            var value = 0
            while i < n, i - exponentStart < 4 {
                let d = b[i] &- 48
                if d > 9 { break }
                value = value * 10 + Int(d)
                i += 1
            }
            guard i > exponentStart else { return nil }
            exponent += exponentNegative ? -value : value
        }
        guard i == n, exponent >= -22, exponent <= 22 else { return nil }
        let magnitude =
            exponent >= 0 ? Double(mantissa) * powersOfTen[exponent] : Double(mantissa) / powersOfTen[-exponent]
        return negative ? -magnitude : magnitude
    }
}

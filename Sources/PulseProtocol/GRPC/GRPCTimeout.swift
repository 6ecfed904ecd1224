/// The `grpc-timeout` header: 1 to 8 ASCII digits followed by a unit (`H`, `M`, `S`, `m`, `u`, `n`).
public struct GRPCTimeout: Hashable, Sendable, CustomStringConvertible {
    /// The timeout in nanoseconds (saturated at `Int64.max` for values like `99999999H`).
    public let nanoseconds: Int64

    /// Creates a timeout of `nanoseconds` (negative values count as zero).
    public init(nanoseconds: Int64) {
        self.nanoseconds = max(0, nanoseconds)
    }

    /// Creates a timeout from a duration, rounding sub-nanosecond parts up.
    public init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let extra = attoseconds / 1_000_000_000 + (attoseconds % 1_000_000_000 > 0 ? 1 : 0)
        let (total, overflow2) = whole.addingReportingOverflow(extra)
        self.init(nanoseconds: overflow || overflow2 ? (seconds < 0 ? 0 : .max) : total)
    }

    /// Parses a header value; nil when it is not 1–8 digits plus a valid unit.
    public init?(headerValue: some StringProtocol) {
        // Valid values are at most 9 bytes, which Swift stores inline: no allocation.
        let utf8 = String(headerValue).utf8
        guard utf8.count >= 2, utf8.count <= 9, let unit = utf8.last else { return nil }
        let perUnit: Int64
        switch unit {
        case UInt8(ascii: "H"): perUnit = 3_600_000_000_000
        case UInt8(ascii: "M"): perUnit = 60_000_000_000
        case UInt8(ascii: "S"): perUnit = 1_000_000_000
        case UInt8(ascii: "m"): perUnit = 1_000_000
        case UInt8(ascii: "u"): perUnit = 1_000
        case UInt8(ascii: "n"): perUnit = 1
        default: return nil
        }
        var amount: Int64 = 0
        for digit in utf8.dropLast() {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            amount = amount * 10 + Int64(digit - UInt8(ascii: "0"))
        }
        let (product, overflow) = amount.multipliedReportingOverflow(by: perUnit)
        self.nanoseconds = overflow ? .max : product
    }

    /// The timeout as a `Duration`.
    public var duration: Duration { .nanoseconds(nanoseconds) }

    /// The header value: the finest unit whose amount fits in 8 digits, rounding up so a deadline is
    /// never shortened.
    public var headerValue: String {
        let units: [(Int64, Character)] = [
            (1, "n"), (1_000, "u"), (1_000_000, "m"), (1_000_000_000, "S"), (60_000_000_000, "M"),
            (3_600_000_000_000, "H"),
        ]
        for (perUnit, symbol) in units {
            let amount = nanoseconds / perUnit + (nanoseconds % perUnit == 0 ? 0 : 1)
            if amount <= 99_999_999 { return "\(amount)\(symbol)" }
        }
        return "99999999H"
    }

    public var description: String { headerValue }
}

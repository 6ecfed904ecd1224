/// A short random id that ties an error a client sees to the log line holding its cause.
public enum ErrorID {
    /// 16 lowercase hex digits from the system's random source: unguessable, so an id tells an outsider
    /// nothing about how many errors came before it.
    public static func next() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// The request id of a call: the client's `x-request-id` when it is a sane token, so a client's own id shows in
/// the server's logs and error messages; otherwise nil (the server makes one with ``ErrorID/next()``).
public enum RequestID {
    /// `value` when it is 1–128 characters of letters, digits and `-_.:` (nothing a log line could be forged with).
    public static func accepted(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.utf8.count <= 128 else { return nil }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: ":"):
                continue
            default: return nil
            }
        }
        return value
    }
}

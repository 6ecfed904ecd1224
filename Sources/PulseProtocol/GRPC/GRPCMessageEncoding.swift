/// Percent-encoding of the `grpc-message` trailer, as the gRPC spec defines it: the message's UTF-8 bytes,
/// with every byte outside 0x20–0x7E and `%` itself written as `%XX`.
public enum GRPCMessageEncoding {
    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Encodes a status message for the `grpc-message` trailer.
    public static func percentEncode(_ message: String) -> String {
        let utf8 = message.utf8
        if utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E && $0 != UInt8(ascii: "%") }) { return message }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count * 3)
        for byte in utf8 {
            if byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "%") {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes a received `grpc-message`. Malformed `%` sequences are kept as they are and invalid UTF-8
    /// becomes U+FFFD, as the spec asks receivers to be lenient.
    public static func percentDecode(_ value: some StringProtocol) -> String {
        let utf8 = Array(value.utf8)
        guard utf8.contains(UInt8(ascii: "%")) else { return String(value) }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "%"), i + 2 < utf8.count, let high = hexValue(utf8[i + 1]),
                let low = hexValue(utf8[i + 2])
            {
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(utf8[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

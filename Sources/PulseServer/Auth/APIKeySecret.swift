import PulseMarketData

/// The text form of API keys: `pt_` and 64 lower-case hex digits (256 random bits from the system's generator).
/// Only the SHA-256 of the whole text is stored; the prefix (`pt_` and 8 digits) is kept to tell keys apart.
public enum APIKeySecret {
    public static let marker = "pt_"

    /// A new random key.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        var text = marker
        for _ in 0..<4 {
            let word = generator.next() as UInt64
            let hex = String(word, radix: 16)
            text += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return text
    }

    /// What is stored for `key`.
    public static func hash(_ key: String) -> [UInt8] { SHA256.hash(Array(key.utf8)) }

    /// The part of `key` shown in listings.
    public static func prefix(_ key: String) -> String { String(key.prefix(marker.count + 8)) }

    /// Whether `text` has a key's shape (checked before any lookup, so junk never reaches the database).
    public static func isWellFormed(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 67, bytes[0] == 0x70, bytes[1] == 0x74, bytes[2] == 0x5F else { return false }  // pt_
        for byte in bytes[3...] where !((48...57).contains(byte) || (97...102).contains(byte)) { return false }
        return true
    }
}

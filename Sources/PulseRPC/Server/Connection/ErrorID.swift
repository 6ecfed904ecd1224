/// A short random id that ties an error a client sees to the log line holding its cause.
enum ErrorID {
    /// 16 lowercase hex digits from the system's random source: unguessable, so an id tells an outsider
    /// nothing about how many errors came before it.
    static func next() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

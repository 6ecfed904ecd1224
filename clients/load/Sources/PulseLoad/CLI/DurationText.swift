/// Durations on the command line: `10s`, `500ms`, `2m`, `1h`, `250us`, or a bare number of seconds.
public enum DurationText {
    public static func seconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [
            ("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("ns", 1e-9), ("s", 1), ("m", 60), ("h", 3600),
        ]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value.isFinite, value >= 0 else { return nil }
            return value * scale
        }
        guard let value = Double(text), value.isFinite, value >= 0 else { return nil }
        return value
    }
}

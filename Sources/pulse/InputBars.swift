import PulseAnalytics

/// Turns an `--input` file's bytes into checked bars for the analytics commands: a bar that cannot be used
/// is a usage error naming its line; what was repaired (rows sorted into time order) is a warning on
/// standard error.
enum InputBars {
    static func bars(from bytes: [UInt8], input: String) throws -> BarSeries {
        let name = input == "-" ? "standard input" : input
        let result: BarValidation.Result
        do {
            result = try bytes.withUnsafeBufferPointer { try OHLCVCSV.read($0) }
        } catch {
            throw UsageError("\(name): \(error)")
        }
        for warning in result.warnings { StandardError.write("pulse: warning: \(name): \(warning)") }
        return result.bars
    }
}

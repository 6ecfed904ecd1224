import ArgumentParser
import Foundation
import PulseAnalytics

/// `pulse indicators`: computes TA-Lib-compatible indicators over an OHLCV CSV file and prints one row per bar.
///
/// ```
/// pulse indicators --input AAPL.csv --indicator rsi:14 --indicator bbands:20,2,2 --format csv
/// ```
struct IndicatorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "indicators",
        abstract: "Compute technical indicators over an OHLCV CSV file.",
        discussion: """
            Input: CSV with open, high, low, close (and volume) columns in any header case; the first column \
            (a date, a timestamp, an index, or pandas' unnamed index) is echoed as the first output column.
            Indicators: NAME or NAME:P1,P2,... with TA-Lib's names, parameters and defaults (see --list). \
            Columns are named like rsi_14, bbands_20_2_2_upperband. Empty cells (csv) or null (json) during \
            the lookback.
            JSON output: {"index": [first column...], "columns": {"rsi_14": [null, ..., 41.2], ...}}.
            """)

    @Option(name: .long, help: "The OHLCV CSV file to read, or - for standard input.")
    var input: String?

    @Option(name: .long, help: "An indicator as NAME:P1,P2,... (repeatable), e.g. rsi:14 or bbands:20,2,2.")
    var indicator: [String] = []

    @Option(name: .long, help: "Output format: csv or json.")
    var format: OutputFormat = .csv

    @Flag(name: .long, help: "List the indicator functions with their parameters and defaults.")
    var list = false

    @Option(name: .long, help: .hidden)
    var bench: String?

    @Option(name: .long, help: .hidden)
    var benchRepeat: Int = 5

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case csv, json
    }

    func run() async throws {
        let registry = IndicatorRegistry.standard
        if list {
            writeStandardOutput(Self.listing(registry))
            return
        }
        let specs = try indicator.map { text in
            do { return try registry.spec(text) } catch { throw UsageError("--indicator \(text): \(error)") }
        }
        if let bench {
            try Self.runBenchmark(dataPath: bench, specs: specs, repeats: benchRepeat)
            return
        }
        guard let input else { throw UsageError("--input FILE.csv (or - for standard input) is required") }
        guard !specs.isEmpty else {
            throw UsageError("give at least one --indicator NAME:P1,P2,... (pulse indicators --list shows them)")
        }
        let bytes = try Self.readInput(input)
        let bars = try InputBars.bars(from: bytes, input: input)
        var columns: [(name: String, values: [Double])] = []
        for spec in specs {
            let outputs: [[Double]]
            do { outputs = try spec.compute(bars) } catch { throw UsageError("--indicator \(spec.text): \(error)") }
            for (name, values) in zip(spec.columnNames, outputs) { columns.append((name, values)) }
        }
        let firstHeader = Self.firstHeaderField(bytes)
        switch format {
        case .csv: writeStandardOutput(Self.csv(firstHeader: firstHeader, labels: bars.labels, columns: columns))
        case .json: writeStandardOutput(Self.json(labels: bars.labels, columns: columns))
        }
    }

    static func readInput(_ path: String) throws -> [UInt8] {
        if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UsageError("cannot read --input \(path): no such file or not readable")
        }
        return Array(data)
    }

    static func listing(_ registry: IndicatorRegistry) -> [UInt8] {
        var text = ""
        for d in registry.definitions {
            let parameters = d.parameters.map { "\($0.name)=\($0.defaultDescription) (\($0.rangeDescription))" }
            text += "\(d.name.lowercased())\t\(d.summary)\n"
            text += "  inputs: \(d.inputs.map(\.rawValue).joined(separator: ","))\n"
            text += "  parameters: \(parameters.isEmpty ? "none" : parameters.joined(separator: "; "))\n"
            text += "  outputs: \(d.outputs.joined(separator: ","))\n"
        }
        return Array(text.utf8)
    }
}

/// Writes all of `bytes` to standard output.
func writeStandardOutput(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let written = write(1, buffer.baseAddress! + offset, buffer.count - offset)
            if written <= 0 { break }
            offset += written
        }
    }
}

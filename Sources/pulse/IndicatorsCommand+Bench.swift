import Foundation
import PulseAnalytics

/// The hidden `--bench DIR` mode used by Benchmarks/indicators: times each indicator's batch computation over
/// raw little-endian float64 columns (`open.f64`, `high.f64`, `low.f64`, `close.f64`, `volume.f64` in DIR) and
/// prints `name<TAB>best milliseconds` lines.
extension IndicatorsCommand {
    static func runBenchmark(dataPath: String, specs: [IndicatorSpec], repeats: Int) throws {
        func column(_ name: String) throws -> [Double] {
            guard let data = FileManager.default.contents(atPath: dataPath + "/" + name + ".f64") else {
                throw UsageError("--bench: cannot read \(dataPath)/\(name).f64")
            }
            return data.withUnsafeBytes { raw in Array(raw.bindMemory(to: Double.self)) }
        }
        let close = try column("close")
        let bars = BarSeries(
            labels: [String](repeating: "", count: close.count), timestamps: nil, open: try column("open"),
            high: try column("high"), low: try column("low"), close: close, volume: try column("volume"))
        var report = ""
        for spec in specs {
            var best = Double.infinity
            var checksum = 0.0
            _ = try spec.compute(bars)  // warm-up: page in code and let the allocator settle
            for _ in 0..<max(repeats, 1) {
                let started = DispatchTime.now().uptimeNanoseconds
                let outputs = try spec.compute(bars)
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
                best = min(best, elapsed)
                checksum += outputs[0][outputs[0].count - 1]
            }
            report += "\(spec.text)\t\(best)\t\(checksum)\n"
        }
        writeStandardOutput(Array(report.utf8))
    }
}

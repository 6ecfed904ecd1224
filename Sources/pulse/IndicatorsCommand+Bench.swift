import Foundation
import PulseAnalytics

/// This thread's CPU time: on a shared machine, wall time would mostly measure the other processes.
private func cpuNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// A copy of `values` in memory advised for transparent huge pages before it is first written, as NumPy allocates
/// TA-Lib's input arrays: with 4 KiB pages the 8 MB columns of a million-point series cost both sides TLB misses
/// (~15% of ATR's or AD's time), and the comparison should measure the kernels, not the page size.
private func hugePageColumn(_ values: UnsafeBufferPointer<Double>) -> [Double] {
    [Double](unsafeUninitializedCapacity: values.count) { buffer, initialized in
        if let base = buffer.baseAddress {
            let huge = 2 << 20
            let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
            let end = (Int(bitPattern: base) + values.count * 8) & ~(huge - 1)
            if end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) {
                _ = madvise(pointer, end - start, MADV_HUGEPAGE)
            }
            if let source = values.baseAddress { base.initialize(from: source, count: values.count) }
        }
        initialized = values.count
    }
}

/// The hidden `--bench DIR` mode used by Benchmarks/indicators: times (in thread CPU time) each indicator's batch computation over
/// raw little-endian float64 columns (`open.f64`, `high.f64`, `low.f64`, `close.f64`, `volume.f64` in DIR) and
/// prints `name<TAB>best batch milliseconds<TAB>streaming nanoseconds per bar<TAB>checksum` lines (streaming: one
/// `IndicatorInstance` fed the first million bars).
extension IndicatorsCommand {
    static func runBenchmark(dataPath: String, specs: [IndicatorSpec], repeats: Int) throws {
        func column(_ name: String) throws -> [Double] {
            guard let data = FileManager.default.contents(atPath: dataPath + "/" + name + ".f64") else {
                throw UsageError("--bench: cannot read \(dataPath)/\(name).f64")
            }
            return data.withUnsafeBytes { raw in hugePageColumn(raw.bindMemory(to: Double.self)) }
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
                let started = cpuNanoseconds()
                let outputs = try spec.compute(bars)
                let elapsed = Double(cpuNanoseconds() - started) / 1e6
                best = min(best, elapsed)
                checksum += outputs[0][outputs[0].count - 1]
            }
            var live = IndicatorRegistry.standard.instance(spec)
            let streamed = min(bars.count, 1_000_000)
            let started = cpuNanoseconds()
            for i in 0..<streamed {
                let bar = BarInput(
                    open: bars.open[i], high: bars.high[i], low: bars.low[i], close: bars.close[i],
                    volume: bars.volume?[i] ?? 0)
                checksum += live.update(bar).v0.isNaN ? 0 : 1
            }
            let perBar = Double(cpuNanoseconds() - started) / Double(max(streamed, 1))
            report += "\(spec.text)\t\(best)\t\(perBar)\t\(checksum)\n"
        }
        writeStandardOutput(Array(report.utf8))
    }
}

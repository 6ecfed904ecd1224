#if canImport(Glibc)
    import Glibc
#endif

/// Allocation helpers for batch outputs aligned with their input: NaN in the lookback, values after.
enum AlignedOutput {
    /// Asks the kernel for transparent huge pages over the 2 MiB-aligned interior (and, for heap-sized buffers, the
    /// region of the tail) of a large fresh buffer, before its first write: a 10-million-point output then takes
    /// ~40 page faults instead of ~20,000 (NumPy does the same for its arrays, so TA-Lib's outputs get them too).
    /// A hint only; ignored where unsupported.
    @inline(__always)
    static func adviseHugePages(_ base: UnsafeMutableRawPointer, bytes: Int) {
        #if canImport(Glibc)
            let huge = 2 << 20
            guard bytes >= 2 * huge else { return }
            let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
            // Below glibc's largest mmap threshold (32 MiB) the buffer lives in a malloc heap, and the 2 MiB
            // region holding its tail is that heap's (the next output's, or free top): advising it too lets the
            // kernel back the tail with a huge page. MACD's three 8 MB outputs, freed and faulted in again on every
            // call, then take ~700 faults instead of ~1,700 (−30% time at 1M points).
            let tail = bytes < 32 << 20 ? huge - 1 : 0
            let end = (Int(bitPattern: base) + bytes + tail) & ~(huge - 1)
            if end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) {
                _ = madvise(pointer, end - start, MADV_HUGEPAGE)
            }
        #endif
    }

    /// `count` doubles, NaN in `0..<min(begin, count)`; when `begin < count`, `body` must write every index in
    /// `begin..<count` (it receives the base pointer so it can index by input position).
    @inline(__always)
    static func make(count: Int, begin: Int, _ body: (UnsafeMutablePointer<Double>) -> Void) -> [Double] {
        [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard let base = buffer.baseAddress else {
                initialized = 0
                return
            }
            adviseHugePages(UnsafeMutableRawPointer(base), bytes: count * MemoryLayout<Double>.stride)
            let nanEnd = min(max(begin, 0), count)
            base.initialize(repeating: .nan, count: nanEnd)
            if nanEnd < count { body(base) }
            initialized = count
        }
    }

    /// Three outputs sharing one lookback, written together by `body` (for functions whose outputs come from one
    /// pass).
    @inline(__always)
    static func make3(
        count: Int, begin: Int,
        _ body: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) -> Void
    ) -> ([Double], [Double], [Double]) {
        var second: [Double] = []
        var third: [Double] = []
        let first = make(count: count, begin: begin) { a in
            second = make(count: count, begin: begin) { b in
                third = make(count: count, begin: begin) { c in body(a, b, c) }
            }
        }
        if begin >= count { return (first, AlignedOutput.empty(count), AlignedOutput.empty(count)) }
        return (first, second, third)
    }

    /// All-NaN output.
    static func empty(_ count: Int) -> [Double] { [Double](repeating: .nan, count: count) }
}

/// Runs `body` with the base pointer of `array` (never nil: an empty array yields a dangling but unused pointer).
@inline(__always)
func withBase<R>(_ array: [Double], _ body: (UnsafePointer<Double>) -> R) -> R {
    array.withUnsafeBufferPointer { buffer in
        if let base = buffer.baseAddress { return body(base) }
        return withUnsafePointer(to: 0.0) { body($0) }
    }
}

#if os(Linux)
    internal import CPulseLinux
#endif

/// Allocator settings for the batch-computation commands (`indicators`, `backtest`).
///
/// Their work allocates and frees output arrays of many megabytes call after call (one `[Double]` per indicator
/// output, per strategy series, per optimiser run). By default glibc maps each such block afresh and unmaps it on
/// free, so every call page-faults its outputs in again: at 1M points that is most of an indicator's time, and
/// 35 of the 44 ms the expression language spends on an SMA-cross over 1M bars. Keeping freed memory in the
/// process (the steady state NumPy's callers and jemalloc-style allocators reach) removes that cost; the
/// footprint stays at its peak instead, which a short-lived command does not mind. `pulse serve` keeps glibc's
/// defaults so its memory returns to the system after a burst.
enum ComputeAllocator {
    static func keepFreedMemory() {
        #if os(Linux)
            _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)  // glibc's maximum for this setting on 64-bit
            _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
        #endif
    }
}

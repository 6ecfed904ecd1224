internal import CNghttp2

/// Header fields gathered into one byte buffer and handed to nghttp2 as an `nghttp2_nv` array, which
/// nghttp2 copies at submit time (no NO_COPY flags), so nothing has to outlive the submit call. Used for
/// the fields that vary: a client's request headers, a server's custom response headers and trailers.
struct HeaderVector {
    private var storage: [UInt8] = []
    private var ranges: [(name: Range<Int>, value: Range<Int>)] = []

    init(capacity: Int = 0) {
        ranges.reserveCapacity(capacity)
    }

    var isEmpty: Bool { ranges.isEmpty }

    mutating func append(name: some Sequence<UInt8>, value: some Sequence<UInt8>) {
        let nameStart = storage.count
        storage.append(contentsOf: name)
        let valueStart = storage.count
        storage.append(contentsOf: value)
        ranges.append((nameStart..<valueStart, valueStart..<storage.count))
    }

    /// Calls `body` with the fields; the pointers are valid only during the call.
    mutating func withFields<R>(_ body: ([nghttp2_nv]) -> R) -> R {
        storage.append(0)  // never empty, so the base address always exists
        defer { storage.removeLast() }
        let ranges = self.ranges
        return storage.withUnsafeMutableBufferPointer { bytes in
            let base = bytes.baseAddress!
            let fields = ranges.map { range in
                nghttp2_nv(
                    name: base + range.name.lowerBound, value: base + range.value.lowerBound,
                    namelen: range.name.count, valuelen: range.value.count, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            return body(fields)
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// A growable byte buffer for a connection's unsent output: everything one `mem_send` drain
/// produced, written with one system call, with the unsent tail kept when the socket is full.
final class OutputBuffer {
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private var readIndex = 0
    private var writeIndex = 0

    private let initialCapacity: Int

    init(capacity: Int = 16 * 1024) {
        initialCapacity = capacity
        self.capacity = capacity
        storage = .allocate(byteCount: capacity, alignment: 8)
    }

    deinit { storage.deallocate() }

    var isEmpty: Bool { readIndex == writeIndex }
    var count: Int { writeIndex - readIndex }

    /// The bytes not yet written.
    var unsent: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage + readIndex, count: count) }

    func append(_ bytes: UnsafeRawPointer, count: Int) {
        if writeIndex + count > capacity { makeRoom(for: count) }
        (storage + writeIndex).copyMemory(from: bytes, byteCount: count)
        writeIndex += count
    }

    /// Lets `fill` write up to `maxCount` bytes straight into the buffer (no copy through a scratch buffer);
    /// `fill` returns how many it wrote (0 or less: none).
    func appendInPlace(upTo maxCount: Int, _ fill: (UnsafeMutableRawPointer, Int) -> Int) {
        if writeIndex + maxCount > capacity { makeRoom(for: maxCount) }
        let written = fill(storage + writeIndex, maxCount)
        if written > 0 { writeIndex += min(written, maxCount) }
    }

    /// Marks `count` bytes as written.
    func consume(_ count: Int) {
        readIndex += count
        if readIndex == writeIndex {
            readIndex = 0
            writeIndex = 0
            if capacity > 4 * initialCapacity {
                // A burst grew the buffer; an idle connection gives the memory back.
                storage.deallocate()
                storage = .allocate(byteCount: initialCapacity, alignment: 8)
                capacity = initialCapacity
            }
        }
    }

    private func makeRoom(for extra: Int) {
        let live = count
        if readIndex > 0 {
            storage.copyMemory(from: storage + readIndex, byteCount: live)
            readIndex = 0
            writeIndex = live
        }
        guard live + extra > capacity else { return }
        var newCapacity = capacity * 2
        while newCapacity < live + extra { newCapacity *= 2 }
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 8)
        bigger.copyMemory(from: storage, byteCount: live)
        storage.deallocate()
        storage = bigger
        capacity = newCapacity
    }
}

@available(*, unavailable)
extension OutputBuffer: Sendable {}

/// The open streams of a connection, which keeps them alive: an array with swap-removal through
/// the slot each stream remembers, so opening and closing a stream costs no hashing.
struct StreamTable {
    private(set) var all: [ServerStream] = []

    var isEmpty: Bool { all.isEmpty }
    var count: Int { all.count }

    mutating func insert(_ stream: ServerStream) {
        stream.slot = all.count
        all.append(stream)
    }

    /// Removes `stream`; returns false when it was not in the table.
    @discardableResult
    mutating func remove(_ stream: ServerStream) -> Bool {
        let slot = stream.slot
        guard slot >= 0, slot < all.count, all[slot] === stream else { return false }
        let last = all.removeLast()
        if slot < all.count {
            all[slot] = last
            last.slot = slot
        }
        stream.slot = -1
        return true
    }

    /// Empties the table and returns what it held.
    mutating func removeAll() -> [ServerStream] {
        let streams = all
        all.removeAll()
        for stream in streams { stream.slot = -1 }
        return streams
    }
}

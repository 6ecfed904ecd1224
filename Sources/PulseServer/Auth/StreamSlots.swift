import Synchronization

/// Server streams open per API key on this instance, for the key's `max_streams` limit.
final class StreamSlots: Sendable {
    private let open = Mutex<[Int64: Int]>([:])

    /// Takes a slot if the key has fewer than `limit` open; returns whether it did.
    func acquire(keyID: Int64, limit: Int) -> Bool {
        open.withLock { open in
            let current = open[keyID, default: 0]
            guard current < limit else { return false }
            open[keyID] = current + 1
            return true
        }
    }

    func release(keyID: Int64) {
        open.withLock { open in
            let remaining = open[keyID, default: 1] - 1
            open[keyID] = remaining > 0 ? remaining : nil
        }
    }

    func count(keyID: Int64) -> Int { open.withLock { $0[keyID, default: 0] } }
}

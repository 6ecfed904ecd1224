/// The pending timers of one loop: a binary min-heap of deadlines plus the callbacks by id.
///
/// Cancelling removes only the callback; the heap entry is dropped lazily when it comes up,
/// which keeps cancel O(1) for the common case of a deadline that never fires.
struct TimerQueue {
    private struct Entry {
        var deadline: UInt64
        var id: UInt64
    }

    private var heap: [Entry] = []
    private var callbacks: [UInt64: () -> Void] = [:]
    private var nextID: UInt64 = 1

    var isEmpty: Bool { callbacks.isEmpty }

    /// The earliest deadline of a live timer, dropping cancelled entries on the way.
    mutating func earliestDeadline() -> UInt64? {
        while let top = heap.first {
            if callbacks[top.id] != nil { return top.deadline }
            popTop()
        }
        return nil
    }

    mutating func schedule(deadline: UInt64, _ callback: @escaping () -> Void) -> TimerHandle {
        let id = nextID
        nextID &+= 1
        callbacks[id] = callback
        heap.append(Entry(deadline: deadline, id: id))
        siftUp(heap.count - 1)
        return TimerHandle(id: id)
    }

    /// Returns true when the timer was still pending.
    @discardableResult
    mutating func cancel(_ handle: TimerHandle) -> Bool {
        callbacks.removeValue(forKey: handle.id) != nil
    }

    /// Removes and returns the callbacks of every timer due at `now`, earliest first.
    mutating func takeExpired(now: UInt64) -> [() -> Void] {
        var due: [() -> Void] = []
        while let top = heap.first, top.deadline <= now {
            popTop()
            if let callback = callbacks.removeValue(forKey: top.id) { due.append(callback) }
        }
        return due
    }

    private mutating func popTop() {
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            if heap[parent].deadline <= heap[child].deadline { break }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            if left >= heap.count { return }
            var smallest = left
            if left + 1 < heap.count && heap[left + 1].deadline < heap[left].deadline { smallest = left + 1 }
            if heap[parent].deadline <= heap[smallest].deadline { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

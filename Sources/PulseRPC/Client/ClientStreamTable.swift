/// Per-stream values of one client connection, by stream id, found without hashing.
///
/// A client opens odd stream ids in increasing order and most streams are short, so the streams in flight
/// lie in a window of recent ids: a ring indexed by `id / 2` finds each with one comparison. The ring
/// doubles while it is more than half full; a stream that outlives the window (a long subscription among
/// many unary calls) moves to an overflow dictionary instead of making the ring grow without bound.
struct ClientStreamTable<Value> {
    private struct Slot {
        var id: Int32 = 0
        var value: Value?
    }

    private var slots: [Slot]
    private var mask: Int
    private var overflow: [Int32: Value] = [:]
    private static var maxRingCapacity: Int { 1 << 16 }

    /// The number of streams in the table.
    private(set) var count = 0

    init(capacity: Int = 64) {
        var size = 8
        while size < capacity { size <<= 1 }
        slots = Array(repeating: Slot(), count: size)
        mask = size - 1
    }

    var isEmpty: Bool { count == 0 }

    subscript(id: Int32) -> Value? {
        get {
            let slot = slots[Self.index(id, mask)]
            if slot.id == id, let value = slot.value { return value }
            return overflow.isEmpty ? nil : overflow[id]
        }
        set {
            if let newValue {
                insert(newValue, for: id)
            } else {
                _ = remove(id)
            }
        }
    }

    /// Removes the value of stream `id` and returns it.
    mutating func remove(_ id: Int32) -> Value? {
        let index = Self.index(id, mask)
        if slots[index].id == id, let value = slots[index].value {
            slots[index] = Slot()
            count -= 1
            return value
        }
        guard !overflow.isEmpty, let value = overflow.removeValue(forKey: id) else { return nil }
        count -= 1
        return value
    }

    /// Every value, in no particular order.
    var values: [Value] {
        slots.compactMap(\.value) + overflow.values
    }

    mutating func removeAll() {
        for index in slots.indices { slots[index] = Slot() }
        overflow.removeAll()
        count = 0
    }

    private mutating func insert(_ value: Value, for id: Int32) {
        if !overflow.isEmpty, overflow[id] != nil {
            overflow[id] = value
            return
        }
        var index = Self.index(id, mask)
        if slots[index].value != nil && slots[index].id != id {
            if 2 * count >= slots.count && slots.count < Self.maxRingCapacity {
                grow()
                index = Self.index(id, mask)
            }
            if let older = slots[index].value, slots[index].id != id {
                // A long-lived stream in the way of a new one: it moves out of the ring.
                overflow[slots[index].id] = older
                slots[index] = Slot()  // still counted: it only moved
            }
        }
        if slots[index].value == nil { count += 1 }
        slots[index] = Slot(id: id, value: value)
    }

    /// Doubles the ring. Ids distinct modulo the old size stay distinct modulo the new one.
    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(), count: old.count * 2)
        mask = slots.count - 1
        for slot in old where slot.value != nil { slots[Self.index(slot.id, mask)] = slot }
    }

    private static func index(_ id: Int32, _ mask: Int) -> Int {
        Int(UInt32(bitPattern: id) >> 1) & mask
    }
}

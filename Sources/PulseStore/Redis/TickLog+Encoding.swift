/// How a tick is stored in its stream entry: one field, `tick`, holding 48 bytes little-endian,
///
///     offset  0  Int64   time_ms (market time)
///     offset  8  Float64 price
///     offset 16  Float64 size
///     offset 24  Float64 bid
///     offset 32  Float64 ask
///     offset 40  Int64   ingest_time_us
///
/// so an append carries no decimal text and Redis stores one value per entry. Entries written before this
/// format (fields `t p s b a i` as decimal text) are still read.
extension TickLog {
    static let packedField = "tick"
    static let packedSize = 48

    /// A run of entries with consecutive sequences, packed back to back: the unit the append script takes.
    struct PackedRun: Equatable {
        var first: UInt64
        var bytes: [UInt8]
        var count: Int { bytes.count / TickLog.packedSize }
    }

    /// Splits `entries` (strictly increasing sequences) into runs of consecutive sequences, each packed.
    static func packedRuns(_ entries: [Entry]) -> [PackedRun] {
        var runs: [PackedRun] = []
        var start = 0
        while start < entries.count {
            var end = start + 1
            while end < entries.count, entries[end].sequence == entries[end - 1].sequence &+ 1 { end += 1 }
            runs.append(PackedRun(first: entries[start].sequence, bytes: pack(entries[start..<end])))
            start = end
        }
        return runs
    }

    static func pack(_ entries: ArraySlice<Entry>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: entries.count * packedSize) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var offset = 0
            for entry in entries {
                raw.storeBytes(of: entry.timeMs.littleEndian, toByteOffset: offset, as: Int64.self)
                raw.storeBytes(of: entry.price.bitPattern.littleEndian, toByteOffset: offset + 8, as: UInt64.self)
                raw.storeBytes(of: entry.size.bitPattern.littleEndian, toByteOffset: offset + 16, as: UInt64.self)
                raw.storeBytes(of: entry.bid.bitPattern.littleEndian, toByteOffset: offset + 24, as: UInt64.self)
                raw.storeBytes(of: entry.ask.bitPattern.littleEndian, toByteOffset: offset + 32, as: UInt64.self)
                raw.storeBytes(of: entry.ingestTimeUs.littleEndian, toByteOffset: offset + 40, as: Int64.self)
                offset += packedSize
            }
            initialized = offset
        }
    }

    /// The entry a packed value holds, nil when it is not one.
    static func unpack(_ bytes: [UInt8], sequence: UInt64) -> Entry? {
        guard bytes.count == packedSize else { return nil }
        return bytes.withUnsafeBytes { raw in
            func double(_ offset: Int) -> Double {
                Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            }
            return Entry(
                sequence: sequence, timeMs: Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: Int64.self)),
                price: double(8), size: double(16), bid: double(24), ask: double(32),
                ingestTimeUs: Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 40, as: Int64.self)))
        }
    }

    static func sequence(ofID id: String) -> UInt64? {
        guard let dash = id.firstIndex(of: "-") else { return UInt64(id) }
        return UInt64(id[..<dash])
    }

    /// One `XRANGE`/`XREAD` entry (`[id, [field, value, …]]`) as a tick, in either format.
    static func entry(_ value: RedisValue) -> Entry? {
        guard let parts = value.array, parts.count == 2, let id = parts[0].string,
            let sequence = sequence(ofID: id), let fields = parts[1].array
        else { return nil }
        if fields.count == 2, fields[0].string == packedField, case .bulk(let bytes) = fields[1],
            let entry = unpack(bytes, sequence: sequence)
        {
            return entry
        }
        return legacyEntry(fields, sequence: sequence)
    }

    /// An entry written before the packed format: fields `t p s b a i` as decimal text. Missing fields read as 0,
    /// so an entry is never dropped (a replay would otherwise hide its sequence).
    private static func legacyEntry(_ fields: [RedisValue], sequence: UInt64) -> Entry {
        var values: [String: String] = [:]
        var index = 0
        while index + 1 < fields.count {
            if let name = fields[index].string { values[name] = fields[index + 1].string }
            index += 2
        }
        return Entry(
            sequence: sequence, timeMs: values["t"].flatMap { Int64($0) } ?? 0,
            price: values["p"].flatMap { Double($0) } ?? 0,
            size: values["s"].flatMap { Double($0) } ?? 0, bid: values["b"].flatMap { Double($0) } ?? 0,
            ask: values["a"].flatMap { Double($0) } ?? 0, ingestTimeUs: values["i"].flatMap { Int64($0) } ?? 0)
    }
}

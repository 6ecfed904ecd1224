internal import CNghttp2

/// A request's HTTP/2 header block built once, as the `nghttp2_nv` array nghttp2 takes, and reused by every
/// call that sends the request: no header strings are built, hashed or copied per call.
///
/// The fields and their order are exactly ``ClientRequest/headerBlock(authority:)``'s; the `:authority`
/// value is the one thing that depends on the connection, so its slot is filled at submit time with the
/// connection's authority (built once per connection). Immutable after `init`, so it may be shared by calls
/// on any loop.
// @unchecked: the storage is written only in `init`; afterwards it is only read.
final class ClientRequestHead: @unchecked Sendable {
    /// Names and values of all fields, back to back.
    private let bytes: UnsafeMutableBufferPointer<UInt8>
    /// The fields, pointing into `bytes`; the `:authority` entry is empty.
    private let fields: UnsafeMutableBufferPointer<nghttp2_nv>
    private let authorityIndex: Int

    /// Prebuilds `block` (a request's ``ClientRequest/headerBlock(authority:)``; its `:authority` value is
    /// replaced at submit time).
    init(_ block: [HTTP2HeaderField]) {
        let bytes = UnsafeMutableBufferPointer<UInt8>.allocate(
            capacity: block.reduce(1) { $0 + $1.name.utf8.count + $1.value.utf8.count })
        let fields = UnsafeMutableBufferPointer<nghttp2_nv>.allocate(capacity: block.count)
        var offset = 0
        func place(_ text: String) -> (UnsafeMutablePointer<UInt8>, Int) {
            let start = offset
            for byte in text.utf8 {
                bytes[offset] = byte
                offset += 1
            }
            return (bytes.baseAddress! + start, offset - start)
        }
        for (index, field) in block.enumerated() {
            let (name, nameLength) = place(field.name)
            let (value, valueLength) = place(field.value)
            (fields.baseAddress! + index).initialize(
                to: nghttp2_nv(
                    name: name, value: value, namelen: nameLength, valuelen: valueLength,
                    flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)))
        }
        self.bytes = bytes
        self.fields = fields
        authorityIndex = block.firstIndex { $0.name == ":authority" } ?? 0
    }

    deinit {
        fields.deallocate()
        bytes.deallocate()
    }

    /// The number of header fields.
    var count: Int { fields.count }

    /// The fields as strings, `:authority` set to `authority` (for tests and diagnostics).
    func headerFields(authority: String) -> [HTTP2HeaderField] {
        fields.indices.map { index in
            let field = fields[index]
            let name = String(decoding: UnsafeBufferPointer(start: field.name, count: field.namelen), as: UTF8.self)
            let value = String(decoding: UnsafeBufferPointer(start: field.value, count: field.valuelen), as: UTF8.self)
            return HTTP2HeaderField(name: name, value: index == authorityIndex ? authority : value)
        }
    }

    /// Calls `body` with the fields, `:authority` set to `authority`; the pointers are valid only during the
    /// call (nghttp2 copies the fields at submit time).
    func withFields<R>(authority: UnsafeBufferPointer<UInt8>, _ body: (UnsafeMutableBufferPointer<nghttp2_nv>) -> R)
        -> R
    {
        withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: fields.count) { vector in
            _ = vector.initialize(fromContentsOf: fields)
            if let base = authority.baseAddress {
                vector[authorityIndex].value = UnsafeMutablePointer(mutating: base)
                vector[authorityIndex].valuelen = authority.count
            }
            return body(vector)
        }
    }
}

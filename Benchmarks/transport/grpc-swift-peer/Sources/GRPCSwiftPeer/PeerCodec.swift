import GRPCCore

/// Passes message bytes through unchanged: the peer encodes its few messages by hand, so the
/// benchmark measures the transport and not a protobuf library.
struct RawBytesSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes {
        Bytes(message)
    }
}

/// Copies the received message into a `[UInt8]`.
struct RawBytesDeserializer: MessageDeserializer {
    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
        serializedMessageBytes.withUnsafeBytes { Array($0) }
    }
}

/// The few protobuf-wire facts the peer needs, written out by hand.
enum PeerWire {
    /// `HealthCheckResponse { status: SERVING }`.
    static let serving: [UInt8] = [0x08, 0x01]

    /// Builds `EchoResponse { payload = 1 }` from `EchoRequest { payload = 1, ... }`: the payload
    /// field is copied, every other field is dropped. Malformed input yields an empty response.
    static func echoResponse(for request: [UInt8]) -> [UInt8] {
        guard let payload = lengthDelimitedField(1, in: request) else { return [] }
        var out: [UInt8] = [0x0A]
        out.reserveCapacity(payload.count + 6)
        var length = UInt64(payload.count)
        while length >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: length) | 0x80)
            length >>= 7
        }
        out.append(UInt8(length))
        out.append(contentsOf: payload)
        return out
    }

    private static func lengthDelimitedField(_ number: UInt64, in bytes: [UInt8]) -> ArraySlice<UInt8>? {
        var index = 0
        func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while index < bytes.count, shift < 64 {
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }
        while index < bytes.count {
            guard let tag = varint() else { return nil }
            switch tag & 7 {
            case 0: guard varint() != nil else { return nil }
            case 1: index += 8
            case 5: index += 4
            case 2:
                guard let length = varint(), length <= UInt64(bytes.count - index) else { return nil }
                let field = bytes[index..<index + Int(length)]
                index += Int(length)
                if tag >> 3 == number { return field }
            default: return nil
            }
        }
        return nil
    }
}

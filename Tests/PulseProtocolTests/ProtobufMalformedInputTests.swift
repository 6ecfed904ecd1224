import Testing

@testable import PulseProtocol

@Suite("Protobuf decoding of malformed input")
struct ProtobufMalformedInputTests {
    @Test(
        "each malformation gives its typed error",
        arguments: [
            ("08", ProtocolError.Code.truncated),  // tag without value
            ("08 96", .truncated),  // varint cut short
            ("08 ff ff ff ff ff ff ff ff ff 02", .overlongVarint),  // tenth byte beyond bit 63
            ("08 80 80 80 80 80 80 80 80 80 80 01", .overlongVarint),  // eleven bytes
            ("12 05 61 62", .lengthOutOfBounds),  // string longer than the buffer
            ("12 ff ff ff ff 0f", .lengthOutOfBounds),  // 4 GiB length
            ("0e 00", .invalidWireType),  // wire type 6
            ("0f 00", .invalidWireType),  // wire type 7
            ("9b 06 9c 06", .groupsUnsupported),  // a group in an unknown field
            ("00 00", .invalidFieldNumber),  // field 0
            ("f8 ff ff ff ff 01 00", .invalidFieldNumber),  // key beyond 32 bits
            ("09 00 00 00 00 00 00 00 00", .wireTypeMismatch),  // int32 field sent as fixed64
            ("12 02 c3 28", .invalidUTF8),  // invalid UTF-8 in a string
            ("22 07 00 00 00 00 00 00 00", .invalidPackedLength),  // packed doubles not a multiple of 8
            ("41 00 00 00", .truncated),  // double cut short
            ("1a 03 08 96", .lengthOutOfBounds),  // nested length beyond the buffer
            ("1a 02 08 96 01", .truncated),  // nested varint crosses the nested message's end
        ])
    func malformed(input: String, expected: ProtocolError.Code) {
        #expect(decodeError(SampleMessage.self, hex(input))?.code == expected)
    }

    @Test("nesting is bounded at 64 levels")
    func nestingLimit() throws {
        func nested(depth: Int) -> SampleMessage {
            var node = SampleNested(value: 1)
            for _ in 1..<depth { node = SampleNested(value: 1, inner: node) }
            var message = SampleMessage()
            message.child = node
            return message
        }
        let ok = nested(depth: 64)
        #expect(try SampleMessage(serializedBytes: ok.serializedBytes()) == ok)
        #expect(decodeError(SampleMessage.self, nested(depth: 65).serializedBytes())?.code == .nestingTooDeep)
    }

    @Test("every truncation of a valid message fails cleanly or decodes a prefix")
    func truncations() {
        var message = SampleMessage()
        message.id = 7
        message.name = "truncate me"
        message.child = SampleNested(value: 3, blob: [1, 2, 3])
        message.series = [1, 2, 3]
        message.stamps = [1, 300, -5]
        let bytes = message.serializedBytes()
        for cut in 0..<bytes.count {
            // Must not trap; a cut on a field boundary legitimately decodes the fields before it.
            _ = decodeError(SampleMessage.self, Array(bytes[..<cut]))
        }
        #expect(decodeError(SampleMessage.self, Array(bytes[..<(bytes.count - 1)])) != nil)
    }

    @Test("random bytes never trap")
    func randomBytes() {
        var generator = SplitMix64(seed: 0x5EED)
        var failures = 0
        for _ in 0..<4_000 {
            let count = Int(generator.next() % 64)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if decodeError(SampleMessage.self, bytes) != nil { failures += 1 }
            _ = try? EchoRequest(serializedBytes: bytes)
            _ = try? HealthCheckResponse(serializedBytes: bytes)
        }
        // Most random inputs are malformed; the point is that none trapped.
        #expect(failures > 2_000)
    }

    @Test("errors say where and in which field")
    func errorDescription() {
        let error = decodeError(SampleMessage.self, hex("08 01 12 05 61"))
        #expect(error?.fieldNumber == 0 || error?.fieldNumber == 2)
        #expect(error?.offset == 4)
        #expect(error?.description.contains("length out of bounds") == true)
    }
}

/// A small deterministic generator so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

import Testing

@testable import PulseProtocol

@Suite("Protobuf wire encoding")
struct ProtobufWireTests {
    @Test(
        "varints match the protobuf spec's encodings",
        arguments: [
            (UInt64(0), "00"), (1, "01"), (127, "7f"), (128, "80 01"), (150, "96 01"), (300, "ac 02"),
            (16_384, "80 80 01"), (UInt64(UInt32.max), "ff ff ff ff 0f"),
            (UInt64.max, "ff ff ff ff ff ff ff ff ff 01"),
        ])
    func varint(value: UInt64, expected: String) throws {
        var writer = ProtobufWriter()
        writer.writeVarint(value)
        #expect(writer.bytes == hex(expected))
        #expect(ProtobufWriter.varintSize(value) == hex(expected).count)
        let decoded = try writer.bytes.withUnsafeBytes { buffer in
            var reader = ProtobufReader(buffer)
            return try reader.readVarint()
        }
        #expect(decoded == value)
    }

    @Test(
        "zigzag maps signed values as the spec's table says",
        arguments: [
            (Int64(0), UInt64(0)), (-1, 1), (1, 2), (-2, 3), (2_147_483_647, 4_294_967_294),
            (-2_147_483_648, 4_294_967_295),
        ])
    func zigzag(value: Int64, expected: UInt64) {
        #expect(ProtobufWriter.zigzag(value) == expected)
        #expect(ProtobufWriter.zigzag(Int32(value)) == expected)
    }

    @Test("the spec's examples: int32 150, string, nested message")
    func specExamples() throws {
        var message = SampleMessage()
        message.id = 150
        #expect(message.serializedBytes() == hex("08 96 01"))
        message = SampleMessage()
        message.name = "testing"
        #expect(message.serializedBytes() == hex("12 07 74 65 73 74 69 6e 67"))
        message = SampleMessage()
        message.child = SampleNested(value: 75)  // sint32 75 → zigzag 150
        #expect(message.serializedBytes() == hex("1a 03 08 96 01"))
        #expect(try SampleMessage(serializedBytes: hex("1a 03 08 96 01")) == message)
    }

    @Test("negative int32 is sign-extended to ten bytes")
    func negativeInt32() throws {
        var message = SampleMessage()
        message.id = -1
        #expect(message.serializedBytes() == hex("08 ff ff ff ff ff ff ff ff ff 01"))
        #expect(try SampleMessage(serializedBytes: message.serializedBytes()).id == -1)
    }

    @Test("defaults are omitted, but -0.0 and NaN are written as protobuf does")
    func implicitPresence() {
        #expect(SampleMessage().serializedBytes().isEmpty)
        var message = SampleMessage()
        message.price = -0.0
        #expect(message.serializedBytes() == hex("41 00 00 00 00 00 00 00 80"))
        message.price = .nan
        #expect(message.serializedBytes().count == 9)
    }

    @Test("packed doubles are one little-endian block")
    func packedDoubles() throws {
        var message = SampleMessage()
        message.series = [1.0, -2.5]
        // 1.0 = 0x3FF0000000000000, -2.5 = 0xC004000000000000
        let expected = hex("22 10 00 00 00 00 00 00 f0 3f 00 00 00 00 00 00 04 c0")
        #expect(message.serializedBytes() == expected)
        #expect(try SampleMessage(serializedBytes: expected).series == [1.0, -2.5])
    }

    @Test("repeated scalars decode from packed and unpacked encodings, and from several packed runs")
    func packedAndUnpacked() throws {
        let unpacked = hex("21 00 00 00 00 00 00 f0 3f 21 00 00 00 00 00 00 04 c0 30 05 30 7f")
        let decoded = try SampleMessage(serializedBytes: unpacked)
        #expect(decoded.series == [1.0, -2.5])
        #expect(decoded.stamps == [5, 127])
        let twoRuns = hex("22 08 00 00 00 00 00 00 f0 3f 22 08 00 00 00 00 00 00 04 c0 32 02 05 7f")
        let again = try SampleMessage(serializedBytes: twoRuns)
        #expect(again.series == [1.0, -2.5])
        #expect(again.stamps == [5, 127])
    }

    @Test(
        "nested bodies of 128 bytes and more get multi-byte lengths",
        arguments: [127, 128, 300, 16_383, 16_384, 70_000])
    func longNestedBodies(blobSize: Int) throws {
        var message = SampleMessage()
        let blob = (0..<blobSize).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        message.child = SampleNested(value: 1, inner: SampleNested(value: -2, blob: blob))
        message.id = 9
        let bytes = message.serializedBytes()
        // Tag 1a, then the child's length as a varint, then exactly that many bytes.
        let innerLength = 2 + 1 + ProtobufWriter.varintSize(UInt64(blobSize)) + blobSize
        let childLength = 2 + 1 + ProtobufWriter.varintSize(UInt64(innerLength)) + innerLength
        #expect(bytes.count == 2 + 1 + ProtobufWriter.varintSize(UInt64(childLength)) + childLength)
        #expect(try SampleMessage(serializedBytes: bytes) == message)
    }

    @Test("a full message round-trips")
    func roundTrip() throws {
        var message = SampleMessage()
        message.id = -42
        message.name = "Zürich ✓"
        message.child = SampleNested(value: Int32.min, inner: SampleNested(value: Int32.max))
        message.series = [0, .infinity, -.greatestFiniteMagnitude, 1e-300]
        message.delta = Int64.min
        message.stamps = [Int64.min, -1, 0, Int64.max]
        message.flag = true
        message.price = 187.25
        message.tags = ["a", "", "c"]
        message.children = [SampleNested(value: 1), SampleNested(), SampleNested(value: -1, blob: [0, 255])]
        #expect(try SampleMessage(serializedBytes: message.serializedBytes()) == message)
    }

    @Test("a message field that appears twice is merged")
    func mergesRepeatedMessageField() throws {
        // child { value: 1 } then child { blob: "\x07" } → child { value: 1, blob: "\x07" }
        let decoded = try SampleMessage(serializedBytes: hex("1a 02 08 02 1a 03 1a 01 07"))
        #expect(decoded.child == SampleNested(value: 1, blob: [7]))
    }

    @Test("unknown fields of every wire type are skipped")
    func skipsUnknownFields() throws {
        // field 99 varint, field 100 fixed64, field 101 length-delimited, field 102 fixed32, then id = 150
        let bytes = hex("98 06 ff 01  a1 06 01 02 03 04 05 06 07 08  aa 06 02 aa bb  b5 06 01 02 03 04  08 96 01")
        #expect(try SampleMessage(serializedBytes: bytes).id == 150)
    }

    @Test("decoding from a slice of a larger buffer reads only the slice")
    func decodesSlices() throws {
        let framed: [UInt8] = [0xFF, 0x08, 0x96, 0x01, 0xFF]
        #expect(try SampleMessage(serializedBytes: framed[1..<4]).id == 150)
    }
}

import Testing

@testable import PulseProtocol

@Suite("gRPC length-prefixed framing")
struct GRPCFramingTests {
    @Test("a frame is flag 0, big-endian length, then the body")
    func frameLayout() {
        let message = EchoRequest(payload: Array(repeating: 7, count: 300))
        let body = message.serializedBytes()
        let frame = GRPCFraming.frame(message)
        #expect(Array(frame[..<5]) == [0, 0, 0, UInt8(body.count >> 8), UInt8(body.count & 0xFF)])
        #expect(Array(frame[5...]) == body)
        #expect(GRPCFraming.frame(body: body) == frame)
    }

    @Test("append frames several messages into one buffer")
    func appendSeveral() throws {
        var buffer: [UInt8] = [9]
        GRPCFraming.append(StreamItem(index: 1), to: &buffer)
        GRPCFraming.append(StreamItem(index: 2, payload: [1, 2]), to: &buffer)
        var deframer = GRPCMessageDeframer()
        deframer.append(buffer[1...])
        #expect(try StreamItem(serializedBytes: try #require(try deframer.next())) == StreamItem(index: 1))
        #expect(
            try StreamItem(serializedBytes: try #require(try deframer.next())) == StreamItem(index: 2, payload: [1, 2]))
        #expect(try deframer.next() == nil)
        #expect(buffer[0] == 9)
    }

    @Test("messages split at every possible boundary are reassembled")
    func everySplit() throws {
        let messages = [
            EchoRequest(payload: [1, 2, 3]), EchoRequest(), EchoRequest(payload: Array(repeating: 0xAB, count: 200)),
        ]
        var stream: [UInt8] = []
        for message in messages { GRPCFraming.append(message, to: &stream) }
        for first in 0...stream.count {
            for second in stride(from: first, through: stream.count, by: 7) {
                var deframer = GRPCMessageDeframer()
                var received: [EchoRequest] = []
                for chunk in [stream[..<first], stream[first..<second], stream[second...]] {
                    deframer.append(chunk)
                    while let body = try deframer.next() { received.append(try EchoRequest(serializedBytes: body)) }
                }
                #expect(received == messages)
                #expect(!deframer.hasPartialMessage)
            }
        }
    }

    @Test("byte-at-a-time delivery works and leaves a partial message visible")
    func byteAtATime() throws {
        let frame = GRPCFraming.frame(EchoResponse(payload: [5, 6, 7]))
        var deframer = GRPCMessageDeframer()
        for byte in frame.dropLast() {
            deframer.append(CollectionOfOne(byte))
            #expect(try deframer.next() == nil)
        }
        #expect(deframer.hasPartialMessage)
        deframer.append(CollectionOfOne(frame.last!))
        #expect(try deframer.next() == EchoResponse(payload: [5, 6, 7]).serializedBytes())
    }

    @Test("an oversized declared length is refused from the prefix alone")
    func oversized() {
        var deframer = GRPCMessageDeframer(maxMessageSize: 1024)
        deframer.append([0, 0, 0, 4, 1] as [UInt8])  // 1025 bytes declared, none sent
        #expect(statusCode { _ = try deframer.next() } == .resourceExhausted)
        var huge = GRPCMessageDeframer()
        huge.append([0, 0xFF, 0xFF, 0xFF, 0xFF] as [UInt8])  // 4 GiB
        #expect(statusCode { _ = try huge.next() } == .resourceExhausted)
        var atLimit = GRPCMessageDeframer(maxMessageSize: 3)
        atLimit.append([0, 0, 0, 0, 3, 1, 2, 3] as [UInt8])
        #expect(statusCode { _ = try atLimit.next() } == .ok)
    }

    @Test("the compressed flag without an encoding is INTERNAL; with an unsupported one UNIMPLEMENTED")
    func compressedFlag() {
        var plain = GRPCMessageDeframer()
        plain.append([1, 0, 0, 0, 1, 0] as [UInt8])
        #expect(statusCode { _ = try plain.next() } == .internal)
        var identity = GRPCMessageDeframer(messageEncoding: "identity")
        identity.append([1, 0, 0, 0, 1, 0] as [UInt8])
        #expect(statusCode { _ = try identity.next() } == .internal)
        var gzip = GRPCMessageDeframer(messageEncoding: "gzip")
        gzip.append([1, 0, 0, 0, 1, 0] as [UInt8])
        #expect(statusCode { _ = try gzip.next() } == .unimplemented)
        var badFlag = GRPCMessageDeframer()
        badFlag.append([2, 0, 0, 0, 0] as [UInt8])
        #expect(statusCode { _ = try badFlag.next() } == .internal)
    }

    @Test("an empty message is returned as an empty body")
    func emptyMessage() throws {
        var deframer = GRPCMessageDeframer()
        deframer.append([0, 0, 0, 0, 0] as [UInt8])
        #expect(try deframer.next() == [])
        #expect(try deframer.next() == nil)
    }

    @Test("the buffer stays bounded while many small messages stream through")
    func boundedBuffer() throws {
        var deframer = GRPCMessageDeframer()
        let frame = GRPCFraming.frame(StreamItem(index: 42, payload: [1, 2, 3, 4]))
        var count = 0
        for _ in 0..<10_000 {
            deframer.append(frame + frame.prefix(3))
            while try deframer.next() != nil { count += 1 }
            deframer.append(frame.dropFirst(3))
            while try deframer.next() != nil { count += 1 }
            #expect(deframer.bufferedByteCount == 0)
        }
        #expect(count == 20_000)
    }
}

/// The status code a throwing call produced, `.ok` when it did not throw.
func statusCode(_ body: () throws -> Void) -> GRPCStatus.Code? {
    do {
        try body()
        return .ok
    } catch let status as GRPCStatus {
        return status.code
    } catch {
        return nil
    }
}

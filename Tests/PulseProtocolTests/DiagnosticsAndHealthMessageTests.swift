import Testing

@testable import PulseProtocol

@Suite("Health and Diagnostics messages")
struct DiagnosticsAndHealthMessageTests {
    @Test("EchoRequest encodes each field with its tag, in field order")
    func echoRequestBytes() throws {
        let request = EchoRequest(
            payload: [1, 2, 3], delayMs: 5, failCode: -1, failMessage: "no", useComputePool: true)
        let expected = hex("0a 03 01 02 03  10 05  18 ff ff ff ff ff ff ff ff ff 01  22 02 6e 6f  28 01")
        #expect(request.serializedBytes() == expected)
        #expect(try EchoRequest(serializedBytes: expected) == request)
        #expect(EchoRequest().serializedBytes().isEmpty)
    }

    @Test("a bytes payload survives every byte value, no String round trip")
    func binaryPayload() throws {
        let payload = (0..<1000).map { UInt8(truncatingIfNeeded: $0) }
        let response = EchoResponse(payload: payload)
        #expect(try EchoResponse(serializedBytes: response.serializedBytes()).payload == payload)
    }

    @Test("StreamRequest and StreamItem round-trip and match hand-computed bytes")
    func streamMessages() throws {
        let request = StreamRequest(count: 10_000, payloadSize: 64, intervalMs: 1)
        #expect(request.serializedBytes() == hex("08 90 4e 10 40 18 01"))
        #expect(try StreamRequest(serializedBytes: request.serializedBytes()) == request)
        let item = StreamItem(index: 300, payload: [0xFF])
        #expect(item.serializedBytes() == hex("08 ac 02 12 01 ff"))
        #expect(try StreamItem(serializedBytes: item.serializedBytes()) == item)
    }

    @Test("Health messages use the standard field numbers and keep unknown enum values")
    func health() throws {
        #expect(
            HealthCheckRequest(service: "pulse.v1.Quotes").serializedBytes() == [0x0A, 15]
                + Array("pulse.v1.Quotes".utf8))
        #expect(HealthCheckResponse(status: .serving).serializedBytes() == hex("08 01"))
        #expect(HealthCheckResponse(status: .unknown).serializedBytes() == [])
        #expect(try HealthCheckResponse(serializedBytes: hex("08 03")).status == .serviceUnknown)
        let future = try HealthCheckResponse(serializedBytes: hex("08 07"))
        #expect(future.status.rawValue == 7)
        #expect(future.serializedBytes() == hex("08 07"))
    }
}

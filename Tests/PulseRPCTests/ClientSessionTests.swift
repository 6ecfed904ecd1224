import PulseProtocol
import Testing

@testable import PulseRPC

@Suite("HTTP/2 client session (bytes in, bytes out)")
struct ClientSessionTests {
    typealias F = ClientTestFrames

    private func output(_ session: HTTP2ClientSession) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try session.drainOutput(into: &bytes)
        return bytes
    }

    private func feed(_ session: HTTP2ClientSession, _ bytes: [UInt8]) throws -> [HTTP2ClientEvent] {
        try bytes.withUnsafeBytes { try session.receive($0) }
    }

    private func request(_ session: HTTP2ClientSession, body: [UInt8] = [0, 0, 0, 0, 0]) throws -> Int32 {
        let fields = ClientRequest(path: "/pulse.v1.Diagnostics/Echo", body: body).headerBlock(authority: "x:1")
        return try session.submitRequest(headers: fields, body: body)
    }

    @Test func startsWithPrefaceAndSettingsThatDisablePushAndSetTheStreamWindow() throws {
        let session = try HTTP2ClientSession(settings: .init(streamWindow: 1 << 20, connectionWindow: 16 << 20))
        let bytes = try output(session)
        #expect(bytes.starts(with: Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)))
        let settings = F.frames(ofType: F.settings, in: bytes)
        #expect(settings.count == 1)
        let payload = settings.first?.payload ?? []
        // Entries are 6 bytes: 2-byte id, 4-byte value. ENABLE_PUSH = 0x2, INITIAL_WINDOW_SIZE = 0x4.
        var entries: [UInt16: UInt32] = [:]
        for offset in stride(from: 0, to: payload.count - 5, by: 6) {
            let id = UInt16(payload[offset]) << 8 | UInt16(payload[offset + 1])
            let value = payload[offset + 2..<offset + 6].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            entries[id] = value
        }
        #expect(entries[2] == 0)
        #expect(entries[4] == 1 << 20)
        // The connection window is raised with a WINDOW_UPDATE on stream 0.
        #expect(F.frames(ofType: F.windowUpdate, in: bytes).contains { $0.stream == 0 })
    }

    @Test func requestIsOneHeadersFrameAndTheBodyWithEndStream() throws {
        let session = try HTTP2ClientSession()
        _ = try output(session)
        let body: [UInt8] = [0, 0, 0, 0, 3, 0x0A, 0x01, 0x41]
        let stream = try request(session, body: body)
        #expect(stream == 1)
        let bytes = try output(session)
        #expect(F.frames(ofType: F.headers, in: bytes).map(\.stream) == [1])
        let data = F.frames(ofType: F.data, in: bytes)
        #expect(data.map(\.payload) == [body])
        #expect(data.last.map { $0.flags & F.endStream } == F.endStream)
    }

    @Test func responseHeadersDataAndTrailersBecomeEventsInOrder() throws {
        let session = try HTTP2ClientSession()
        let stream = try request(session)
        _ = try output(session)
        let message: [UInt8] = [0, 0, 0, 0, 2, 0x08, 0x01]
        let events = try feed(
            session,
            F.serverPreface + F.responseHeaders(stream: 1) + F.frame(F.data, stream: 1, message)
                + F.trailers(stream: 1, [("grpc-status", "0")]))
        #expect(
            events == [
                .headers(
                    streamID: stream,
                    fields: [
                        .init(name: ":status", value: "200"), .init(name: "content-type", value: "application/grpc"),
                    ],
                    isTrailers: false, endStream: false),
                .data(streamID: stream, bytes: message),
                .headers(
                    streamID: stream, fields: [.init(name: "grpc-status", value: "0")], isTrailers: true,
                    endStream: true),
                .streamClosed(streamID: stream, errorCode: 0),
            ])
    }

    @Test func resetAndGoAwayAreReported() throws {
        let session = try HTTP2ClientSession()
        let first = try request(session)
        let second = try request(session)
        _ = try output(session)
        let refused = F.frame(F.rstStream, stream: UInt32(first), F.bigEndian(0x7))
        let goAway = F.frame(F.goAway, stream: 0, F.bigEndian(0) + F.bigEndian(0))
        let events = try feed(session, F.serverPreface + refused + goAway)
        #expect(events.contains(.streamClosed(streamID: first, errorCode: 0x7)))
        #expect(events.contains(.goAway(lastStreamID: 0, errorCode: 0)))
        // Streams above the GOAWAY's last stream id were never processed: nghttp2 closes them REFUSED_STREAM.
        #expect(events.contains(.streamClosed(streamID: second, errorCode: 0x7)))
        #expect(!session.canOpenStream)
    }

    @Test func cancelSendsRstStreamCancelAndClosesTheStreamWhenSent() throws {
        let session = try HTTP2ClientSession()
        let stream = try request(session)
        _ = try output(session)
        _ = try feed(session, F.serverPreface + F.responseHeaders(stream: 1))
        session.cancel(streamID: stream)
        let bytes = try output(session)
        let resets = F.frames(ofType: F.rstStream, in: bytes)
        #expect(resets.map(\.stream) == [UInt32(stream)])
        #expect(resets.first?.payload == F.bigEndian(0x8))  // CANCEL
        #expect(session.takeEvents() == [.streamClosed(streamID: stream, errorCode: 0x8)])
    }

    @Test func protocolViolationByTheServerEndsTheSessionWithGoAwayProtocolError() throws {
        let session = try HTTP2ClientSession()
        _ = try output(session)
        _ = try feed(session, F.serverPreface + F.frame(F.data, stream: 0, [1, 2, 3]))
        let goAway = F.frames(ofType: F.goAway, in: try output(session))
        #expect(goAway.count == 1)
        #expect(goAway.first.map { Array($0.payload[4..<8]) } == F.bigEndian(0x1))  // PROTOCOL_ERROR
        #expect(!session.isActive)
    }

    @Test func windowUpdatesWaitUntilTheCallerConsumes() throws {
        let session = try HTTP2ClientSession(settings: .init(streamWindow: 256 * 1024, connectionWindow: 16 << 20))
        let stream = try request(session)
        _ = try output(session)
        var incoming = F.serverPreface + F.responseHeaders(stream: 1)
        for _ in 0..<10 { incoming += F.frame(F.data, stream: 1, Array(repeating: 7, count: 16 * 1024)) }
        let events = try feed(session, incoming)
        let received = events.reduce(0) { sum, event in
            if case .data(_, let bytes) = event { return sum + bytes.count }
            return sum
        }
        #expect(received == 160 * 1024)
        #expect(F.frames(ofType: F.windowUpdate, in: try output(session)).filter { $0.stream == 1 }.isEmpty)
        session.consume(streamID: stream, count: received)
        #expect(!F.frames(ofType: F.windowUpdate, in: try output(session)).filter { $0.stream == 1 }.isEmpty)
    }
}

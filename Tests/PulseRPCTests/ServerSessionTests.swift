import PulseProtocol
import Testing

@testable import PulseRPC

/// Records what an ``HTTP2ServerSession`` reports, and answers bodies from a queue.
private final class RecordingDelegate: HTTP2ServerSessionDelegate {
    var log: [String] = []
    var body: [UInt8] = []
    var finishBody = false

    func session(_ event: HTTP2ServerEvent) {
        switch event {
        case .requestBegan(let id): log.append("begin \(id)")
        case .header(_, let name, let value):
            log.append("\(String(decoding: name, as: UTF8.self))=\(String(decoding: value, as: UTF8.self))")
        case .headersComplete(let id, let end): log.append("headers \(id) end=\(end)")
        case .data(let id, let bytes): log.append("data \(id) \(Array(bytes))")
        case .dataFrame(let id, let length, let end): log.append("dataFrame \(id) \(length) end=\(end)")
        case .settings: log.append("settings")
        case .ping(_, let ack): log.append("ping ack=\(ack)")
        case .streamClosed(let id, let code): log.append("closed \(id) \(code)")
        case .streamEndSent(let id): log.append("endSent \(id)")
        case .resetSent(let id, let code): log.append("reset \(id) \(code)")
        case .invalidFrame: log.append("invalid")
        }
    }

    func sessionResponseBody(streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> HTTP2ResponseChunk {
        let count = min(body.count, buffer.count)
        body.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        body.removeFirst(count)
        if body.isEmpty && finishBody { return .last(count) }
        return count == 0 ? .deferred : .bytes(count)
    }
}

@Suite("HTTP/2 server session (bytes in, events out; no sockets)")
struct ServerSessionTests {
    private func output(_ session: HTTP2ServerSession) -> [UInt8] {
        let buffer = OutputBuffer()
        #expect(session.drainOutput(into: buffer, limit: .max) == nil)
        return Array(buffer.unsent)
    }

    private func clientOutput(_ client: HTTP2ClientSession) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try client.drainOutput(into: &bytes)
        return bytes
    }

    @Test("a client's request arrives as events in order; the response goes back as bytes")
    func requestAndResponse() throws {
        let server = try HTTP2ServerSession(configuration: ServerConfiguration())
        let delegate = RecordingDelegate()
        server.delegate = delegate
        let client = try HTTP2ClientSession()
        let framed = GRPCFraming.frame(body: [1, 2, 3])
        let request = ClientRequest(path: "/pulse.v1.Diagnostics/Echo", body: framed)
        let id = try client.submitRequest(headers: request.headerBlock(authority: "x:1"), body: framed)
        let bytes = try clientOutput(client)
        #expect(bytes.withUnsafeBytes { server.receive($0) } == nil)
        #expect(delegate.log.first == "settings")
        #expect(delegate.log.contains("begin \(id)"))
        #expect(delegate.log.contains(":path=/pulse.v1.Diagnostics/Echo"))
        #expect(delegate.log.contains("headers \(id) end=false"))
        #expect(delegate.log.contains("data \(id) \(framed)"))
        #expect(delegate.log.last == "dataFrame \(id) \(framed.count) end=true")

        delegate.body = framed
        delegate.finishBody = true
        HeaderFields.responseHead.withUnsafeBufferPointer {
            server.submitResponse(streamID: id, $0.baseAddress, $0.count, withBody: true)
        }
        server.resumeData(streamID: id)
        let response = output(server)
        let events = try response.withUnsafeBytes { try client.receive($0) }
        #expect(events.contains { if case .data(id, framed) = $0 { return true } else { return false } })
        #expect(!server.isFinished)
    }

    @Test("bytes that are not HTTP/2 fail the session; terminate ends it with a GOAWAY")
    func failureAndTermination() throws {
        let server = try HTTP2ServerSession(configuration: ServerConfiguration())
        let delegate = RecordingDelegate()
        server.delegate = delegate
        let garbage = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        let failure = garbage.withUnsafeBytes { server.receive($0) }
        #expect(failure != nil)
        #expect(failure?.continuationFlood == false)

        let calm = try HTTP2ServerSession(configuration: ServerConfiguration())
        calm.delegate = delegate
        calm.terminate(errorCode: HTTP2ErrorCode.enhanceYourCalm)
        let bytes = output(calm)
        #expect(ClientTestFrames.frames(ofType: 7, in: bytes).count == 1)  // GOAWAY
        #expect(calm.isFinished)
    }
}

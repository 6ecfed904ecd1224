/// Hand-made HTTP/2 frames a test server "sends" to the client session (RFC 9113 §4.1, RFC 7541 §6.2.2).
enum ClientTestFrames {
    static let data: UInt8 = 0x0
    static let headers: UInt8 = 0x1
    static let rstStream: UInt8 = 0x3
    static let settings: UInt8 = 0x4
    static let goAway: UInt8 = 0x7
    static let windowUpdate: UInt8 = 0x8
    static let endStream: UInt8 = 0x1
    static let endHeaders: UInt8 = 0x4

    static func frame(_ type: UInt8, flags: UInt8 = 0, stream: UInt32, _ payload: [UInt8] = []) -> [UInt8] {
        let length = UInt32(payload.count)
        return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags]
            + bigEndian(stream) + payload
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// A header block of "literal without indexing, new name" fields (names and values under 127 bytes).
    static func headerBlock(_ fields: [(String, String)]) -> [UInt8] {
        var block: [UInt8] = []
        for (name, value) in fields {
            block.append(0x00)
            block.append(UInt8(name.utf8.count))
            block += Array(name.utf8)
            block.append(UInt8(value.utf8.count))
            block += Array(value.utf8)
        }
        return block
    }

    /// The server's connection preface: an empty SETTINGS frame, plus the ACK of the client's SETTINGS.
    static let serverPreface = frame(settings, stream: 0) + frame(settings, flags: 0x1, stream: 0)

    static func responseHeaders(stream: UInt32, status: String = "200", contentType: String = "application/grpc")
        -> [UInt8]
    {
        frame(
            headers, flags: endHeaders, stream: stream,
            headerBlock([(":status", status), ("content-type", contentType)]))
    }

    static func trailers(stream: UInt32, _ fields: [(String, String)]) -> [UInt8] {
        frame(headers, flags: endHeaders | endStream, stream: stream, headerBlock(fields))
    }

    /// Finds frames of `type` in client output (after the 24-byte preface, if present).
    static func frames(ofType type: UInt8, in bytes: [UInt8]) -> [(flags: UInt8, stream: UInt32, payload: [UInt8])] {
        let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
        var index = bytes.starts(with: preface) ? preface.count : 0
        var found: [(UInt8, UInt32, [UInt8])] = []
        while index + 9 <= bytes.count {
            let length = Int(bytes[index]) << 16 | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
            let stream = bytes[index + 5..<index + 9].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } & 0x7FFF_FFFF
            if bytes[index + 3] == type {
                found.append((bytes[index + 4], stream, Array(bytes[index + 9..<min(bytes.count, index + 9 + length)])))
            }
            index += 9 + length
        }
        return found
    }
}

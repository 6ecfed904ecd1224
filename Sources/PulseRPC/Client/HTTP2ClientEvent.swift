/// One header field of a response, as received (names are lower-case on HTTP/2).
public struct HTTP2HeaderField: Sendable, Hashable {
    /// The field name.
    public var name: String
    /// The field value (binary `-bin` values are still base64 here).
    public var value: String

    /// Creates a header field.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// What an `HTTP2ClientSession` learnt from the bytes it was given, in arrival order.
enum HTTP2ClientEvent: Sendable, Equatable {
    /// A complete header block: the response headers, or trailers when `isTrailers`.
    case headers(streamID: Int32, fields: [HTTP2HeaderField], isTrailers: Bool, endStream: Bool)
    /// Response body bytes. The caller must `consume` them for the peer to send more.
    case data(streamID: Int32, bytes: [UInt8])
    /// The stream is over; `errorCode` is the HTTP/2 error code (0 when it ended normally).
    case streamClosed(streamID: Int32, errorCode: UInt32)
    /// The server is going away: streams above `lastStreamID` were not and will not be processed.
    case goAway(lastStreamID: Int32, errorCode: UInt32)
    /// The server acknowledged our PING with this payload.
    case pingAck(opaque: UInt64)
}

/// HTTP/2 error codes the client acts on (RFC 9113 §7).
enum HTTP2ErrorCode {
    static let noError: UInt32 = 0x0
    static let protocolError: UInt32 = 0x1
    static let internalError: UInt32 = 0x2
    static let refusedStream: UInt32 = 0x7
    static let cancel: UInt32 = 0x8
    static let enhanceYourCalm: UInt32 = 0xB
}

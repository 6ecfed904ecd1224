import PulseProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// The request headers of one gRPC call, collected field by field and then judged.
///
/// A value type with no I/O: the connection feeds it raw header fields and acts on ``verdict()``,
/// so every validation rule is testable without sockets.
struct RequestHead {
    enum Verb: Equatable { case missing, post, other(String) }

    /// What to do with the request once its headers are complete.
    enum Verdict: Equatable {
        /// A gRPC call to a known method (index into the router's table).
        case accept(routeIndex: Int)
        /// Not a gRPC request at all: answer with this HTTP status and no body.
        case rejectHTTP(status: Int, reason: String)
        /// A gRPC request that fails early: Trailers-Only response with this status.
        case rejectGRPC(GRPCStatus)
    }

    /// `becameTooLarge` is reported once, for the field that crossed the limit; later fields are dropped.
    enum AddResult: Equatable { case ok, becameTooLarge }

    private(set) var verb = Verb.missing
    private(set) var path: String?
    private(set) var routeIndex: Int?
    private(set) var contentTypeIsGRPC = false
    private(set) var contentTypeSeen = false
    private(set) var teTrailers = false
    private(set) var timeout: GRPCTimeout?
    private(set) var timeoutMalformed = false
    private(set) var messageEncoding: String?
    private(set) var metadata = Metadata()
    private(set) var badBinaryKey: String?
    private(set) var headerListSize = 0
    private(set) var headerListTooLarge = false

    let maxHeaderListSize: Int

    init(maxHeaderListSize: Int) {
        self.maxHeaderListSize = maxHeaderListSize
    }

    /// Takes one header field; `router` resolves `:path` without building a string for known methods.
    mutating func add(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, router: MethodRouter) -> AddResult {
        if headerListTooLarge { return .ok }
        headerListSize += name.count + value.count + 32
        if headerListSize > maxHeaderListSize {
            headerListTooLarge = true
            metadata = Metadata()  // keep nothing from an oversized block
            return .becameTooLarge
        }
        guard let first = name.first else { return .ok }
        if first == UInt8(ascii: ":") {
            if name.equals(":method") {
                verb = value.equals("POST") ? .post : .other(String(decoding: value, as: UTF8.self))
            } else if name.equals(":path") {
                routeIndex = router.index(ofPath: value)
                if routeIndex == nil { path = String(decoding: value, as: UTF8.self) }
            }
            return .ok  // :scheme and :authority are checked by nghttp2
        }
        switch name.count {
        case 2 where name.equals("te"):
            teTrailers = value.equals("trailers")
        case 12 where name.equals("content-type"):
            contentTypeSeen = true
            contentTypeIsGRPC = Self.isGRPCContentType(value)
        case 12 where name.equals("grpc-timeout"):
            timeout = GRPCTimeout(headerValue: String(decoding: value, as: UTF8.self))
            timeoutMalformed = timeout == nil
        case 13 where name.equals("grpc-encoding"):
            messageEncoding = String(decoding: value, as: UTF8.self)
        case 20 where name.equals("grpc-accept-encoding"):
            break
        default:
            addMetadata(name: name, value: value)
        }
        return .ok
    }

    /// The decision once all headers are in. Order matters: HTTP-level problems first (a non-gRPC
    /// client cannot read trailers), then gRPC-level ones.
    func verdict() -> Verdict {
        if headerListTooLarge {
            return .rejectHTTP(status: 431, reason: "request header list exceeds \(maxHeaderListSize) bytes")
        }
        switch verb {
        case .post: break
        case .missing: return .rejectHTTP(status: 400, reason: "missing :method")
        case .other(let verb): return .rejectHTTP(status: 405, reason: "method \(verb) not allowed; gRPC uses POST")
        }
        guard contentTypeIsGRPC else {
            return .rejectHTTP(
                status: 415, reason: contentTypeSeen ? "content-type is not application/grpc" : "missing content-type")
        }
        guard teTrailers else { return .rejectGRPC(GRPCStatus(.internal, "missing te: trailers")) }
        if timeoutMalformed { return .rejectGRPC(GRPCStatus(.internal, "malformed grpc-timeout")) }
        if let badBinaryKey { return .rejectGRPC(GRPCStatus(.internal, "invalid base64 in metadata \(badBinaryKey)")) }
        guard let routeIndex else {
            return .rejectGRPC(GRPCStatus(.unimplemented, "method not found: \(path ?? "(no :path)")"))
        }
        return .accept(routeIndex: routeIndex)
    }

    /// `application/grpc`, optionally followed by `+codec` or `;parameters`.
    static func isGRPCContentType(_ value: UnsafeRawBufferPointer) -> Bool {
        let base: StaticString = "application/grpc"
        let length = base.utf8CodeUnitCount
        guard value.count >= length else { return false }
        guard UnsafeRawBufferPointer(rebasing: value[0..<length]).equals(base) else { return false }
        if value.count == length { return true }
        let next = value[length]
        return next == UInt8(ascii: "+") || next == UInt8(ascii: ";")
    }

    private mutating func addMetadata(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let binarySuffix: StaticString = "-bin"
        let isBinary =
            name.count > 4 && UnsafeRawBufferPointer(rebasing: name[(name.count - 4)...]).equals(binarySuffix)
        guard isBinary else {
            metadata.appendRaw(name: name, value: value, binary: false)
            return
        }
        if let bytes = Base64.decode(String(decoding: value, as: UTF8.self)) {
            metadata.appendRaw(name: name, value: bytes, binary: true)
        } else {
            badBinaryKey = String(decoding: name, as: UTF8.self)
        }
    }
}

extension UnsafeRawBufferPointer {
    /// Byte-wise equality with an ASCII literal, without building a String.
    @inline(__always)
    func equals(_ literal: StaticString) -> Bool {
        guard count == literal.utf8CodeUnitCount else { return false }
        guard count > 0 else { return true }
        return memcmp(baseAddress!, literal.utf8Start, count) == 0
    }
}

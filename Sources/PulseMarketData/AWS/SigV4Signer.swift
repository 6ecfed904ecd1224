import PulseAnalytics

/// AWS Signature Version 4, computed the way botocore computes it (and checked against it byte for byte in
/// `Tests/interop/test_sigv4_botocore.py`) rather than by libcurl 7.88's `CURLOPT_AWS_SIGV4`, which signs the
/// path as written:
/// - canonical URI: the request path with dot segments and repeated slashes removed, then percent-encoded
///   once more (everything but `A–Z a–z 0–9 - _ . ~ /`): `/prod/@connections/abc%3D` signs as
///   `/prod/%40connections/abc%253D`;
/// - canonical query: the URL's `name=value` pairs as sent, sorted by name then value;
/// - signed headers: every header but the hop-by-hop and tracing ones botocore leaves out (`user-agent`,
///   `expect`, `connection`, …), plus `host`, `x-amz-date` and `x-amz-security-token`; values trimmed and
///   inner whitespace collapsed, repeats joined with commas;
/// - payload: the hex SHA-256 of the body.
///
/// ```swift
/// let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "sqs")
/// let headers = signer.sign(method: "POST", url: "https://sqs.us-east-1.amazonaws.com/", headers: headers, body: body)
/// ```
public struct SigV4Signer: Sendable {
    static let unsignedHeaders: Set<String> = [
        "authorization", "baggage", "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization",
        "te", "traceparent", "tracestate", "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    public var credentials: AWSCredentials
    public var region: String
    public var service: String

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// `headers` with `X-Amz-Date`, `X-Amz-Security-Token` (temporary credentials) and `Authorization` set
    /// for a request at `time` (Unix seconds, default now).
    public func sign(method: String, url: String, headers: [HTTPHeader], body: [UInt8], time: Int64? = nil)
        -> [HTTPHeader]
    {
        let timestamp = Self.timestamp(time ?? RedisRequestPacer.wallClock())
        var signed = headers.filter {
            let name = $0.name.lowercased()
            return name != "authorization" && name != "x-amz-date"
                && (credentials.sessionToken == nil || name != "x-amz-security-token")
        }
        signed.append(HTTPHeader("X-Amz-Date", timestamp))
        if let token = credentials.sessionToken { signed.append(HTTPHeader("X-Amz-Security-Token", token)) }
        let (canonical, signedNames) = canonicalRequest(method: method, url: url, headers: signed, body: body)
        let scope = "\(timestamp.prefix(8))/\(region)/\(service)/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(timestamp)\n\(scope)\n\(SHA256.hexHash(canonical))"
        var key = Array("AWS4\(credentials.secretAccessKey)".utf8)
        for part in [String(timestamp.prefix(8)), region, service, "aws4_request"] {
            key = HMACSHA256.authenticationCode(key: key, message: part)
        }
        let signature = SHA256.hex(HMACSHA256.authenticationCode(key: key, message: stringToSign))
        signed.append(
            HTTPHeader(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedNames), "
                    + "Signature=\(signature)"))
        return signed
    }

    /// The canonical request and the signed header names (`a;b;c`), for tests and debugging.
    public func canonicalRequest(method: String, url: String, headers: [HTTPHeader], body: [UInt8]) -> (
        String, String
    ) {
        let parts = URLParts(url)
        var values: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased()
            guard !Self.unsignedHeaders.contains(name) else { continue }
            values[name, default: []].append(header.value.split(whereSeparator: \.isWhitespace).joined(separator: " "))
        }
        if values["host"] == nil { values["host"] = [parts.canonicalHost] }
        let names = values.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let canonicalHeaders = names.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        let signedNames = names.joined(separator: ";")
        let canonical = [
            method.uppercased(), Self.quote(Self.removeDotSegments(parts.path)), Self.canonicalQuery(parts.query),
            canonicalHeaders, signedNames, SHA256.hex(SHA256.hash(body)),
        ].joined(separator: "\n")
        return (canonical, signedNames)
    }

    /// `YYYYMMDDTHHMMSSZ`.
    static func timestamp(_ time: Int64) -> String {
        String(TimestampParser.iso8601(time).filter { $0 != "-" && $0 != ":" })
    }

    /// botocore's `_canonical_query_string_url`: pairs as written, sorted by (name, value).
    static func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        let pairs = query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> ([UInt8], [UInt8]) in
            let equals = pair.firstIndex(of: "=")
            let name = equals.map { pair[..<$0] } ?? pair
            let value = equals.map { pair[pair.index(after: $0)...] } ?? ""
            return (Array(name.utf8), Array(value.utf8))
        }
        return pairs.sorted { a, b in
            a.0 != b.0 ? a.0.lexicographicallyPrecedes(b.0) : a.1.lexicographicallyPrecedes(b.1)
        }
        .map { String(decoding: $0.0, as: UTF8.self) + "=" + String(decoding: $0.1, as: UTF8.self) }
        .joined(separator: "&")
    }

    /// botocore's `remove_dot_segments` (RFC 3986 5.2.4, and repeated slashes collapsed); `/` for an empty path.
    static func removeDotSegments(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) where segment != "." {
            if segment == ".." {
                if !output.isEmpty { output.removeLast() }
            } else {
                output.append(segment)
            }
        }
        let first = path.hasPrefix("/") ? "/" : ""
        let last = path.hasSuffix("/") && !output.isEmpty ? "/" : ""
        return first + output.joined(separator: "/") + last
    }

    /// Python's `urllib.parse.quote(text, safe='/~')`: every byte but `A–Z a–z 0–9 _ . - ~ /` as `%XX`.
    static func quote(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"),
                UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The pieces of an absolute URL SigV4 needs, split the way Python's `urlsplit` does.
struct URLParts {
    var scheme = ""
    var host = ""
    var port: Int?
    var path = ""
    var query = ""

    init(_ url: String) {
        var rest = Substring(url)
        if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") {
            scheme = rest[..<colon].lowercased()
            rest = rest[rest.index(colon, offsetBy: 3)...]
        }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            port = Int(authority[authority.index(after: colon)...])
            authority = authority[..<colon]
        }
        host = authority.lowercased()
        rest = rest[authorityEnd...]
        if let question = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: question)...])
            rest = rest[..<question]
        }
        path = String(rest)
    }

    /// `host`, with the port when it is not the scheme's default.
    var canonicalHost: String {
        guard let port, port != (scheme == "https" ? 443 : scheme == "http" ? 80 : -1) else { return host }
        return "\(host):\(port)"
    }
}

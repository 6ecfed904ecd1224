private import CCurl

/// One libcurl easy handle: a request's options, and the response as it arrives. Owned by ``CurlMulti``
/// while the transfer runs; freed with this object. Loop thread only.
final class CurlTransfer {
    let id: UInt64
    let easy: UnsafeMutableRawPointer
    let redactedURL: String
    var completion: ((Result<HTTPResponse, HTTPError>) -> Void)?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var headers: [HTTPHeader] = []
    private var body: [UInt8] = []
    private let maximumBodyBytes: Int
    private(set) var exceededLimit = false
    /// libcurl's own account of a failure (`CURLOPT_ERRORBUFFER`: which certificate check failed, say), which
    /// `curl_easy_strerror` only names by kind. Freed with the transfer.
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init(
        id: UInt64, request: HTTPRequest, configuration: HTTPClient.Configuration,
        completion: @escaping (Result<HTTPResponse, HTTPError>) -> Void
    ) throws(HTTPError) {
        self.id = id
        self.redactedURL = URLRedaction.redact(request.url)
        self.maximumBodyBytes = configuration.maximumResponseBytes
        self.completion = completion
        guard let easy = curl_easy_init() else { throw HTTPError(.invalidRequest, "cannot create a curl handle") }
        self.easy = easy
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        try configure(request, configuration)
    }

    deinit {
        curl_easy_cleanup(easy)
        if let headerList { curl_slist_free_all(headerList) }
        errorBuffer.deallocate()
    }

    private func configure(_ request: HTTPRequest, _ configuration: HTTPClient.Configuration) throws(HTTPError) {
        let timeout = request.timeout ?? configuration.timeout
        var ok = true
        func set(_ code: CURLcode) { ok = ok && code == CURLE_OK }
        set(ccurl_easy_setopt_string(easy, CURLOPT_URL, request.url))
        set(ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        set(ccurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(timeout.wholeNanoseconds / 1_000_000)))
        set(
            ccurl_easy_setopt_long(
                easy, CURLOPT_CONNECTTIMEOUT_MS, Int(configuration.connectTimeout.wholeNanoseconds / 1_000_000)))
        set(ccurl_easy_setopt_string(easy, CURLOPT_USERAGENT, configuration.userAgent))
        set(ccurl_easy_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, ""))
        set(ccurl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0))
        set(ccurl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"))
        set(ccurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer))
        set(ccurl_easy_setopt_long(easy, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2))
        if let caFile = configuration.caFile { set(ccurl_easy_setopt_string(easy, CURLOPT_CAINFO, caFile)) }
        let me = Unmanaged.passUnretained(self).toOpaque()
        set(ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me))
        set(
            ccurl_easy_setopt_write_function(easy, CURLOPT_WRITEFUNCTION) { data, size, count, owner in
                guard let owner, let data else { return 0 }
                return Unmanaged<CurlTransfer>.fromOpaque(owner).takeUnretainedValue().received(data, size * count)
            })
        set(ccurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me))
        set(
            ccurl_easy_setopt_write_function(easy, CURLOPT_HEADERFUNCTION) { data, size, count, owner in
                guard let owner, let data else { return 0 }
                return Unmanaged<CurlTransfer>.fromOpaque(owner).takeUnretainedValue().receivedHeader(
                    data, size * count)
            })
        switch request.method {
        case "GET": set(ccurl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1))
        case "HEAD": set(ccurl_easy_setopt_long(easy, CURLOPT_NOBODY, 1))
        case "POST": set(ccurl_easy_setopt_long(easy, CURLOPT_POST, 1))
        default: set(ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method))
        }
        if let body = request.body ?? (request.method == "POST" ? [] : nil) {
            set(ccurl_easy_setopt_offset(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            // COPYPOSTFIELDS copies the bytes now, so the array need not outlive this call.
            if body.isEmpty {
                set(ccurl_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, ""))
            } else {
                body.withUnsafeBytes { bytes in
                    set(
                        ccurl_easy_setopt_pointer(
                            easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress!)))
                }
            }
        }
        // No `Expect: 100-continue` round trip; no Content-Type curl would invent for a POST.
        var lines = ["Expect:"]
        if request.body != nil, !request.headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            lines.append("Content-Type:")
        }
        for header in request.headers {
            guard !header.name.isEmpty, !(header.name + header.value).contains(where: { $0 == "\r" || $0 == "\n" })
            else { throw HTTPError(.invalidRequest, "header \(header.name.debugDescription) is malformed") }
            // `Name;` is curl's spelling of a header sent with an empty value.
            lines.append(header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)")
        }
        for line in lines { headerList = curl_slist_append(headerList, line) }
        set(ccurl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList))
        guard ok else { throw HTTPError(.invalidRequest, "curl refused an option for \(redactedURL)") }
    }

    private func received(_ data: UnsafeMutablePointer<CChar>, _ count: Int) -> Int {
        if body.count + count > maximumBodyBytes {
            exceededLimit = true
            return 0  // curl stops the transfer with CURLE_WRITE_ERROR
        }
        data.withMemoryRebound(to: UInt8.self, capacity: count) {
            body.append(contentsOf: UnsafeBufferPointer(start: $0, count: count))
        }
        return count
    }

    private func receivedHeader(_ data: UnsafeMutablePointer<CChar>, _ count: Int) -> Int {
        let line = data.withMemoryRebound(to: UInt8.self, capacity: count) {
            String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self)
        }
        if line.hasPrefix("HTTP/") {
            headers = []  // a new response (after a 100 Continue or a redirect)
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingSpaces()
            let value = line[line.index(after: colon)...].trimmingSpaces()
            headers.append(HTTPHeader(String(name), String(value)))
        }
        return count
    }

    /// The response, or why there is none, once curl reported the transfer done with `rawCode` (a `CURLcode`).
    func outcome(_ rawCode: UInt32) -> Result<HTTPResponse, HTTPError> {
        let code = CURLcode(rawValue: rawCode)
        guard code == CURLE_OK else { return .failure(error(for: code)) }
        var status = 0
        _ = ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPResponse(status: status, headers: headers, body: body))
    }

    private func error(for code: CURLcode) -> HTTPError {
        let detail = String(cString: errorBuffer)
        let reason = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        let kind: HTTPError.Code
        switch code {
        case CURLE_WRITE_ERROR where exceededLimit:
            return HTTPError(
                .responseTooLarge, "the response from \(redactedURL) is larger than \(maximumBodyBytes) bytes")
        case CURLE_OPERATION_TIMEDOUT: kind = .timeout
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_PROXY: kind = .connect
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: kind = .invalidRequest
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE: kind = .certificate
        default: kind = .transport
        }
        return HTTPError(kind, "\(reason) (\(redactedURL))")
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r\n" || last == "\r" || last == "\n" {
            text = text.dropLast()
        }
        return text
    }
}

@available(*, unavailable)
extension CurlTransfer: Sendable {}

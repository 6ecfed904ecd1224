import PulseIO
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP/1.1 and HTTP/2 client on one event loop: one libcurl multi handle driven by the loop (no thread of
/// its own, no blocking), any number of concurrent transfers, connections reused between requests.
///
/// Every response is returned, whatever its status; ``HTTPError`` means there was no response. Messages
/// never carry credentials (see ``URLRedaction``). Make one client per loop, or share one.
///
/// ```swift
/// let http = try HTTPClient(loop: loop)
/// let response = try await http.get("https://www.alphavantage.co/query?function=GLOBAL_QUOTE&symbol=IBM&apikey=…")
/// print(response.status, response.text)
/// await http.close()
/// ```
public final class HTTPClient: Sendable {
    /// Limits and identity for every request of a client.
    public struct Configuration: Sendable {
        /// The whole transfer's limit when a request gives none.
        public var timeout: Duration = .seconds(30)
        public var connectTimeout: Duration = .seconds(10)
        /// Larger bodies fail with `.responseTooLarge` (a month of 1-minute bars is about 2 MB of JSON).
        public var maximumResponseBytes = 64 << 20
        public var maximumConnectionsPerHost = 8
        public var userAgent = "PulseTrader/1"
        /// The CA certificates HTTPS servers are verified against (PEM); nil: the system's. Defaults to
        /// `CURL_CA_BUNDLE`, else `SSL_CERT_FILE` (the variables curl and OpenSSL read), so a private CA or a test
        /// CA is one variable away. Verification of the certificate and the host name is never switched off.
        public var caFile: String? = Self.environmentCAFile()

        public init() {}

        static func environmentCAFile() -> String? {
            for name in ["CURL_CA_BUNDLE", "SSL_CERT_FILE"] {
                if let raw = getenv(name), raw.pointee != 0 { return String(cString: raw) }
            }
            return nil
        }
    }

    public let loop: EventLoop
    public let configuration: Configuration
    private let multi: LoopBound<CurlMulti>
    private let nextID = Atomic<UInt64>(1)

    /// Creates the client on `loop` (callable from any thread).
    public init(loop: EventLoop, configuration: Configuration = Configuration()) throws(HTTPError) {
        self.loop = loop
        self.configuration = configuration
        self.multi = LoopBound(try CurlMulti(loop: loop, configuration: configuration), loop: loop)
    }

    deinit {
        // The multi handle must end on its loop: hand the last reference over.
        multi.execute { $0.close() }
    }

    /// `GET url`.
    public func get(_ url: String, headers: [HTTPHeader] = [], timeout: Duration? = nil) async throws(HTTPError)
        -> HTTPResponse
    {
        try await execute(HTTPRequest(method: "GET", url: url, headers: headers, timeout: timeout))
    }

    /// `POST url` with `body`.
    public func post(_ url: String, headers: [HTTPHeader] = [], body: [UInt8], timeout: Duration? = nil)
        async throws(HTTPError) -> HTTPResponse
    {
        try await execute(HTTPRequest(method: "POST", url: url, headers: headers, body: body, timeout: timeout))
    }

    /// Sends `request` and returns the response. Cancelling the awaiting task stops the transfer.
    public func execute(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let multi = self.multi
        let result: Result<HTTPResponse, HTTPError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                multi.execute { $0.start(id: id, request) { continuation.resume(returning: $0) } }
            }
        } onCancel: {
            multi.execute { $0.cancel(id: id) }
        }
        return try result.get()
    }

    /// Fails the transfers in flight with `.closed`; later requests fail at once.
    public func close() async {
        await loop.submit { [multi] in multi.value.close() }
    }

    /// Transfers running now (for tests and metrics).
    public func activeTransfers() async -> Int {
        await loop.submit { [multi] in multi.value.activeTransfers }
    }
}

import PulseProtocol

/// Limits and timeouts of an ``RPCServer``. Every field has the default `pulse serve` uses.
public struct ServerConfiguration: Sendable {
    /// Host to bind (numeric address or `localhost`).
    public var host = "127.0.0.1"
    /// Port to bind; 0 picks any free port (read it back from ``RPCServer/localAddress``).
    public var port = 50051
    /// Event loops (threads) serving connections.
    public var loops = EventLoopCount.cores
    /// SETTINGS_MAX_CONCURRENT_STREAMS advertised to each client.
    public var maxConcurrentStreams = 100
    /// Largest request or response message body, in bytes.
    public var maxMessageSize = GRPCFraming.defaultMaxMessageSize
    /// Largest request header list (sum of name + value + 32 per field), advertised and enforced.
    public var maxHeaderListSize = 16 * 1024
    /// Open connections beyond this are closed as soon as they are accepted.
    public var maxConnections = 10_000
    /// A connection with no open stream for this long is closed with GOAWAY (seconds; 0 disables).
    public var idleTimeout: Double = 300
    /// A client that has not sent its preface and SETTINGS within this time is disconnected (seconds).
    public var handshakeTimeout: Double = 10
    /// PING a client after this long without input from it (seconds; 0 disables), so a dead peer or a
    /// middlebox that dropped the connection is noticed and idle load balancers see traffic.
    public var keepaliveInterval: Double = 0
    /// Close the connection when our keepalive PING is not acknowledged within this time (seconds).
    public var keepaliveTimeout: Double = 20
    /// A client PING sooner than this after its previous one is a strike (seconds; 0 disables the rule);
    /// past ``maxPingStrikes`` strikes without a new stream the connection gets GOAWAY ENHANCE_YOUR_CALM.
    public var minClientPingInterval: Double = 0
    public var maxPingStrikes = 2
    /// On shutdown, in-flight calls get this long to finish before they end with UNAVAILABLE (seconds).
    public var gracePeriod: Double = 10
    /// Messages a server stream may queue before its producer waits (or conflates).
    public var streamQueueLimit = 16
    /// Protocol glitches (invalid frames, resets we had to send, empty DATA, floods) tolerated per
    /// connection before it is closed with GOAWAY ENHANCE_YOUR_CALM.
    public var maxGlitches = 200
    /// Received RST_STREAM frames per second the library tolerates (burst); beyond it nghttp2 closes.
    public var resetRateBurst: UInt64 = 1000
    public var resetRatePerSecond: UInt64 = 100
    /// CONTINUATION frames accepted per header block.
    public var maxContinuations = 8
    /// PING or SETTINGS frames per 10-second window before the connection counts as flooding.
    public var maxControlFramesPerWindow = 200

    /// TLS with ALPN `h2` on every connection (nil: h2c, cleartext with prior knowledge).
    public var tls: TLSServerContext?

    public init() {}

    /// How many event loops to run.
    public enum EventLoopCount: Sendable, Equatable {
        /// One per online core.
        case cores
        case exactly(Int)
    }
}

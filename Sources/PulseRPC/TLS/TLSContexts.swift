private import COpenSSL
import Synchronization

/// Owns one `SSL_CTX`. OpenSSL locks a context internally for `SSL_new` and reference counts, so one may be
/// shared by every loop; it is never changed after set-up (a reload makes a new one).
final class SSLContextHandle: @unchecked Sendable {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { SSL_CTX_free(pointer) }

    /// A new connection's `SSL` (holding its own reference to the context, so a reload cannot free it under it).
    func newSession() -> OpaquePointer? { SSL_new(pointer) }
}

/// The server side of TLS: TLS 1.2 and 1.3 only, ALPN `h2` required, the certificate chain and key from PEM files.
///
/// ``reload()`` reads the files again into a new context that only connections accepted afterwards use; open
/// connections keep theirs, so none is dropped (`pulse serve` calls it on SIGHUP).
///
/// ```swift
/// var configuration = ServerConfiguration()
/// configuration.tls = try TLSServerContext(certificatePath: "server.pem", keyPath: "server.key")
/// ```
public final class TLSServerContext: Sendable {
    public let certificatePath: String
    public let keyPath: String
    private let current: Mutex<SSLContextHandle>

    /// - Throws: ``TLSError`` naming the file OpenSSL refused and why.
    public init(certificatePath: String, keyPath: String) throws(TLSError) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        current = Mutex(try Self.load(certificatePath: certificatePath, keyPath: keyPath))
    }

    /// Loads the files again; on failure the previous certificate stays in use and the error is thrown.
    public func reload() throws(TLSError) {
        let fresh = try Self.load(certificatePath: certificatePath, keyPath: keyPath)
        current.withLock { $0 = fresh }
    }

    func newSession() -> OpaquePointer? {
        current.withLock { $0 }.newSession()
    }

    private static func load(certificatePath: String, keyPath: String) throws(TLSError) -> SSLContextHandle {
        OpenSSLErrors.clear()
        guard let pointer = SSL_CTX_new(TLS_server_method()) else { throw .openSSL("cannot create a TLS context") }
        let context = SSLContextHandle(pointer)
        guard pulse_ssl_ctx_set_min_tls12(pointer) == 1 else { throw .openSSL("cannot require TLS 1.2") }
        pulse_ssl_ctx_harden(pointer)
        guard SSL_CTX_use_certificate_chain_file(pointer, certificatePath) == 1 else {
            throw .openSSL("cannot use the certificate file \(certificatePath)")
        }
        guard SSL_CTX_use_PrivateKey_file(pointer, keyPath, SSL_FILETYPE_PEM) == 1 else {
            throw .openSSL("cannot use the key file \(keyPath)")
        }
        guard SSL_CTX_check_private_key(pointer) == 1 else {
            throw .openSSL("the key in \(keyPath) does not match the certificate in \(certificatePath)")
        }
        pulse_ssl_ctx_select_h2(pointer)
        return context
    }
}

/// The client side of TLS: the server's certificate is verified against the CA certificates in a PEM file and
/// must name the host (``serverName``, also sent as SNI); ALPN offers `h2` only; TLS 1.2 and 1.3.
public final class TLSClientContext: Sendable {
    /// The host name the certificate must carry (and the SNI), e.g. `api.example.com` or `localhost`.
    public let serverName: String
    private let context: SSLContextHandle

    /// - Parameters:
    ///   - caFile: PEM file of the certificate authorities to trust; nil uses the system's.
    public init(serverName: String, caFile: String? = nil) throws(TLSError) {
        self.serverName = serverName
        OpenSSLErrors.clear()
        guard let pointer = SSL_CTX_new(TLS_client_method()) else { throw .openSSL("cannot create a TLS context") }
        context = SSLContextHandle(pointer)
        guard pulse_ssl_ctx_set_min_tls12(pointer) == 1 else { throw .openSSL("cannot require TLS 1.2") }
        if let caFile {
            guard SSL_CTX_load_verify_locations(pointer, caFile, nil) == 1 else {
                throw .openSSL("cannot read the CA file \(caFile)")
            }
        } else {
            guard SSL_CTX_set_default_verify_paths(pointer) == 1 else {
                throw .openSSL("cannot load the system's CA certificates")
            }
        }
        SSL_CTX_set_verify(pointer, SSL_VERIFY_PEER, nil)
    }

    /// A session for one connection: SNI, host-name check and ALPN set.
    func newSession() -> OpaquePointer? {
        guard let ssl = context.newSession() else { return nil }
        guard pulse_ssl_set_sni(ssl, serverName) == 1, SSL_set1_host(ssl, serverName) == 1, pulse_ssl_offer_h2(ssl) == 0
        else {
            SSL_free(ssl)
            return nil
        }
        return ssl
    }
}

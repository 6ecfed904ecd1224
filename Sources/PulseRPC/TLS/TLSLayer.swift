private import COpenSSL

/// TLS between a ``SocketPump`` and its session: a pump delegate that wraps the session's own delegate. Received
/// ciphertext goes into a memory BIO and the plaintext OpenSSL makes of it to the session; the session's output
/// is encrypted into another memory BIO that the pump writes. OpenSSL never touches the socket, so nothing here
/// blocks and the pump's backpressure is unchanged.
///
/// A handshake that fails (plaintext HTTP/2 sent to the TLS port, no common protocol version, no ALPN `h2`)
/// makes the pump send what OpenSSL queued (an alert) and close the connection.
final class TLSLayer: SocketPumpDelegate {
    /// Owns the `SSL` (and through it both BIOs).
    private let ssl: OpaquePointer
    private let received: OpaquePointer
    private let toSend: OpaquePointer
    private var inner: (any SocketPumpDelegate)?
    private let plaintext = OutputBuffer(capacity: 4096)
    private var established = false
    private var failed = false
    private var closeNotifySent = false
    /// Told why the handshake or the record layer failed (for the owner's log).
    private let onFailure: (String) -> Void

    /// - Parameter ssl: a fresh session from a server or client context; the layer frees it.
    init(ssl: OpaquePointer, isServer: Bool, inner: any SocketPumpDelegate, onFailure: @escaping (String) -> Void) {
        self.ssl = ssl
        received = BIO_new(BIO_s_mem())
        toSend = BIO_new(BIO_s_mem())
        SSL_set_bio(ssl, received, toSend)
        if isServer { SSL_set_accept_state(ssl) } else { SSL_set_connect_state(ssl) }
        self.inner = inner
        self.onFailure = onFailure
    }

    deinit { SSL_free(ssl) }

    /// Whether the handshake is complete (and chose `h2`).
    var isEstablished: Bool { established }

    func pumpConnected() {
        inner?.pumpConnected()
        _ = advanceHandshake()  // the ClientHello, written by the pump's flush that follows
    }

    func pumpReceived(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if failed { return false }
        guard let base = bytes.baseAddress else { return true }
        // A memory BIO takes everything (it grows); the pump's read size bounds each call.
        guard BIO_write(received, base, Int32(bytes.count)) == Int32(bytes.count) else {
            return fail("cannot buffer TLS input")
        }
        if !established {
            guard advanceHandshake() else { return false }
            if !established { return true }
        }
        return deliverPlaintext()
    }

    private func advanceHandshake() -> Bool {
        OpenSSLErrors.clear()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            guard pulse_ssl_negotiated_h2(ssl) == 1 else { return fail("the peer did not negotiate ALPN h2") }
            established = true
            return true
        }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return true
        default: return fail("TLS handshake failed" + OpenSSLErrors.drain())
        }
    }

    /// Decrypts everything buffered and hands it to the session, in pieces of at most 16 KiB (one record).
    private func deliverPlaintext() -> Bool {
        withUnsafeTemporaryAllocation(byteCount: 16 * 1024, alignment: 16) { scratch in
            while true {
                OpenSSLErrors.clear()
                let count = SSL_read(ssl, scratch.baseAddress, Int32(scratch.count))
                if count > 0 {
                    guard let inner, inner.pumpReceived(UnsafeRawBufferPointer(rebasing: scratch[0..<Int(count)]))
                    else { return false }
                    continue
                }
                switch SSL_get_error(ssl, count) {
                case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return true
                case SSL_ERROR_ZERO_RETURN: return true  // close_notify: the TCP end of stream follows
                default: return fail("TLS record error" + OpenSSLErrors.drain())
                }
            }
        }
    }

    func pumpProduceOutput(into buffer: OutputBuffer, limit: Int) -> Bool {
        if established && !failed, let inner {
            guard inner.pumpProduceOutput(into: plaintext, limit: max(1, limit - buffer.count)) else { return false }
            while !plaintext.isEmpty {
                let chunk = plaintext.unsent
                OpenSSLErrors.clear()
                let written = SSL_write(ssl, chunk.baseAddress, Int32(min(chunk.count, 64 * 1024)))
                guard written > 0 else {
                    onFailure("TLS write failed" + OpenSSLErrors.drain())
                    return false
                }
                plaintext.consume(Int(written))
            }
            if inner.pumpSessionFinished && !closeNotifySent {
                closeNotifySent = true
                _ = SSL_shutdown(ssl)
            }
        }
        drainCiphertext(into: buffer)
        return true
    }

    private func drainCiphertext(into buffer: OutputBuffer) {
        while BIO_ctrl_pending(toSend) > 0 {
            let pending = Int(BIO_ctrl_pending(toSend))
            buffer.appendInPlace(upTo: pending) { destination, capacity in
                Int(BIO_read(toSend, destination, Int32(capacity)))
            }
        }
    }

    var pumpSessionFinished: Bool {
        established && closeNotifySent && BIO_ctrl_pending(toSend) == 0 && (inner?.pumpSessionFinished ?? true)
    }

    func pumpClosed(_ reason: SocketPump.Closure) {
        let inner = self.inner
        self.inner = nil
        inner?.pumpClosed(reason)
    }

    private func fail(_ reason: String) -> Bool {
        failed = true
        onFailure(reason)
        return false
    }
}

@available(*, unavailable)
extension TLSLayer: Sendable {}

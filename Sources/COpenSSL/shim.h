#ifndef PULSE_COPENSSL_SHIM_H
#define PULSE_COPENSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/bio.h>
#include <openssl/x509v3.h>
#include <string.h>

// Macros Swift cannot call, as functions.
static inline int pulse_ssl_ctx_set_min_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}

static inline int pulse_ssl_set_sni(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

// ALPN on the server: choose "h2" or refuse the handshake (no_application_protocol alert).
static int pulse_alpn_select_h2(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                                unsigned int inlen, void *arg) {
    (void)ssl;
    (void)arg;
    static const unsigned char h2[] = {2, 'h', '2'};
    unsigned char *selected = NULL;
    if (SSL_select_next_proto(&selected, outlen, h2, sizeof h2, in, inlen) != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

static inline void pulse_ssl_ctx_select_h2(SSL_CTX *ctx) {
    SSL_CTX_set_alpn_select_cb(ctx, pulse_alpn_select_h2, NULL);
}

// No renegotiation (a DoS lever and never needed by HTTP/2), and the server's cipher order.
static inline void pulse_ssl_ctx_harden(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
}

// ALPN on the client: offer "h2" only. Returns 0 on success.
static inline int pulse_ssl_offer_h2(SSL *ssl) {
    static const unsigned char h2[] = {2, 'h', '2'};
    return SSL_set_alpn_protos(ssl, h2, sizeof h2);
}

// Whether the handshake chose "h2".
static inline int pulse_ssl_negotiated_h2(const SSL *ssl) {
    const unsigned char *protocol = NULL;
    unsigned int length = 0;
    SSL_get0_alpn_selected(ssl, &protocol, &length);
    return length == 2 && memcmp(protocol, "h2", 2) == 0;
}

#endif

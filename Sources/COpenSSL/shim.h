// OpenSSL 3 libcrypto for Swift (ChipID's block ciphers, CMAC and elliptic curves).
// Includes, plus one small inline helper: OSSL_PARAM arrays are awkward to build from Swift.
#ifndef STATION_COPENSSL_SHIM_H
#define STATION_COPENSSL_SHIM_H

#include <stdatomic.h>
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>
#include <openssl/params.h>
#include <openssl/core_names.h>
// Certificates, keys and RSA padding controls (ChipID Passive/Active Authentication).
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/rsa.h>

/// The CMAC algorithm, fetched once: `EVP_MAC_fetch` is a provider lookup, and secure messaging computes a CMAC
/// for every APDU. A function-local static (a file-scope one in an imported header is not emitted by Swift).
static inline EVP_MAC *station_cmac_algorithm(void) {
    static EVP_MAC *_Atomic cached = NULL;
    EVP_MAC *mac = atomic_load(&cached);
    if (mac == NULL) {
        EVP_MAC *expected = NULL;
        mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
        if (mac != NULL && !atomic_compare_exchange_strong(&cached, &expected, mac)) {
            EVP_MAC_free(mac);  // another thread stored its fetch first
            mac = expected;
        }
    }
    return mac;
}

/// A CMAC context keyed once with `key` under the named block cipher (e.g. "AES-128-CBC"): the cipher lookup and
/// key schedule happen here, not per message. NULL on failure; free with `EVP_MAC_CTX_free`.
static inline EVP_MAC_CTX *station_cmac_new(const char *cipherName, const unsigned char *key, size_t keyLength) {
    EVP_MAC *mac = station_cmac_algorithm();
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    if (ctx == NULL) return NULL;
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)cipherName, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(ctx, key, keyLength, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/// The CMAC of `data` with a context from `station_cmac_new`, restarted (same key, no new key schedule) before use:
/// OpenSSL 3's CMAC restarts on `EVP_MAC_init` with a NULL key. Writes the full MAC (at least 16 bytes of `out`)
/// and its length to `outLength`. Returns 1 on success.
static inline int station_cmac_run(EVP_MAC_CTX *ctx, const unsigned char *data, size_t dataLength,
                                   unsigned char *out, size_t *outLength) {
    return EVP_MAC_init(ctx, NULL, 0, NULL) == 1
        && EVP_MAC_update(ctx, data, dataLength) == 1
        && EVP_MAC_final(ctx, out, outLength, 16) == 1;
}

#endif

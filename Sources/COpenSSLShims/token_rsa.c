// An RSA key whose private operation happens elsewhere (on a PKCS#11 token, through a callback into Swift).
// OpenSSL 3.0 offers this only through the RSA_METHOD API, deprecated but working: keys with a custom method
// take the legacy path in EVP signing. A provider would be the 3.x way, but needs a provider module of its own.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "COpenSSLShims.h"
#include <openssl/evp.h>
#include <openssl/rsa.h>

typedef struct {
    cd_external_rsa_sign sign;
    cd_external_rsa_release release;
    void *context;
} cd_external_rsa;

static int external_ex_index = -1;
/// The default method's finish, which frees what its public-key operations cache; ours runs it too.
static int (*default_finish)(RSA *rsa) = NULL;

static int external_priv_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa, int padding) {
    // PKCS#1 v1.5 only: the token's CKM_RSA_PKCS pads the DigestInfo the way RSA_sign hands it over.
    const cd_external_rsa *external = RSA_get_ex_data(rsa, external_ex_index);
    if (external == NULL || padding != RSA_PKCS1_PADDING)
        return -1;
    return external->sign(external->context, from, flen, to, RSA_size(rsa));
}

static int external_finish(RSA *rsa) {
    cd_external_rsa *external = RSA_get_ex_data(rsa, external_ex_index);
    if (external != NULL) {
        external->release(external->context);
        OPENSSL_free(external);
        RSA_set_ex_data(rsa, external_ex_index, NULL);
    }
    return default_finish != NULL ? default_finish(rsa) : 1;
}

static RSA_METHOD *shared_method = NULL;

static void external_method_init(void) {
    external_ex_index = RSA_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    RSA_METHOD *method = RSA_meth_dup(RSA_get_default_method());
    if (method == NULL)
        return;
    default_finish = RSA_meth_get_finish(method);
    RSA_meth_set1_name(method, "certdoctor external RSA");
    RSA_meth_set_priv_enc(method, external_priv_enc);
    RSA_meth_set_finish(method, external_finish);
    shared_method = method;
}

EVP_PKEY *cd_external_rsa_key(const unsigned char *modulus, size_t modulus_len, const unsigned char *exponent,
                              size_t exponent_len, cd_external_rsa_sign sign, cd_external_rsa_release release,
                              void *context) {
    static CRYPTO_ONCE once = CRYPTO_ONCE_STATIC_INIT;
    if (!CRYPTO_THREAD_run_once(&once, external_method_init) || shared_method == NULL || external_ex_index < 0)
        return NULL;
    cd_external_rsa *external = OPENSSL_zalloc(sizeof(*external));
    RSA *rsa = RSA_new();
    BIGNUM *n = BN_bin2bn(modulus, (int)modulus_len, NULL);
    BIGNUM *e = BN_bin2bn(exponent, (int)exponent_len, NULL);
    EVP_PKEY *key = EVP_PKEY_new();
    if (external == NULL || rsa == NULL || n == NULL || e == NULL || key == NULL || !RSA_set0_key(rsa, n, e, NULL)) {
        OPENSSL_free(external);
        RSA_free(rsa);
        BN_free(n);
        BN_free(e);
        EVP_PKEY_free(key);
        return NULL;
    }
    // From here the RSA owns n and e, and — once the method is set — the context, released by its finish.
    external->sign = sign;
    external->release = release;
    external->context = context;
    if (!RSA_set_ex_data(rsa, external_ex_index, external) || !RSA_set_method(rsa, shared_method)
        || !EVP_PKEY_assign_RSA(key, rsa)) {
        RSA_set_ex_data(rsa, external_ex_index, NULL);
        OPENSSL_free(external);
        RSA_free(rsa);
        EVP_PKEY_free(key);
        return NULL;
    }
    return key;
}

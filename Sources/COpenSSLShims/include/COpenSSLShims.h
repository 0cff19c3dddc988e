#ifndef CERTDOCTOR_COPENSSL_SHIMS_H
#define CERTDOCTOR_COPENSSL_SHIMS_H
// Wrappers for what Swift cannot import from OpenSSL 3.0: function-like macros (OPENSSL_free,
// BIO_get_mem_data, every sk_TYPE_*), multi-operator integer macros (XN_FLAG_RFC2253, ERR_R_UNSUPPORTED)
// and fields of public structs reached through unions (PKCS7's content). One line of logic each.
#include <stddef.h>
#include <openssl/bio.h>
#include <openssl/cmp.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

void cd_openssl_free(void *ptr);
long cd_bio_get_mem_data(BIO *bio, char **data);

/// RFC 2253 one-line names; the `_utf8` variant leaves non-ASCII characters as UTF-8 instead of \XX escapes.
extern const unsigned long cd_xn_flag_rfc2253;
extern const unsigned long cd_xn_flag_rfc2253_utf8;
/// ERR_R_UNSUPPORTED (268 | ERR_RFLAG_COMMON): "unsupported" from any library, e.g. a cipher no provider offers.
extern const int cd_err_r_unsupported;

STACK_OF(X509) *cd_sk_X509_new_null(void);
int cd_sk_X509_num(const STACK_OF(X509) *sk);
X509 *cd_sk_X509_value(const STACK_OF(X509) *sk, int i);
/// Pushes `x` and takes over the caller's reference on success (returns 0 and leaves `x` alone on failure).
int cd_sk_X509_push(STACK_OF(X509) *sk, X509 *x);
void cd_sk_X509_pop_free(STACK_OF(X509) *sk);

int cd_sk_PKCS7_num(const STACK_OF(PKCS7) *sk);
PKCS7 *cd_sk_PKCS7_value(const STACK_OF(PKCS7) *sk, int i);
void cd_sk_PKCS7_pop_free(STACK_OF(PKCS7) *sk);

int cd_sk_PKCS12_SAFEBAG_num(const STACK_OF(PKCS12_SAFEBAG) *sk);
PKCS12_SAFEBAG *cd_sk_PKCS12_SAFEBAG_value(const STACK_OF(PKCS12_SAFEBAG) *sk, int i);
void cd_sk_PKCS12_SAFEBAG_pop_free(STACK_OF(PKCS12_SAFEBAG) *sk);

/// NID of a PKCS#7 content type (data, encryptedData, signedData, …).
int cd_pkcs7_type_nid(const PKCS7 *p7);
/// The content-encryption algorithm of an encryptedData PKCS#7, or NULL for any other type.
const X509_ALGOR *cd_pkcs7_encrypted_algorithm(const PKCS7 *p7);
/// The certificates of a signedData PKCS#7 (a .p7b "certs-only" file), or NULL. Owned by `p7`.
STACK_OF(X509) *cd_pkcs7_signed_certificates(const PKCS7 *p7);
/// The string value of an ASN1_TYPE if it has ASN.1 type `type` (V_ASN1_OCTET_STRING for a localKeyID,
/// V_ASN1_BMPSTRING for a friendlyName), else NULL.
const ASN1_STRING *cd_asn1_type_string(const ASN1_TYPE *t, int type);

/// Signs `from` (a DigestInfo) into `to` (room for `to_len` bytes) elsewhere; returns the signature length or -1.
typedef int (*cd_external_rsa_sign)(void *context, const unsigned char *from, int from_len, unsigned char *to, int to_len);
/// Called once when the key is freed, to release `context`.
typedef void (*cd_external_rsa_release)(void *context);
/// An RSA EVP_PKEY with the public key (n, e big-endian) whose private operation calls `sign` (PKCS#1 v1.5 only).
/// The key owns `context` on success (released through `release` when the last reference goes); on failure
/// (NULL) the caller keeps it.
EVP_PKEY *cd_external_rsa_key(const unsigned char *modulus, size_t modulus_len, const unsigned char *exponent,
                              size_t exponent_len, cd_external_rsa_sign sign, cd_external_rsa_release release,
                              void *context);

#endif

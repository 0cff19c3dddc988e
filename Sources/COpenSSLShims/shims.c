#include "COpenSSLShims.h"
#include <openssl/crypto.h>

void cd_openssl_free(void *ptr) { OPENSSL_free(ptr); }
long cd_bio_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }

const unsigned long cd_xn_flag_rfc2253 = XN_FLAG_RFC2253;
const unsigned long cd_xn_flag_rfc2253_utf8 = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
const int cd_err_r_unsupported = ERR_R_UNSUPPORTED;

STACK_OF(X509) *cd_sk_X509_new_null(void) { return sk_X509_new_null(); }
int cd_sk_X509_num(const STACK_OF(X509) *sk) { return sk_X509_num(sk); }
X509 *cd_sk_X509_value(const STACK_OF(X509) *sk, int i) { return sk_X509_value(sk, i); }
int cd_sk_X509_push(STACK_OF(X509) *sk, X509 *x) { return sk_X509_push(sk, x) > 0; }
void cd_sk_X509_pop_free(STACK_OF(X509) *sk) { sk_X509_pop_free(sk, X509_free); }

int cd_sk_PKCS7_num(const STACK_OF(PKCS7) *sk) { return sk_PKCS7_num(sk); }
PKCS7 *cd_sk_PKCS7_value(const STACK_OF(PKCS7) *sk, int i) { return sk_PKCS7_value(sk, i); }
void cd_sk_PKCS7_pop_free(STACK_OF(PKCS7) *sk) { sk_PKCS7_pop_free(sk, PKCS7_free); }

int cd_sk_PKCS12_SAFEBAG_num(const STACK_OF(PKCS12_SAFEBAG) *sk) { return sk_PKCS12_SAFEBAG_num(sk); }
PKCS12_SAFEBAG *cd_sk_PKCS12_SAFEBAG_value(const STACK_OF(PKCS12_SAFEBAG) *sk, int i) {
    return sk_PKCS12_SAFEBAG_value(sk, i);
}
void cd_sk_PKCS12_SAFEBAG_pop_free(STACK_OF(PKCS12_SAFEBAG) *sk) {
    sk_PKCS12_SAFEBAG_pop_free(sk, PKCS12_SAFEBAG_free);
}

int cd_pkcs7_type_nid(const PKCS7 *p7) { return OBJ_obj2nid(p7->type); }
const X509_ALGOR *cd_pkcs7_encrypted_algorithm(const PKCS7 *p7) {
    if (OBJ_obj2nid(p7->type) != NID_pkcs7_encrypted || p7->d.encrypted == NULL
        || p7->d.encrypted->enc_data == NULL)
        return NULL;
    return p7->d.encrypted->enc_data->algorithm;
}
STACK_OF(X509) *cd_pkcs7_signed_certificates(const PKCS7 *p7) {
    if (OBJ_obj2nid(p7->type) != NID_pkcs7_signed || p7->d.sign == NULL)
        return NULL;
    return p7->d.sign->cert;
}
const ASN1_STRING *cd_asn1_type_string(const ASN1_TYPE *t, int type) {
    if (t == NULL || t->type != type)
        return NULL;
    return t->value.asn1_string;
}

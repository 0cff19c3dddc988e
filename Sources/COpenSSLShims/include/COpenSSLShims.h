#ifndef CERTDOCTOR_COPENSSL_SHIMS_H
#define CERTDOCTOR_COPENSSL_SHIMS_H
// Wrappers for OpenSSL function-like macros that Swift cannot import.
void cd_openssl_free(void *ptr);
#endif

#include "COpenSSLShims.h"
#include <openssl/crypto.h>

void cd_openssl_free(void *ptr) { OPENSSL_free(ptr); }

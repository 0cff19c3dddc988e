// PKCS#11 modules are loaded at run time with dlopen; only the header is needed here.
#include <p11-kit/pkcs11.h>
#include <dlfcn.h>

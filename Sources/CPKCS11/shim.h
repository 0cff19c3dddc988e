// PKCS#11 modules are loaded at run time with dlopen; only the header is needed here (by its path below
// /usr/include: the module has no pkg-config flags, which would link libp11-kit).
#include <p11-kit-1/p11-kit/pkcs11.h>
#include <dlfcn.h>

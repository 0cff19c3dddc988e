/* A PKCS#11 module for kill tests: it passes every call to the module named by PROXIED_MODULE (given with -D when
 * the test compiles it) and counts the calls that change the token (C_GenerateKeyPair, C_CreateObject,
 * C_SetAttributeValue, C_DestroyObject). Through the environment of the process that loads it:
 *   PKCS11_PROXY_LOG=file       appends "N function" for each such call as it starts (the test learns the calls of a run)
 *   PKCS11_PROXY_KILL_AT=N      the process kills itself (SIGKILL) at the N-th such call,
 *   PKCS11_PROXY_KILL_WHEN=before|after  before passing that call on, or right after it returned
 *   PKCS11_PROXY_REMOVED_FROM=N from the N-th such call on, answers CKR_DEVICE_REMOVED without passing it on (a token
 *                               pulled out; SoftHSM keeps an open token in memory when its directory is moved away)
 *   PKCS11_PROXY_FAIL_AT=N      the N-th such call alone answers CKR_DEVICE_ERROR without passing it on (a passing
 *                               fault: the calls after it, a revert's, go through)
 * Nothing of this is in certdoctor: the process under test is killed from inside a module it loads as any other. */
#include <p11-kit/pkcs11.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PROXIED_MODULE
#error "compile with -DPROXIED_MODULE='\"/path/to/module.so\"'"
#endif

static CK_FUNCTION_LIST proxy;
static CK_FUNCTION_LIST_PTR proxied;
static unsigned long changes;

static unsigned long setting(const char *name) {
    const char *value = getenv(name);
    return value ? strtoul(value, NULL, 10) : 0;
}

static int killsWhen(const char *moment) {
    const char *when = getenv("PKCS11_PROXY_KILL_WHEN");
    return setting("PKCS11_PROXY_KILL_AT") == changes && when != NULL && strcmp(when, moment) == 0;
}

/* Counts the call and notes it; kills the process when told to before it; CKR_OK lets it through. The note is
 * written before any kill, so the log names the call a kill landed at. */
static CK_RV starting(const char *function) {
    changes++;
    const char *log = getenv("PKCS11_PROXY_LOG");
    if (log != NULL) {
        int file = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (file >= 0) {
            char line[96];
            int length = snprintf(line, sizeof line, "%lu %s\n", changes, function);
            if (write(file, line, (size_t)length) != length) { /* the test sees a short log */ }
            close(file);
        }
    }
    if (killsWhen("before")) kill(getpid(), SIGKILL);
    if (setting("PKCS11_PROXY_FAIL_AT") == changes) return CKR_DEVICE_ERROR;
    unsigned long removed = setting("PKCS11_PROXY_REMOVED_FROM");
    return removed != 0 && changes >= removed ? CKR_DEVICE_REMOVED : CKR_OK;
}

static CK_RV finished(CK_RV result) {
    if (killsWhen("after")) kill(getpid(), SIGKILL);
    return result;
}

static CK_RV proxyGenerateKeyPair(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism, CK_ATTRIBUTE_PTR publicTemplate,
                                  CK_ULONG publicCount, CK_ATTRIBUTE_PTR privateTemplate, CK_ULONG privateCount,
                                  CK_OBJECT_HANDLE_PTR publicKey, CK_OBJECT_HANDLE_PTR privateKey) {
    CK_RV refused = starting("C_GenerateKeyPair");
    if (refused != CKR_OK) return refused;
    return finished(proxied->C_GenerateKeyPair(session, mechanism, publicTemplate, publicCount, privateTemplate, privateCount,
                                               publicKey, privateKey));
}

static CK_RV proxyCreateObject(CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR template, CK_ULONG count, CK_OBJECT_HANDLE_PTR object) {
    CK_RV refused = starting("C_CreateObject");
    if (refused != CKR_OK) return refused;
    return finished(proxied->C_CreateObject(session, template, count, object));
}

static CK_RV proxySetAttributeValue(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR template, CK_ULONG count) {
    CK_RV refused = starting("C_SetAttributeValue");
    if (refused != CKR_OK) return refused;
    return finished(proxied->C_SetAttributeValue(session, object, template, count));
}

static CK_RV proxyDestroyObject(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object) {
    CK_RV refused = starting("C_DestroyObject");
    if (refused != CKR_OK) return refused;
    return finished(proxied->C_DestroyObject(session, object));
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
    if (list == NULL) return CKR_ARGUMENTS_BAD;
    if (proxied == NULL) {
        void *library = dlopen(PROXIED_MODULE, RTLD_NOW | RTLD_LOCAL);
        if (library == NULL) return CKR_GENERAL_ERROR;
        CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(library, "C_GetFunctionList");
        if (get == NULL || get(&proxied) != CKR_OK || proxied == NULL) return CKR_GENERAL_ERROR;
        proxy = *proxied;
        proxy.C_GetFunctionList = C_GetFunctionList;
        proxy.C_GenerateKeyPair = proxyGenerateKeyPair;
        proxy.C_CreateObject = proxyCreateObject;
        proxy.C_SetAttributeValue = proxySetAttributeValue;
        proxy.C_DestroyObject = proxyDestroyObject;
    }
    *list = &proxy;
    return CKR_OK;
}

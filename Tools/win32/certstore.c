/*
 * certstore.exe — imports a PKCS#12 file with its private key into the Current User "MY" (Personal) store
 * and lists that store, for a Wine prefix. Wine's certutil.exe is a stub that reports success and stores
 * nothing, and cryptext's CryptExtAddCER is unimplemented, so certdoctor runs this under Wine instead (R10).
 *
 *   certstore.exe import-pfx FILE      password: first line of standard input (never on the command line)
 *   certstore.exe list                 one line per certificate, UTF-8:
 *                                      SHA1<TAB>CN<TAB>key_prov_info=yes|no<TAB>key=ok|missing
 *
 * Exit status: 0 done, 2 usage, 3 cannot read FILE, 4 wrong password or not PKCS#12, 5 store error.
 * Build: Tools/win32/build.sh certstore (i686-w64-mingw32-gcc from gcc-mingw-w64-i686-win32).
 */
#ifndef UNICODE
#define UNICODE
#endif
#ifndef _UNICODE
#define _UNICODE
#endif
#include <windows.h>
#include <wincrypt.h>
#include <string.h>

static void write_utf8(HANDLE handle, const char *text) {
    DWORD written;
    WriteFile(handle, text, (DWORD)strlen(text), &written, NULL);
}

static void write_wide(HANDLE handle, const wchar_t *text) {
    char buffer[2048];
    int length = WideCharToMultiByte(CP_UTF8, 0, text, -1, buffer, sizeof buffer, NULL, NULL);
    if (length > 0) write_utf8(handle, buffer);
}

static void fail(const char *message) {
    write_utf8(GetStdHandle(STD_ERROR_HANDLE), message);
    write_utf8(GetStdHandle(STD_ERROR_HANDLE), "\n");
}

/* Reads the password from standard input up to the first line end; the buffer is wiped by the caller. */
static int read_password(wchar_t *password, int capacity) {
    char bytes[512];
    DWORD total = 0, got = 0;
    HANDLE input = GetStdHandle(STD_INPUT_HANDLE);
    while (total < sizeof bytes - 1 && ReadFile(input, bytes + total, (DWORD)(sizeof bytes - 1 - total), &got, NULL) && got > 0) {
        total += got;
        if (memchr(bytes, '\n', total)) break;
    }
    bytes[total] = 0;
    for (DWORD i = 0; i < total; i++) {
        if (bytes[i] == '\r' || bytes[i] == '\n') { bytes[i] = 0; break; }
    }
    int length = MultiByteToWideChar(CP_UTF8, 0, bytes, -1, password, capacity);
    SecureZeroMemory(bytes, sizeof bytes);
    return length > 0;
}

static int import_pfx(const wchar_t *path) {
    HANDLE file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    if (file == INVALID_HANDLE_VALUE) { fail("cannot open the PFX file"); return 3; }
    DWORD size = GetFileSize(file, NULL), got = 0;
    BYTE *data = HeapAlloc(GetProcessHeap(), 0, size ? size : 1);
    BOOL read = data && ReadFile(file, data, size, &got, NULL) && got == size;
    CloseHandle(file);
    if (!read) { fail("cannot read the PFX file"); return 3; }

    wchar_t password[256];
    if (!read_password(password, 256)) password[0] = 0;
    CRYPT_DATA_BLOB blob = { size, data };
    HCERTSTORE pfx = PFXImportCertStore(&blob, password, CRYPT_USER_KEYSET | CRYPT_EXPORTABLE);
    SecureZeroMemory(password, sizeof password);
    HeapFree(GetProcessHeap(), 0, data);
    if (!pfx) { fail("wrong password, or not a PKCS#12 file"); return 4; }

    HCERTSTORE my = CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0, CERT_SYSTEM_STORE_CURRENT_USER, L"MY");
    if (!my) { fail("cannot open the Current User MY store"); CertCloseStore(pfx, 0); return 5; }
    int imported = 0;
    PCCERT_CONTEXT certificate = NULL;
    while ((certificate = CertEnumCertificatesInStore(pfx, certificate)) != NULL) {
        DWORD length = 0;
        /* Only the certificate that owns the key belongs in Personal; CA certificates of the chain do not. */
        if (!CertGetCertificateContextProperty(certificate, CERT_KEY_PROV_INFO_PROP_ID, NULL, &length)) continue;
        if (!CertAddCertificateContextToStore(my, certificate, CERT_STORE_ADD_REPLACE_EXISTING, NULL)) {
            fail("cannot add the certificate to the store");
            CertFreeCertificateContext(certificate);
            CertCloseStore(my, 0);
            CertCloseStore(pfx, 0);
            return 5;
        }
        BYTE hash[20];
        DWORD hashLength = sizeof hash;
        if (CertGetCertificateContextProperty(certificate, CERT_SHA1_HASH_PROP_ID, hash, &hashLength)) {
            char hex[41];
            for (int i = 0; i < 20; i++) {
                hex[2 * i] = "0123456789ABCDEF"[hash[i] >> 4];
                hex[2 * i + 1] = "0123456789ABCDEF"[hash[i] & 15];
            }
            hex[40] = 0;
            write_utf8(GetStdHandle(STD_OUTPUT_HANDLE), hex);
            write_utf8(GetStdHandle(STD_OUTPUT_HANDLE), "\n");
        }
        imported++;
    }
    /* Without an explicit commit Wine keeps changes in memory only (wine-in-ci §6). */
    CertControlStore(my, 0, CERT_STORE_CTRL_COMMIT, NULL);
    CertCloseStore(my, CERT_CLOSE_STORE_FORCE_FLAG);
    CertCloseStore(pfx, 0);
    if (imported == 0) { fail("the PFX file holds no certificate with a private key"); return 4; }
    return 0;
}

static int list_store(void) {
    HCERTSTORE my = CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0, CERT_SYSTEM_STORE_CURRENT_USER, L"MY");
    if (!my) { fail("cannot open the Current User MY store"); return 5; }
    HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
    PCCERT_CONTEXT certificate = NULL;
    while ((certificate = CertEnumCertificatesInStore(my, certificate)) != NULL) {
        BYTE hash[20];
        DWORD hashLength = sizeof hash;
        char hex[41] = "";
        if (CertGetCertificateContextProperty(certificate, CERT_SHA1_HASH_PROP_ID, hash, &hashLength)) {
            for (int i = 0; i < 20; i++) {
                hex[2 * i] = "0123456789ABCDEF"[hash[i] >> 4];
                hex[2 * i + 1] = "0123456789ABCDEF"[hash[i] & 15];
            }
            hex[40] = 0;
        }
        wchar_t name[512] = L"";
        CertGetNameStringW(certificate, CERT_NAME_ATTR_TYPE, 0, (void *)szOID_COMMON_NAME, name, 512);
        DWORD length = 0;
        BOOL hasInfo = CertGetCertificateContextProperty(certificate, CERT_KEY_PROV_INFO_PROP_ID, NULL, &length);
        HCRYPTPROV_OR_NCRYPT_KEY_HANDLE key = 0;
        DWORD spec = 0;
        BOOL mustFree = FALSE;
        BOOL hasKey = hasInfo && CryptAcquireCertificatePrivateKey(certificate, CRYPT_ACQUIRE_SILENT_FLAG, NULL, &key, &spec, &mustFree);
        if (hasKey && mustFree) CryptReleaseContext(key, 0);
        write_utf8(out, hex);
        write_utf8(out, "\t");
        write_wide(out, name);
        write_utf8(out, hasInfo ? "\tkey_prov_info=yes" : "\tkey_prov_info=no");
        write_utf8(out, hasKey ? "\tkey=ok\n" : "\tkey=missing\n");
    }
    CertCloseStore(my, 0);
    return 0;
}

int wmain(int argc, wchar_t **argv) {
    if (argc == 3 && lstrcmpW(argv[1], L"import-pfx") == 0) return import_pfx(argv[2]);
    if (argc == 2 && lstrcmpW(argv[1], L"list") == 0) return list_store();
    fail("usage: certstore.exe import-pfx FILE (password on standard input) | certstore.exe list");
    return 2;
}

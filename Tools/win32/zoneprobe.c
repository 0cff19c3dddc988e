/*
 * zoneprobe.exe — asks the urlmon of the running Windows or Wine which security zone a URL is in and what
 * the zone's URL-action policies are, so the zone rules certdoctor implements can be compared with the real
 * implementation (the differential tests run it under Wine, 32-bit and 64-bit).
 *
 *   zoneprobe.exe URL [ACTION...] [-- URL [ACTION...]]...      ACTION in hex without 0x (1004, 120A)
 *
 * Output (stdout, one line each, hex without 0x):
 *   url <URL>
 *   zone <hresult> <zone>                              IInternetSecurityManager::MapUrlToZone
 *   action <ACTION> <hresult> <policy>                 IInternetSecurityManager::ProcessUrlAction
 *   zonepolicy <ACTION> <hresult> <policy>             IInternetZoneManager::GetZoneActionPolicy(zone, URLZONEREG_DEFAULT)
 * A policy the call did not write stays ffffffff. Several URLs per run save one Wine start-up each.
 *
 * Exit status: 0 done, 2 usage, 5 the managers could not be created.
 * Build: Tools/win32/build.sh (i686 and x86_64 mingw-w64).
 */
#ifndef UNICODE
#define UNICODE
#endif
#ifndef _UNICODE
#define _UNICODE
#endif
#define COBJMACROS
#include <windows.h>
#include <urlmon.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

static void write_text(const char *text) {
    DWORD written;
    WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), text, (DWORD)strlen(text), &written, NULL);
}

static void write_url_line(const wchar_t *url) {
    char buffer[4096];
    int length = WideCharToMultiByte(CP_UTF8, 0, url, -1, buffer, sizeof buffer, NULL, NULL);
    if (length <= 0) buffer[0] = 0;
    write_text("url ");
    write_text(buffer);
    write_text("\n");
}

static void probe(IInternetSecurityManager *security, IInternetZoneManager *zones, wchar_t **arguments, int count) {
    char line[128];
    DWORD zone = 0xffffffff;
    write_url_line(arguments[0]);
    HRESULT hr = IInternetSecurityManager_MapUrlToZone(security, arguments[0], &zone, 0);
    snprintf(line, sizeof line, "zone %08lx %lu\n", (unsigned long)hr, (unsigned long)zone);
    write_text(line);
    for (int i = 1; i < count; i++) {
        DWORD action = (DWORD)wcstoul(arguments[i], NULL, 16);
        DWORD policy = 0xffffffff;
        hr = IInternetSecurityManager_ProcessUrlAction(security, arguments[0], action, (BYTE *)&policy, sizeof policy,
                                                       NULL, 0, 0, 0);
        snprintf(line, sizeof line, "action %lX %08lx %08lx\n", (unsigned long)action, (unsigned long)hr, (unsigned long)policy);
        write_text(line);
        policy = 0xffffffff;
        hr = IInternetZoneManager_GetZoneActionPolicy(zones, zone, action, (BYTE *)&policy, sizeof policy, URLZONEREG_DEFAULT);
        snprintf(line, sizeof line, "zonepolicy %lX %08lx %08lx\n", (unsigned long)action, (unsigned long)hr, (unsigned long)policy);
        write_text(line);
    }
}

int wmain(int argc, wchar_t **argv) {
    if (argc < 2) {
        write_text("usage: zoneprobe.exe URL [ACTION...] [-- URL [ACTION...]]...\n");
        return 2;
    }
    HRESULT hr = CoInitialize(NULL);
    if (FAILED(hr)) return 5;
    IInternetSecurityManager *security = NULL;
    IInternetZoneManager *zones = NULL;
    if (FAILED(CoInternetCreateSecurityManager(NULL, &security, 0)) || FAILED(CoInternetCreateZoneManager(NULL, &zones, 0))) {
        write_text("error cannot create the security or zone manager\n");
        CoUninitialize();
        return 5;
    }
    int start = 1;
    for (int i = 1; i <= argc; i++) {
        if (i == argc || wcscmp(argv[i], L"--") == 0) {
            if (i > start) probe(security, zones, argv + start, i - start);
            start = i + 1;
        }
    }
    IInternetZoneManager_Release(zones);
    IInternetSecurityManager_Release(security);
    CoUninitialize();
    return 0;
}

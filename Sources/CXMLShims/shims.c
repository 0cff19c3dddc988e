#include "CXMLShims.h"
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlerror.h>
#include <libxslt/xslt.h>
#include <libxslt/xsltutils.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

// libxml2's generic/structured handlers are per thread, libxslt's generic handler is one
// process-wide global: both point at trampolines that forward to this thread's capture, so
// parallel callers never see each other's messages and nothing reaches stderr.
static _Thread_local cxml_capture current_capture = { NULL, NULL };

// Messages arrive in fragments (libxslt prints "compilation error: " and the detail
// separately), so they are collected into whole lines before reaching the sink.
static _Thread_local char pending_line[2048];
static _Thread_local size_t pending_length = 0;

static void deliver(const char *text) {
    if (current_capture.sink == NULL) {
        return;
    }
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\n') {
            pending_line[pending_length] = '\0';
            if (pending_length > 0) {
                current_capture.sink(current_capture.context, pending_line);
            }
            pending_length = 0;
        } else if (pending_length + 1 < sizeof(pending_line)) {
            pending_line[pending_length++] = *p;
        }
    }
}

static void flush_pending(void) {
    if (pending_length > 0 && current_capture.sink != NULL) {
        pending_line[pending_length] = '\0';
        current_capture.sink(current_capture.context, pending_line);
    }
    pending_length = 0;
}

static void generic_trampoline(void *ctx, const char *format, ...) {
    (void)ctx;
    char buffer[2048];
    va_list args;
    va_start(args, format);
    vsnprintf(buffer, sizeof(buffer), format, args);
    va_end(args);
    deliver(buffer);
}

static void structured_trampoline(void *ctx, xmlErrorPtr error) {
    (void)ctx;
    if (error == NULL || error->message == NULL) {
        return;
    }
    char buffer[2048];
    if (error->file != NULL && error->line > 0) {
        snprintf(buffer, sizeof(buffer), "%s:%d: %s", error->file, error->line, error->message);
    } else {
        snprintf(buffer, sizeof(buffer), "%s", error->message);
    }
    size_t length = strlen(buffer);
    if (length == 0 || buffer[length - 1] != '\n') {
        deliver(buffer);
        deliver("\n");
    } else {
        deliver(buffer);
    }
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_libraries(void) {
    xmlInitParser();
    // Every load (DTD, entity, xs:include, xsl:import, document()) goes through this loader:
    // it refuses http and ftp whatever options a caller passes.
    xmlSetExternalEntityLoader(xmlNoNetExternalEntityLoader);
    xsltInit();
    xsltSetGenericErrorFunc(NULL, generic_trampoline);
}

void cxml_init(void) {
    pthread_once(&init_once, init_libraries);
}

cxml_capture cxml_capture_begin(void *context, cxml_sink sink) {
    cxml_init();
    cxml_capture previous = current_capture;
    flush_pending();
    current_capture.context = context;
    current_capture.sink = sink;
    xmlSetGenericErrorFunc(NULL, generic_trampoline);
    xmlSetStructuredErrorFunc(NULL, structured_trampoline);
    return previous;
}

void cxml_capture_end(cxml_capture previous) {
    flush_pending();
    current_capture = previous;
}

void cxml_free(void *ptr) { xmlFree(ptr); }

const char *cxml_runtime_version(void) {
    return xmlParserVersion;
}

int cxml_xslt_runtime_version(void) {
    return xsltLibxsltVersion;
}

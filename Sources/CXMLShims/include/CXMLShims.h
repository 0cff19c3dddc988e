#ifndef CERTDOCTOR_CXML_SHIMS_H
#define CERTDOCTOR_CXML_SHIMS_H
// Kept free of libxml headers (their ICU declarations clash with Foundation's).

/// Receives one formatted diagnostic line from libxml2 or libxslt.
typedef void (*cxml_sink)(void *context, const char *message);

/// Where this thread's libxml2/libxslt diagnostics go while a capture is active.
typedef struct {
    void *context;
    cxml_sink sink;
} cxml_capture;

/// Initialises libxml2 and libxslt exactly once per process (safe from any thread): the
/// parser, a network-refusing external entity loader, and the diagnostic trampolines.
void cxml_init(void);

/// Routes this thread's generic and structured libxml2/libxslt diagnostics to `sink`
/// (the printf-style handlers cannot be written in Swift). Returns the previous capture,
/// to be handed back to `cxml_capture_end`.
cxml_capture cxml_capture_begin(void *context, cxml_sink sink);
void cxml_capture_end(cxml_capture previous);

void cxml_free(void *ptr);

/// The version of the libxml2 the process runs with (`xmlParserVersion`, e.g. "20914"), which libxml2 makes a
/// function-like macro in threaded builds that Swift cannot read.
const char *cxml_runtime_version(void);

/// The version of the libxslt the process runs with (`xsltLibxsltVersion`, e.g. 10135).
int cxml_xslt_runtime_version(void);
#endif

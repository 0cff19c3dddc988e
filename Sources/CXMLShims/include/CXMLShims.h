#ifndef CERTDOCTOR_CXML_SHIMS_H
#define CERTDOCTOR_CXML_SHIMS_H
// Kept free of libxml headers (their ICU declarations clash with Foundation's).
void cxml_free(void *ptr);
#endif

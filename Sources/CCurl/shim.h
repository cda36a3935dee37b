#pragma once
#include <curl/curl.h>

/* curl_easy_setopt, curl_multi_setopt and curl_easy_getinfo are variadic, so Swift cannot
 * call them. One typed wrapper per argument kind keeps every call site type-checked
 * (SYSLIBS.md: "one per argument kind: long, curl_off_t, pointer, string, slist, callback"). */

/** Integer options (timeouts, flags, sizes that fit a long). */
static inline CURLcode herald_easy_setopt_long(CURL *easy, CURLoption option, long value) {
    return curl_easy_setopt(easy, option, value);
}

/** 64-bit size options (CURLOPT_POSTFIELDSIZE_LARGE). */
static inline CURLcode herald_easy_setopt_off(CURL *easy, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(easy, option, value);
}

/** Opaque context pointers (CURLOPT_WRITEDATA, CURLOPT_ERRORBUFFER, CURLOPT_PRIVATE). */
static inline CURLcode herald_easy_setopt_pointer(CURL *easy, CURLoption option, void *value) {
    return curl_easy_setopt(easy, option, value);
}

/** String options; curl copies them (CURLOPT_URL, CURLOPT_PROTOCOLS_STR, CURLOPT_COPYPOSTFIELDS). */
static inline CURLcode herald_easy_setopt_string(CURL *easy, CURLoption option, const char *value) {
    return curl_easy_setopt(easy, option, value);
}

/** Header lists; curl does NOT copy them, so the list must outlive the transfer. */
static inline CURLcode herald_easy_setopt_slist(CURL *easy, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(easy, option, value);
}

/** Body and header callbacks (CURLOPT_WRITEFUNCTION, CURLOPT_HEADERFUNCTION). */
static inline CURLcode herald_easy_setopt_write_callback(CURL *easy, CURLoption option, curl_write_callback value) {
    return curl_easy_setopt(easy, option, value);
}

/** Integer results (CURLINFO_RESPONSE_CODE). */
static inline CURLcode herald_easy_getinfo_long(CURL *easy, CURLINFO info, long *value) {
    return curl_easy_getinfo(easy, info, value);
}

/** 64-bit results (CURLINFO_TOTAL_TIME_T in microseconds, CURLINFO_NUM_CONNECTS is long). */
static inline CURLcode herald_easy_getinfo_off(CURL *easy, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(easy, info, value);
}

/** Integer multi options (CURLMOPT_MAXCONNECTS). */
static inline CURLMcode herald_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

/** CURL_GLOBAL_DEFAULT is a macro built from other macros; a function keeps it typed. */
static inline long herald_curl_global_default(void) { return CURL_GLOBAL_DEFAULT; }

/** CURLH_HEADER is a shifted macro; the plain-server-header origin for curl_easy_header. */
static inline unsigned int herald_curlh_header(void) { return CURLH_HEADER; }

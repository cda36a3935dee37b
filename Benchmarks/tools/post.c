/* Load generator on libcurl's multi interface, for two figures:
 *  - the plain libcurl ceiling: N POSTs of one body, C in flight, keep-alive, as fast
 *    as possible (what Herald's delivery is compared with);
 *  - an open-loop paced stream (--rate R): request i starts at t0 + i/R whatever the
 *    previous answers, with the body built from a template where {{seq}} becomes i and
 *    {{ns}} the CLOCK_MONOTONIC send time in ns (the sink measures arrival - {{ns}}).
 *
 *   post --url URL --count N [--concurrency C] [--rate R] (--body FILE | --template FILE)
 *        [--header 'Name: value']... [--deadline SECONDS]
 * Prints one JSON object: sent, ok (2xx), errors, seconds, rate and answer latencies.
 * Bounded: at most N requests and --deadline seconds (default 120).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#define MAX_HEADERS 8
#define MAX_CONCURRENCY 1024

struct slot { CURL *easy; unsigned long long started; char *body; int busy; };

static unsigned long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)n + 1);
    if (!data || fread(data, 1, (size_t)n, f) != (size_t)n) { fclose(f); free(data); return NULL; }
    fclose(f);
    data[n] = 0;
    *size = (size_t)n;
    return data;
}

/* Writes the template with {{seq}} and {{ns}} replaced into out (capacity cap). */
static size_t render(const char *tpl, unsigned long long seq, unsigned long long ns, char *out, size_t cap) {
    size_t used = 0;
    for (const char *p = tpl; *p && used + 24 < cap;) {
        if (strncmp(p, "{{seq}}", 7) == 0) { used += (size_t)sprintf(out + used, "%llu", seq); p += 7; }
        else if (strncmp(p, "{{ns}}", 6) == 0) { used += (size_t)sprintf(out + used, "%llu", ns); p += 6; }
        else out[used++] = *p++;
    }
    out[used] = 0;
    return used;
}

static size_t discard(char *data, size_t size, size_t n, void *user) { (void)data; (void)user; return size * n; }

static int compare(const void *a, const void *b) {
    unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    const char *url = NULL, *body_path = NULL, *template_path = NULL, *headers[MAX_HEADERS];
    long count = 0, concurrency = 64, header_count = 0;
    double rate = 0, deadline_s = 120;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--url")) url = argv[i + 1];
        else if (!strcmp(argv[i], "--count")) count = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--concurrency")) concurrency = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--rate")) rate = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--body")) body_path = argv[i + 1];
        else if (!strcmp(argv[i], "--template")) template_path = argv[i + 1];
        else if (!strcmp(argv[i], "--deadline")) deadline_s = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--header") && header_count < MAX_HEADERS) headers[header_count++] = argv[i + 1];
        else { fprintf(stderr, "post: unknown option %s\n", argv[i]); return 2; }
    }
    if (!url || count <= 0 || concurrency < 1 || concurrency > MAX_CONCURRENCY || (!body_path == !template_path)) {
        fprintf(stderr, "usage: post --url URL --count N [--concurrency C] [--rate R] (--body FILE | --template FILE) [--header H]...\n");
        return 2;
    }
    size_t source_size = 0;
    char *source = read_file(body_path ? body_path : template_path, &source_size);
    if (!source) { fprintf(stderr, "post: cannot read the body\n"); return 1; }
    size_t body_cap = source_size + 64;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, concurrency);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, concurrency);
    struct curl_slist *list = curl_slist_append(NULL, "Content-Type: application/json");
    list = curl_slist_append(list, "Expect:");
    for (long i = 0; i < header_count; i++) list = curl_slist_append(list, headers[i]);

    struct slot *slots = calloc((size_t)concurrency, sizeof *slots);
    unsigned long long *latency = malloc(sizeof *latency * (size_t)count);
    for (long i = 0; i < concurrency; i++) {
        slots[i].easy = curl_easy_init();
        slots[i].body = malloc(body_cap);
        curl_easy_setopt(slots[i].easy, CURLOPT_URL, url);
        curl_easy_setopt(slots[i].easy, CURLOPT_HTTPHEADER, list);
        curl_easy_setopt(slots[i].easy, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(slots[i].easy, CURLOPT_PRIVATE, &slots[i]);
        curl_easy_setopt(slots[i].easy, CURLOPT_TIMEOUT_MS, 30000L);
        curl_easy_setopt(slots[i].easy, CURLOPT_NOSIGNAL, 1L);
    }

    long started = 0, done = 0, ok = 0, errors = 0, late = 0, in_flight = 0;
    unsigned long long t0 = now_ns(), deadline = t0 + (unsigned long long)(deadline_s * 1e9);
    double interval = rate > 0 ? 1e9 / rate : 0;
    while (done < count && now_ns() < deadline) {
        unsigned long long now = now_ns();
        while (started < count && in_flight < concurrency && (rate <= 0 || t0 + (unsigned long long)(started * interval) <= now)) {
            struct slot *s = NULL;
            for (long i = 0; i < concurrency && !s; i++) if (!slots[i].busy) s = &slots[i];
            if (rate > 0 && now - (t0 + (unsigned long long)(started * interval)) > 1000000ull) late++;
            s->started = now_ns();
            size_t n = template_path ? render(source, (unsigned long long)started, s->started, s->body, body_cap) : source_size;
            curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE, (long)n);
            curl_easy_setopt(s->easy, CURLOPT_COPYPOSTFIELDS, template_path ? s->body : source);
            s->busy = 1;
            curl_multi_add_handle(multi, s->easy);
            started++;
            in_flight++;
        }
        int running = 0;
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            struct slot *s;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            long code = 0;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
            if (msg->data.result == CURLE_OK && code >= 200 && code < 300) ok++; else errors++;
            latency[done++] = now_ns() - s->started;
            curl_multi_remove_handle(multi, s->easy);
            s->busy = 0;
            in_flight--;
        }
        /* Wait for socket activity or the next scheduled start, with ns precision
         * (curl_multi_poll takes whole ms, which would bunch a 1,000/s stream). */
        long long wait_ns = 100000000;
        if (rate <= 0 && started < count && in_flight < concurrency) continue; /* a slot freed up */
        if (rate > 0 && started < count && in_flight < concurrency) {
            wait_ns = (long long)(t0 + (unsigned long long)(started * interval)) - (long long)now_ns();
            if (wait_ns <= 0) continue;
        }
        long curl_ms = -1;
        curl_multi_timeout(multi, &curl_ms);
        if (curl_ms >= 0 && curl_ms * 1000000LL < wait_ns) wait_ns = curl_ms * 1000000LL;
        fd_set r, w, e;
        int maxfd = -1;
        FD_ZERO(&r); FD_ZERO(&w); FD_ZERO(&e);
        curl_multi_fdset(multi, &r, &w, &e, &maxfd);
        struct timespec pause = {wait_ns / 1000000000LL, wait_ns % 1000000000LL};
        if (maxfd < 0) nanosleep(&pause, NULL); else pselect(maxfd + 1, &r, &w, &e, &pause, NULL);
    }
    double seconds = (double)(now_ns() - t0) / 1e9;
    qsort(latency, (size_t)done, sizeof *latency, compare);
    #define Q(q) (done ? latency[(size_t)((double)(done - 1) * (q))] / 1000.0 : 0)
    printf("{\"sent\": %ld, \"ok\": %ld, \"errors\": %ld, \"unfinished\": %ld, \"seconds\": %.4f, \"rate\": %.1f, "
           "\"p50_us\": %.1f, \"p99_us\": %.1f, \"max_us\": %.1f, \"late_starts\": %ld}\n",
           started, ok, errors, started - done, seconds, done / seconds, Q(0.5), Q(0.99), Q(1.0), late);
    for (long i = 0; i < concurrency; i++) { curl_multi_remove_handle(multi, slots[i].easy); curl_easy_cleanup(slots[i].easy); free(slots[i].body); }
    curl_multi_cleanup(multi);
    curl_slist_free_all(list);
    curl_global_cleanup();
    return errors || done < count ? 1 : 0;
}

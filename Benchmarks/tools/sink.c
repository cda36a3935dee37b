/* Timestamping webhook sink for the end-to-end benchmark (libmicrohttpd, one epoll
 * thread). Every POST is answered 204 once its body has arrived; if the body carries
 * "sent_ns":"<CLOCK_MONOTONIC ns>" (the label the sender put on the event or alert),
 * now - sent is recorded. CLOCK_MONOTONIC is one clock for all processes on Linux.
 *
 *   sink PORT            GET /stats -> "count N bodies M\n"
 *                        GET /dump  -> one latency in ns per line, then reset
 *                        GET /last  -> the last body received (for payload size)
 * Memory is bounded: at most MAX_SAMPLES latencies and MAX_BODY bytes per body.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES 2000000 /* a 1,000/s run of 30 min; the runner asks far fewer */
#define MAX_BODY (4 * 1024 * 1024)

static unsigned long long *samples;
static size_t sample_count, body_count;
static char *last_body;
static size_t last_size;

struct upload { char *data; size_t size; };

static unsigned long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void record(const struct upload *up, unsigned long long arrived) {
    static const char marker[] = "\"sent_ns\":\"";
    body_count++;
    if (up->size > 0) {
        memcpy(last_body, up->data, up->size);
        last_size = up->size;
    }
    const char *at = up->data ? memmem(up->data, up->size, marker, sizeof marker - 1) : NULL;
    if (!at || sample_count >= MAX_SAMPLES) return;
    unsigned long long sent = strtoull(at + sizeof marker - 1, NULL, 10);
    if (sent > 0 && arrived >= sent) samples[sample_count++] = arrived - sent;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *body, size_t size) {
    struct MHD_Response *r = MHD_create_response_from_buffer(size, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result get(struct MHD_Connection *c, const char *url) {
    if (strcmp(url, "/stats") == 0) {
        char text[128];
        int n = snprintf(text, sizeof text, "count %zu bodies %zu\n", sample_count, body_count);
        return reply(c, 200, text, (size_t)n);
    }
    if (strcmp(url, "/last") == 0) return reply(c, 200, last_body, last_size);
    if (strcmp(url, "/dump") == 0) {
        char *text = malloc(sample_count * 21 + 1);
        if (!text) return MHD_NO;
        size_t used = 0;
        for (size_t i = 0; i < sample_count; i++) used += (size_t)sprintf(text + used, "%llu\n", samples[i]);
        sample_count = 0;
        body_count = 0;
        enum MHD_Result ret = reply(c, 200, text, used);
        free(text);
        return ret;
    }
    return reply(c, 404, "", 0);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *data, size_t *size, void **req) {
    (void)cls; (void)version;
    if (strcmp(method, "GET") == 0) {
        if (*req == NULL) { *req = (void *)1; return MHD_YES; } /* answer on a later call: keep-alive */
        return get(c, url);
    }
    struct upload *up = *req;
    if (!up) {
        up = calloc(1, sizeof *up);
        if (!up) return MHD_NO;
        *req = up;
        return MHD_YES;
    }
    if (*size) {
        if (up->size + *size <= MAX_BODY) {
            char *grown = realloc(up->data, up->size + *size);
            if (!grown) return MHD_NO;
            up->data = grown;
            memcpy(up->data + up->size, data, *size);
            up->size += *size;
        }
        *size = 0;
        return MHD_YES;
    }
    record(up, now_ns());
    return reply(c, 204, "", 0);
}

static void completed(void *cls, struct MHD_Connection *c, void **req, enum MHD_RequestTerminationCode code) {
    (void)cls; (void)c; (void)code;
    if (*req && *req != (void *)1) {
        struct upload *up = *req;
        free(up->data);
        free(up);
    }
    *req = NULL;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: sink PORT\n"); return 2; }
    samples = malloc(sizeof *samples * MAX_SAMPLES);
    last_body = malloc(MAX_BODY);
    if (!samples || !last_body) return 1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* MHD's thread inherits the mask; main sigwaits */
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)atoi(argv[1]));
    addr.sin_addr.s_addr = htonl(0x7f000001);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
                                            &handle, NULL, MHD_OPTION_SOCK_ADDR, &addr,
                                            MHD_OPTION_NOTIFY_COMPLETED, &completed, NULL,
                                            MHD_OPTION_CONNECTION_LIMIT, 1024u,
                                            MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
    if (!d) { fprintf(stderr, "sink: cannot listen on 127.0.0.1:%s\n", argv[1]); return 1; }
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return 0;
}

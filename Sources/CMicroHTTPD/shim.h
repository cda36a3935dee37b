#pragma once
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>

// Swift does not import C variadic functions (MHD_start_daemon, MHD_get_connection_info,
// MHD_get_daemon_info), so each call shape HeraldServer needs gets one typed wrapper here.

/// Starts an epoll daemon on an already-listening socket with Herald's options. Options that
/// are "not set" (0) are left out so MHD keeps its own default; the thread pool option is only
/// given for more than one thread because MHD treats a pool of one as a master plus a worker.
static inline struct MHD_Daemon *herald_mhd_start_daemon(
    unsigned int flags, int listen_fd,
    unsigned int connection_limit, size_t memory_limit, unsigned int timeout_seconds,
    unsigned int thread_pool_size,
    const char *tls_certificate, const char *tls_key, const char *tls_priorities,
    MHD_AccessHandlerCallback access_handler,
    MHD_RequestCompletedCallback completed,
    MHD_LogCallback logger,
    void *context)
{
    struct MHD_OptionItem options[11];
    int n = 0;
    /* The logger first: MHD warns about (and mis-routes) messages of options before it. */
    options[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)logger, context };
    options[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL };
    if (connection_limit > 0)
        options[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, connection_limit, NULL };
    if (memory_limit > 0)
        options[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)memory_limit, NULL };
    if (timeout_seconds > 0)
        options[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, timeout_seconds, NULL };
    if (thread_pool_size > 1)
        options[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, thread_pool_size, NULL };
    options[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, context };
    /* TLS (with MHD_USE_TLS in flags): PEM text, which GnuTLS parses while the daemon starts. */
    if (tls_certificate && tls_key) {
        options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)tls_certificate };
        options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)tls_key };
        if (tls_priorities)
            options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)tls_priorities };
    }
    options[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
    return MHD_start_daemon(flags, 0, NULL, NULL, access_handler, context,
                            MHD_OPTION_ARRAY, options, MHD_OPTION_END);
}

/// Whether this libmicrohttpd was built with TLS (Debian's is, with GnuTLS).
static inline int herald_mhd_tls_supported(void)
{
    return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

/// Loads a certificate and key into GnuTLS exactly as a listener would, without a socket
/// or threads, and stops again: 1 if usable, else 0 with GnuTLS's reason sent to `logger`
/// (a key that does not match the certificate, a malformed PEM, bad priorities).
static inline int herald_mhd_check_tls(const char *tls_certificate, const char *tls_key, const char *tls_priorities,
                                       MHD_AccessHandlerCallback access_handler, MHD_LogCallback logger, void *context)
{
    struct MHD_OptionItem options[5];
    int n = 0;
    options[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)logger, context };
    options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)tls_certificate };
    options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)tls_key };
    if (tls_priorities)
        options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)tls_priorities };
    options[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
    struct MHD_Daemon *daemon = MHD_start_daemon(MHD_USE_TLS | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG,
                                                 0, NULL, NULL, access_handler, NULL,
                                                 MHD_OPTION_ARRAY, options, MHD_OPTION_END);
    if (!daemon) return 0;
    MHD_stop_daemon(daemon);
    return 1;
}

/// The peer address of a connection (NULL if MHD cannot tell).
static inline const struct sockaddr *herald_mhd_client_address(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info ? info->client_addr : NULL;
}

/// How many connections the daemon (all its workers) holds right now; used to drain.
static inline unsigned int herald_mhd_current_connections(struct MHD_Daemon *daemon)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info ? info->num_connections : 0;
}

/// Formats one MHD log line (printf format + va_list) into `buffer`; MHD's logger hands
/// Swift a va_list, and formatting it in C keeps the va_list handling where it belongs.
static inline void herald_mhd_format_log(char *buffer, size_t size, const char *format, va_list args)
{
    vsnprintf(buffer, size, format, args);
}

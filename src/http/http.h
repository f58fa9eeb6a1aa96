/* SPDX-License-Identifier: MIT */
/*
 * http: the HTTP transport (libmicrohttpd with its internal thread pool). It
 * knows requests, responses, limits and connections, nothing of the API:
 * the application gives a handler and gets every request on one of the
 * worker threads.
 *
 * What the server does for every request, before and after the handler:
 *   - a request id: the client's X-Request-Id when it is 1..64 characters of
 *     [A-Za-z0-9._-], else a fresh one; sent back in X-Request-Id;
 *   - limits: the body is capped while it arrives (req->limit says when a
 *     limit was passed, and the handler answers with the error it chooses),
 *     at max_body in memory, or, for the requests `spool` picks by method and
 *     path before any body byte arrives, at the cap it gives, written as it
 *     arrives to a temporary file that has no name (req->spool_fd);
 *     header size (libmicrohttpd answers 431 itself), query parameter count,
 *     a per-connection idle timeout, a connection cap in all and per client
 *     address, and a cap on the body bytes buffered by all requests at once;
 *   - security headers on every response (CSP with frame-ancestors 'none',
 *     X-Content-Type-Options nosniff, X-Frame-Options DENY, Referrer-Policy
 *     no-referrer, Cache-Control no-store);
 *   - an access log line (log_info) when the request completes;
 *   - keep-alive: the response is queued on the second call of the access
 *     handler (NOTES.md).
 *
 * Threads: the handler runs on up to `threads` threads at once. Each thread
 * has its own context, made by `thread_open` on the thread's first request
 * and released by `thread_close` when the server stops (one store connection
 * per thread).
 *
 * Shutdown (http_server_stop): new connections are refused at once (the
 * listening socket is closed), requests in flight finish (up to
 * `drain_seconds`), then the threads stop.
 */
#ifndef SD_HTTP_HTTP_H
#define SD_HTTP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/error.h"
#include "base/strbuf.h"

#define HTTP_REQUEST_ID_MAX 65
#define HTTP_HEADERS_MAX    8

/*
 * Which limit a request passed, for the handler to answer. A body over the
 * cap (by its Content-Length, or as it arrives) and a body that would take
 * the bodies buffered by all requests past `max_buffered` (BUSY) are answered
 * at once, without reading the rest: the connection is then closed, after a
 * lingering read that lets the client see the answer (a close with unread
 * data would reset the connection under it).
 */
enum http_limit {
    HTTP_LIMIT_NONE,
    HTTP_LIMIT_BODY,
    HTTP_LIMIT_PARAMS,
    HTTP_LIMIT_BUSY,
    HTTP_LIMIT_SPOOL, /* a spooled body could not be written to its temporary file */
};

struct http_conn; /* libmicrohttpd's connection, opaque */

struct http_request {
    const char *method; /* "GET", "POST"... */
    const char *path;   /* percent-decoded path without the query */
    char remote[64];    /* client address */
    char id[HTTP_REQUEST_ID_MAX];
    const char *body; /* NUL-terminated; "" when none or spooled */
    size_t body_len;
    /*
     * A spooled body (see `spool` in http_config): a temporary file without a
     * name, open for reading and writing at its end, closed when the request
     * completes (dup() it to keep it); -1 when the body is in memory.
     * HTTP_LIMIT_SPOOL: the file could not be made or written.
     */
    int spool_fd;
    int64_t spool_len;
    /*
     * 1 while the handler sees a spooled request with its headers only,
     * before any of its body is read: a handler that refuses the request
     * (authentication, roles, parameters) answers now and the body is never
     * written to disk; one that leaves resp->status at 0 has the body read,
     * and is called again with it.
     */
    int preflight;
    enum http_limit limit;
    int64_t started_us;  /* monotonic clock */
    struct arena *arena; /* dies when the request completes */
    void *thread_ctx;    /* this worker thread's context (thread_open) */
    int tag;             /* set by the handler (the route), given to `complete`; -1 */
    struct http_conn *conn;
};

struct http_header {
    const char *name;  /* a constant */
    const char *value; /* the caller's; copied when the response is sent */
};

struct http_response {
    int status;
    const char *content_type; /* a constant; default application/json */
    struct strbuf body;
    int n_headers;
    struct http_header headers[HTTP_HEADERS_MAX];
};

/* Adds a response header (value copied into the request's arena); extra ones are dropped. */
void http_response_header(struct http_request *req, struct http_response *resp, const char *name,
                          const char *value);

/* The request header `name` (case-insensitive), or NULL. */
const char *http_header(const struct http_request *req, const char *name);
/* The query parameter `name` (decoded), or NULL; "" for "?name". */
const char *http_query(const struct http_request *req, const char *name);
/* Calls fn for every query parameter (value NULL for "?name"); stops when fn returns non-zero. */
typedef int http_query_fn(void *ctx, const char *name, const char *value);
void http_query_each(const struct http_request *req, http_query_fn *fn, void *ctx);

typedef void http_handler_fn(void *app, struct http_request *req, struct http_response *resp);
/* The body cap of a request whose body goes to a temporary file, or 0: in memory (max_body). */
typedef size_t http_spool_fn(void *app, const char *method, const char *path);
typedef void *http_thread_open_fn(void *app);
typedef void http_thread_close_fn(void *app, void *thread_ctx);
/* Called when a request completed (response sent or connection lost). */
typedef void http_complete_fn(void *app, const struct http_request *req, int status,
                              int64_t duration_us);

struct http_config {
    const char *listen;       /* "HOST:PORT", IPv4 or [IPv6]; port 0 picks a free one */
    unsigned threads;         /* worker threads; 0: one per core */
    size_t max_body;          /* bytes of request body kept; more sets HTTP_LIMIT_BODY */
    size_t max_header;        /* bytes for the request line and headers (431 beyond) */
    unsigned max_params;      /* query parameters; more sets HTTP_LIMIT_PARAMS */
    unsigned timeout_seconds; /* idle connection timeout */
    unsigned max_connections;
    unsigned max_conns_per_ip; /* connections from one address; 0: no limit */
    size_t max_buffered;       /* body bytes buffered by all requests at once (BUSY beyond) */
    unsigned drain_seconds; /* how long shutdown waits for requests in flight */
    http_handler_fn *handler;
    http_thread_open_fn *thread_open;   /* may be NULL */
    http_thread_close_fn *thread_close; /* may be NULL */
    http_complete_fn *complete;         /* may be NULL */
    /* Picks the requests whose body is spooled (in $TMPDIR, else /tmp); NULL: none. */
    http_spool_fn *spool;
    void *app;
};

/* Defaults for every limit (listen 127.0.0.1:8080, 1 MiB body, 16 KiB headers, 64
 * connections per address, 64 MiB of bodies buffered...). */
void http_config_defaults(struct http_config *cfg);

struct http_server;

/*
 * Starts listening and serving. SD_EINVAL for a malformed listen address,
 * SD_EIO when the address cannot be bound (the message says why).
 */
int http_server_start(const struct http_config *cfg, struct http_server **out,
                      struct sd_error *err);
/* The bound port (the real one when the config asked for port 0). */
/*
 * `text` as it goes into a log line, in buf: at most `size` - 1 bytes, every
 * byte below 0x21, 0x7f and above, '"' and '\\' written as \xHH, so that a
 * decoded path cannot forge a log line or break its quoting.
 */
const char *http_log_safe(const char *text, char *buf, size_t size);

unsigned http_server_port(const struct http_server *srv);
/* Requests being handled now. */
unsigned http_server_in_flight(const struct http_server *srv);
/* Graceful stop (see the top of this file), then frees the server. NULL is fine. */
void http_server_stop(struct http_server *srv);

/* Parses "HOST:PORT" into host (a numeric address) and port; SD_EINVAL with a message. */
int http_listen_parse(const char *text, char *host, size_t host_size, unsigned *port,
                      struct sd_error *err);

#endif

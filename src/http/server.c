/* SPDX-License-Identifier: MIT */
/*
 * server: http.h on libmicrohttpd. One request state per request (its arena,
 * its body), created on the first call of the access handler and freed in
 * the completion callback. The response is queued on the second call (or
 * the last upload call) so that keep-alive survives. A body the application
 * asks to spool goes to a temporary file without a name (O_TMPFILE, else
 * mkstemp and unlink at once), so neither memory nor a crash keeps it.
 *
 * Worker thread contexts: a thread finds its own in a thread-local slot,
 * made on its first request; the server keeps every slot in a list to
 * release them after the threads have stopped.
 */
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* Past this many body bytes thrown away the server answers at once and closes. */
#define DISCARD_MAX ((size_t)64 << 20)

static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                          "form-action 'self'; frame-ancestors 'none'";

struct thread_slot {
    struct http_server *srv;
    void *ctx;
    struct thread_slot *next;
};

struct http_server {
    struct http_config cfg;
    struct MHD_Daemon *daemon;
    int listen_fd;
    unsigned port;
    atomic_uint in_flight;
    atomic_int draining;
    atomic_uint_fast64_t next_id;
    uint32_t id_prefix;
    pthread_mutex_t slots_lock;
    struct thread_slot *slots;
};

struct request_state {
    struct http_request req;
    struct arena arena;
    struct strbuf body;
    size_t spool_cap; /* 0: the body is kept in memory */
    size_t discarded;
    int status;
    size_t bytes;
    int answered;
};

static _Thread_local struct thread_slot *tls_slot;

void http_config_defaults(struct http_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->listen = "127.0.0.1:8080";
    cfg->max_body = (size_t)1 << 20;
    cfg->max_header = (size_t)16 << 10;
    cfg->max_params = 32;
    cfg->timeout_seconds = 30;
    cfg->max_connections = 512;
    cfg->drain_seconds = 10;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *thread_ctx(struct http_server *srv)
{
    if (tls_slot && tls_slot->srv == srv)
        return tls_slot->ctx;
    struct thread_slot *slot = xcalloc(1, sizeof(*slot));
    slot->srv = srv;
    slot->ctx = srv->cfg.thread_open ? srv->cfg.thread_open(srv->cfg.app) : NULL;
    pthread_mutex_lock(&srv->slots_lock);
    slot->next = srv->slots;
    srv->slots = slot;
    pthread_mutex_unlock(&srv->slots_lock);
    tls_slot = slot;
    return slot->ctx;
}

static int request_id_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (n >= HTTP_REQUEST_ID_MAX - 1 ||
            !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return n > 0;
}

static void remote_text(struct MHD_Connection *conn, char *buf, size_t size)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(buf, size, "-");
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
                  (socklen_t)size);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
                  (socklen_t)size);
}

/* A temporary file without a name in $TMPDIR (else /tmp), or -1. */
static int spool_open(void)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    char path[4096];
    if (snprintf(path, sizeof(path), "%s/salesdesk-upload-XXXXXX", dir) >= (int)sizeof(path))
        return -1;
    fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0)
        unlink(path);
    return fd;
}

static struct request_state *request_new(struct http_server *srv, struct MHD_Connection *conn,
                                         const char *url, const char *method)
{
    struct request_state *st = xcalloc(1, sizeof(*st));
    arena_init(&st->arena, 0);
    strbuf_init(&st->body, srv->cfg.max_body);
    st->req.arena = &st->arena;
    st->req.conn = (struct http_conn *)conn;
    st->req.method = arena_strndup(&st->arena, method, strlen(method));
    st->req.path = arena_strndup(&st->arena, url, strlen(url));
    st->req.body = "";
    st->req.spool_fd = -1;
    st->req.tag = -1;
    st->req.started_us = now_us();
    remote_text(conn, st->req.remote, sizeof(st->req.remote));
    const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    if (rid && request_id_ok(rid))
        snprintf(st->req.id, sizeof(st->req.id), "%s", rid);
    else
        snprintf(st->req.id, sizeof(st->req.id), "%08x%08llx", (unsigned)srv->id_prefix,
                 (unsigned long long)atomic_fetch_add(&srv->next_id, 1));
    int n_params = MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, NULL, NULL);
    if (n_params > (int)srv->cfg.max_params)
        st->req.limit = HTTP_LIMIT_PARAMS;
    st->spool_cap = srv->cfg.spool ? srv->cfg.spool(srv->cfg.app, method, url) : 0;
    size_t cap = st->spool_cap ? st->spool_cap : srv->cfg.max_body;
    const char *clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (clen && strtoull(clen, NULL, 10) > cap)
        st->req.limit = HTTP_LIMIT_BODY;
    if (st->spool_cap && st->req.limit == HTTP_LIMIT_NONE) {
        st->req.spool_fd = spool_open();
        if (st->req.spool_fd < 0)
            st->req.limit = HTTP_LIMIT_SPOOL;
    }
    return st;
}

/* Writes all of data to the spool file; 0, or -1 when the file system fails. */
static int spool_write(struct request_state *st, const char *data, size_t size)
{
    while (size) {
        ssize_t n = write(st->req.spool_fd, data, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        size -= (size_t)n;
        st->req.spool_len += n;
    }
    return 0;
}

/* Keeps body bytes up to the cap; past it marks the request and counts what it throws away. */
static void body_data(struct request_state *st, const char *data, size_t size)
{
    if (st->spool_cap) {
        if (st->req.limit == HTTP_LIMIT_NONE &&
            (uint64_t)st->req.spool_len + size > st->spool_cap)
            st->req.limit = HTTP_LIMIT_BODY;
        else if (st->req.limit == HTTP_LIMIT_NONE && spool_write(st, data, size) != 0)
            st->req.limit = HTTP_LIMIT_SPOOL;
        else if (st->req.limit == HTTP_LIMIT_NONE)
            return;
        if (st->req.spool_fd >= 0) /* nothing of it will be used: give the space back now */
            close(st->req.spool_fd);
        st->req.spool_fd = -1;
        st->discarded += size;
        return;
    }
    if (st->req.limit != HTTP_LIMIT_BODY && strbuf_add(&st->body, data, size) == 0)
        return;
    if (st->req.limit != HTTP_LIMIT_PARAMS)
        st->req.limit = HTTP_LIMIT_BODY;
    st->discarded += size;
}

void http_response_header(struct http_request *req, struct http_response *resp, const char *name,
                          const char *value)
{
    if (resp->n_headers == HTTP_HEADERS_MAX)
        return;
    resp->headers[resp->n_headers].name = name;
    resp->headers[resp->n_headers].value = arena_strndup(req->arena, value, strlen(value));
    resp->n_headers++;
}

const char *http_header(const struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)req->conn, MHD_HEADER_KIND, name);
}

const char *http_query(const struct http_request *req, const char *name)
{
    const char *v = MHD_lookup_connection_value((struct MHD_Connection *)req->conn,
                                                MHD_GET_ARGUMENT_KIND, name);
    if (!v &&
        MHD_lookup_connection_value_n((struct MHD_Connection *)req->conn, MHD_GET_ARGUMENT_KIND,
                                      name, strlen(name), NULL, NULL) == MHD_YES)
        return "";
    return v;
}

struct query_each {
    http_query_fn *fn;
    void *ctx;
};

static enum MHD_Result query_each_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    struct query_each *q = cls;
    (void)kind;
    return q->fn(q->ctx, key, value) ? MHD_NO : MHD_YES;
}

void http_query_each(const struct http_request *req, http_query_fn *fn, void *ctx)
{
    struct query_each q = {fn, ctx};
    MHD_get_connection_values((struct MHD_Connection *)req->conn, MHD_GET_ARGUMENT_KIND,
                              query_each_cb, &q);
}

static void add_standard_headers(struct http_server *srv, struct MHD_Response *r,
                                 const struct http_request *req, const char *content_type)
{
    MHD_add_response_header(r, "Content-Type", content_type);
    MHD_add_response_header(r, "X-Request-Id", req->id);
    MHD_add_response_header(r, "Content-Security-Policy", csp);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (atomic_load(&srv->draining))
        MHD_add_response_header(r, "Connection", "close");
}

/* Runs the handler and queues its response. */
static enum MHD_Result answer(struct http_server *srv, struct MHD_Connection *conn,
                              struct request_state *st)
{
    struct http_response resp = {.status = 500, .content_type = "application/json"};
    strbuf_init(&resp.body, 0);
    st->req.body = st->body.buf;
    st->req.body_len = st->body.len;
    st->req.thread_ctx = thread_ctx(srv);
    srv->cfg.handler(srv->cfg.app, &st->req, &resp);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(resp.body.len, resp.body.buf, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ok = MHD_NO;
    if (r) {
        add_standard_headers(srv, r, &st->req, resp.content_type);
        for (int i = 0; i < resp.n_headers; i++)
            MHD_add_response_header(r, resp.headers[i].name, resp.headers[i].value);
        if (st->req.limit == HTTP_LIMIT_BODY && st->discarded > 0)
            MHD_add_response_header(r, "Connection", "close");
        ok = MHD_queue_response(conn, (unsigned)resp.status, r);
        MHD_destroy_response(r);
    }
    st->status = resp.status;
    st->bytes = resp.body.len;
    st->answered = 1;
    strbuf_release(&resp.body);
    return ok;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    struct http_server *srv = cls;
    struct request_state *st = *con_cls;
    (void)version;
    if (!st) {
        *con_cls = request_new(srv, conn, url, method);
        atomic_fetch_add(&srv->in_flight, 1);
        return MHD_YES;
    }
    if (st->answered) {
        *upload_data_size = 0; /* answered early: the rest of the body is thrown away */
        return MHD_YES;
    }
    if (*upload_data_size) {
        body_data(st, upload_data, *upload_data_size);
        *upload_data_size = 0;
        if (st->discarded > DISCARD_MAX)
            return answer(srv, conn, st);
        return MHD_YES;
    }
    return answer(srv, conn, st);
}

const char *http_log_safe(const char *path, char *buf, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)path; *p && n + 5 < size; p++) {
        if (*p > ' ' && *p < 0x7f && *p != '"' && *p != '\\') {
            buf[n++] = (char)*p;
        } else {
            buf[n++] = '\\';
            buf[n++] = 'x';
            buf[n++] = hex[*p >> 4];
            buf[n++] = hex[*p & 15];
        }
    }
    buf[n] = '\0';
    return buf;
}

static void completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct request_state *st = *con_cls;
    (void)conn;
    if (!st)
        return;
    int64_t duration = now_us() - st->req.started_us;
    int status = st->answered ? st->status : 0;
    char path[512];
    log_info("access %s %s \"%s %s\" %d %zu %.3fms%s", st->req.id, st->req.remote, st->req.method,
             http_log_safe(st->req.path, path, sizeof(path)), status, st->bytes, (double)duration / 1000.0,
             toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection ended early)");
    if (srv->cfg.complete)
        srv->cfg.complete(srv->cfg.app, &st->req, status, duration);
    if (st->req.spool_fd >= 0)
        close(st->req.spool_fd);
    strbuf_release(&st->body);
    arena_release(&st->arena);
    free(st);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->in_flight, 1);
}

int http_listen_parse(const char *text, char *host, size_t host_size, unsigned *port,
                      struct sd_error *err)
{
    const char *colon = strrchr(text, ':');
    const char *h = text, *h_end = colon;
    if (!colon || colon == text)
        return sd_error_set(err, SD_EINVAL, "listen address '%s' is not HOST:PORT", text);
    if (*h == '[') {
        if (h_end[-1] != ']')
            return sd_error_set(err, SD_EINVAL, "listen address '%s': unclosed '['", text);
        h++;
        h_end--;
    }
    char *end = NULL;
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || p > 65535 || colon[1] == '-' || colon[1] == '+')
        return sd_error_set(err, SD_EINVAL, "listen address '%s': port is not 0..65535", text);
    if ((size_t)(h_end - h) >= host_size)
        return sd_error_set(err, SD_EINVAL, "listen address '%s': host too long", text);
    memcpy(host, h, (size_t)(h_end - h));
    host[h_end - h] = '\0';
    if (strcmp(host, "localhost") == 0)
        snprintf(host, host_size, "127.0.0.1");
    *port = (unsigned)p;
    return 0;
}

/* A listening socket on cfg->listen; its real port into *port. */
static int listen_socket(const char *listen_text, int *fd_out, unsigned *port, struct sd_error *err)
{
    char host[64];
    unsigned want = 0;
    int rc = http_listen_parse(listen_text, host, sizeof(host), &want, err);
    if (rc)
        return rc;
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)want);
        len = sizeof(*v4);
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)want);
        len = sizeof(*v6);
    } else {
        return sd_error_set(err, SD_EINVAL, "listen address '%s': '%s' is not a numeric address",
                            listen_text, host);
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd < 0)
        return sd_error_set(err, SD_EIO, "socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 128) != 0) {
        int e = errno;
        close(fd);
        return sd_error_set(err, SD_EIO, "cannot listen on %s: %s", listen_text, strerror(e));
    }
    len = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &len);
    *port = ntohs(ss.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
    *fd_out = fd;
    return 0;
}

static unsigned default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 256 ? (unsigned)n : 1;
}

int http_server_start(const struct http_config *cfg, struct http_server **out, struct sd_error *err)
{
    struct http_server *srv = xcalloc(1, sizeof(*srv));
    srv->cfg = *cfg;
    if (!srv->cfg.threads)
        srv->cfg.threads = default_threads();
    pthread_mutex_init(&srv->slots_lock, NULL);
    if (getrandom(&srv->id_prefix, sizeof(srv->id_prefix), 0) != sizeof(srv->id_prefix))
        srv->id_prefix = (uint32_t)time(NULL);
    int rc = listen_socket(cfg->listen, &srv->listen_fd, &srv->port, err);
    if (rc) {
        pthread_mutex_destroy(&srv->slots_lock);
        free(srv);
        return rc;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, access_cb, srv, MHD_OPTION_LISTEN_SOCKET, srv->listen_fd,
        MHD_OPTION_THREAD_POOL_SIZE, srv->cfg.threads, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        cfg->max_header * 2, MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_seconds,
        MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, MHD_OPTION_NOTIFY_COMPLETED,
        completed_cb, srv, MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_END);
    if (!srv->daemon) {
        close(srv->listen_fd);
        pthread_mutex_destroy(&srv->slots_lock);
        free(srv);
        return sd_error_set(err, SD_EIO, "cannot start the HTTP server on %s", cfg->listen);
    }
    *out = srv;
    return 0;
}

unsigned http_server_port(const struct http_server *srv)
{
    return srv->port;
}

unsigned http_server_in_flight(const struct http_server *srv)
{
    return atomic_load(&((struct http_server *)srv)->in_flight);
}

void http_server_stop(struct http_server *srv)
{
    if (!srv)
        return;
    atomic_store(&srv->draining, 1);
    MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    int64_t deadline = now_us() + (int64_t)srv->cfg.drain_seconds * 1000000;
    while (atomic_load(&srv->in_flight) > 0 && now_us() < deadline) {
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    MHD_stop_daemon(srv->daemon);
    struct thread_slot *slot = srv->slots;
    while (slot) {
        struct thread_slot *next = slot->next;
        if (srv->cfg.thread_close)
            srv->cfg.thread_close(srv->cfg.app, slot->ctx);
        free(slot);
        slot = next;
    }
    pthread_mutex_destroy(&srv->slots_lock);
    free(srv);
}

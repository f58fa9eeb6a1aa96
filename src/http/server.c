/* SPDX-License-Identifier: MIT */
/*
 * server: http.h on libmicrohttpd. One request state per request (its arena,
 * its body), created on the first call of the access handler and freed in
 * the completion callback. The response is queued on the second call (or
 * the last upload call) so that keep-alive survives. A body the application
 * asks to spool goes to a temporary file without a name (O_TMPFILE, else
 * mkstemp and unlink at once), so neither memory nor a crash keeps it.
 * Before any of such a body is read, the handler sees the request with its
 * headers only (req.preflight) and may refuse it then.
 *
 * Worker thread contexts: a thread finds its own in a thread-local slot,
 * made on its first request; the server keeps every slot in a list to
 * release them after the threads have stopped.
 *
 * A request whose body passes a limit is answered at once (http.h), which
 * makes libmicrohttpd stop reading and close the connection. Closing a
 * socket with unread data resets it, and the client may lose the answer it
 * has not read yet; so the connection's socket is kept (a dup of its fd)
 * by the linger thread, which shuts down the sending side and reads and
 * throws away what the client still sends, until the client closes or
 * LINGER_MS pass, and only then closes it.
 */
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
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
#include "http/router.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* Past this many body bytes thrown away the server answers at once and closes. */
#define DISCARD_MAX ((size_t)64 << 20)
/* Connections lingering at once (more are closed at once), and for how long. */
#define LINGER_MAX 64
#define LINGER_MS  2000

static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                          "form-action 'self'; frame-ancestors 'none'";

struct thread_slot {
    struct http_server *srv;
    void *ctx;
    struct thread_slot *next;
};

struct lingerer {
    pthread_t thread;
    pthread_mutex_t lock;
    int n;
    int fds[LINGER_MAX];
    int64_t deadlines_us[LINGER_MAX];
    atomic_int stop;
};

struct http_server {
    struct http_config cfg;
    struct lingerer linger;
    atomic_size_t buffered; /* body bytes held by all requests */
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
    size_t counted;   /* of srv->buffered */
    size_t discarded; /* body bytes thrown away after a limit was passed */
    int early;        /* answered before any of the body was read */
    size_t spool_cap; /* 0: the body is kept in memory */
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
    cfg->max_conns_per_ip = 64;
    cfg->max_buffered = (size_t)64 << 20;
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

/* A spooled body: written to its file up to the cap; past it, or when the file fails, thrown away. */
static void spool_data(struct request_state *st, const char *data, size_t size)
{
    if ((uint64_t)st->req.spool_len + size > st->spool_cap)
        st->req.limit = HTTP_LIMIT_BODY;
    else if (spool_write(st, data, size) != 0)
        st->req.limit = HTTP_LIMIT_SPOOL;
    else
        return;
    close(st->req.spool_fd); /* nothing of it will be used: give the space back now */
    st->req.spool_fd = -1;
    st->discarded += size;
}

/*
 * Keeps body bytes up to the request's cap and the server's cap on buffered
 * bodies; past either, marks the request (BODY or BUSY) to be answered now.
 */
static void body_data(struct http_server *srv, struct request_state *st, const char *data,
                      size_t size)
{
    size_t before = atomic_fetch_add(&srv->buffered, size);
    if (before + size > srv->cfg.max_buffered) {
        atomic_fetch_sub(&srv->buffered, size);
        st->req.limit = HTTP_LIMIT_BUSY;
        return;
    }
    if (strbuf_add(&st->body, data, size) != 0) {
        atomic_fetch_sub(&srv->buffered, size);
        st->req.limit = HTTP_LIMIT_BODY;
        return;
    }
    st->counted += size;
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

/* Runs the handler on the request as it is. */
static void run_handler(struct http_server *srv, struct request_state *st,
                        struct http_response *resp)
{
    st->req.body = st->body.buf;
    st->req.body_len = st->body.len;
    st->req.thread_ctx = thread_ctx(srv);
    srv->cfg.handler(srv->cfg.app, &st->req, resp);
    st->status = resp->status;
    st->bytes = resp->body.len;
    st->answered = 1;
}

/* Queues the handler's response `resp` and releases its body. */
static enum MHD_Result queue_response(struct http_server *srv, struct MHD_Connection *conn,
                                      struct request_state *st, struct http_response resp)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(resp.body.len, resp.body.buf, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ok = MHD_NO;
    if (r) {
        add_standard_headers(srv, r, &st->req, resp.content_type);
        for (int i = 0; i < resp.n_headers; i++)
            MHD_add_response_header(r, resp.headers[i].name, resp.headers[i].value);
        if (st->early || st->req.limit == HTTP_LIMIT_BODY || st->req.limit == HTTP_LIMIT_BUSY)
            MHD_add_response_header(r, "Connection", "close");
        ok = MHD_queue_response(conn, (unsigned)resp.status, r);
        MHD_destroy_response(r);
    }
    strbuf_release(&resp.body);
    return ok;
}

/* Runs the handler and queues its response. */
static enum MHD_Result answer(struct http_server *srv, struct MHD_Connection *conn,
                              struct request_state *st)
{
    struct http_response resp = {.status = 500, .content_type = "application/json"};
    strbuf_init(&resp.body, 0);
    run_handler(srv, st, &resp);
    return queue_response(srv, conn, st, resp);
}

/*
 * Shows a spooled request to the handler with its headers only (see
 * http_request.preflight). 1 when the handler refused it: the answer is
 * queued in *result, the spool file closed, and no body byte will be kept.
 */
static int preflight(struct http_server *srv, struct MHD_Connection *conn,
                     struct request_state *st, enum MHD_Result *result)
{
    struct http_response resp = {.status = 0, .content_type = "application/json"};
    strbuf_init(&resp.body, 0);
    st->req.preflight = 1;
    st->req.thread_ctx = thread_ctx(srv);
    srv->cfg.handler(srv->cfg.app, &st->req, &resp);
    st->req.preflight = 0;
    if (resp.status == 0) {
        strbuf_release(&resp.body);
        return 0;
    }
    close(st->req.spool_fd);
    st->req.spool_fd = -1;
    st->status = resp.status;
    st->bytes = resp.body.len;
    st->answered = 1;
    st->early = 1;
    *result = queue_response(srv, conn, st, resp);
    return 1;
}

/* Hands a dup of socket `fd` to the linger thread (see the top of this file); -1 if not. */
static int linger_add(struct http_server *srv, int fd)
{
    pthread_mutex_lock(&srv->linger.lock);
    int dup_fd = srv->linger.n < LINGER_MAX ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
    if (dup_fd >= 0) {
        srv->linger.fds[srv->linger.n] = dup_fd;
        srv->linger.deadlines_us[srv->linger.n] = now_us() + (int64_t)LINGER_MS * 1000;
        srv->linger.n++;
    }
    pthread_mutex_unlock(&srv->linger.lock);
    return dup_fd;
}

static int connection_fd(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    return ci ? ci->connect_fd : -1;
}

/*
 * The answer to a body that goes on past DISCARD_MAX. libmicrohttpd refuses
 * to queue a response while a body is arriving, so the response is written
 * on the socket here, the socket is handed to the linger thread, and
 * MHD_NO makes libmicrohttpd drop the connection (its own fd only).
 */
static enum MHD_Result answer_raw(struct http_server *srv, struct MHD_Connection *conn,
                                  struct request_state *st)
{
    struct http_response resp = {.status = 500, .content_type = "application/json"};
    struct strbuf out = STRBUF_INIT;
    strbuf_init(&resp.body, 0);
    run_handler(srv, st, &resp);
    const char *reason = MHD_get_reason_phrase_for((unsigned)resp.status);
    strbuf_addf(&out, "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Length: %zu\r\n"
                      "Content-Type: %s\r\nX-Request-Id: %s\r\nContent-Security-Policy: %s\r\n"
                      "X-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n"
                      "Referrer-Policy: no-referrer\r\nCache-Control: no-store\r\n",
                resp.status, reason ? reason : "", resp.body.len, resp.content_type, st->req.id,
                csp);
    for (int i = 0; i < resp.n_headers; i++)
        strbuf_addf(&out, "%s: %s\r\n", resp.headers[i].name, resp.headers[i].value);
    strbuf_addf(&out, "\r\n");
    strbuf_add(&out, resp.body.buf, resp.body.len);
    int fd = connection_fd(conn);
    int lingering = fd >= 0 ? linger_add(srv, fd) : -1;
    if (lingering >= 0) {
        /* Small enough for the socket's send buffer, which is empty while a body arrives. */
        (void)send(lingering, out.buf, out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
        shutdown(lingering, SHUT_WR);
    }
    strbuf_release(&out);
    strbuf_release(&resp.body);
    return MHD_NO;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    struct http_server *srv = cls;
    struct request_state *st = *con_cls;
    (void)version;
    if (!st) {
        st = request_new(srv, conn, url, method);
        *con_cls = st;
        atomic_fetch_add(&srv->in_flight, 1);
        enum MHD_Result refused;
        if (st->req.spool_fd >= 0 && preflight(srv, conn, st, &refused))
            return refused;
        if (st->req.limit != HTTP_LIMIT_BODY)
            return MHD_YES;
        /* Its Content-Length is over the cap: answered before any of it is read. */
        st->early = 1;
        return answer(srv, conn, st);
    }
    if (st->answered) {
        *upload_data_size = 0; /* answered early: the rest of the body is thrown away */
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (st->req.limit == HTTP_LIMIT_NONE && st->spool_cap)
            spool_data(st, upload_data, *upload_data_size);
        else if (st->req.limit == HTTP_LIMIT_NONE)
            body_data(srv, st, upload_data, *upload_data_size);
        else
            st->discarded += *upload_data_size;
        *upload_data_size = 0;
        return st->discarded > DISCARD_MAX ? answer_raw(srv, conn, st) : MHD_YES;
    }
    return answer(srv, conn, st);
}

/* MHD's own unescaping would decode %00 into a NUL that cuts the path (http_unescape). */
static size_t unescape_cb(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return http_unescape(s);
}

/* Reads and throws away; 1 when the socket is done (closed by the client, an error, time). */
static int linger_drain(int fd, int64_t deadline_us)
{
    char scratch[16384];
    for (int i = 0; i < 64; i++) {
        ssize_t n = recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return 1;
        if (n < 0)
            break;
    }
    return now_us() >= deadline_us;
}

static void *linger_run(void *arg)
{
    struct lingerer *l = arg;
    while (!atomic_load(&l->stop)) {
        struct pollfd pfd[LINGER_MAX];
        pthread_mutex_lock(&l->lock);
        int n = l->n;
        for (int i = 0; i < n; i++)
            pfd[i] = (struct pollfd){.fd = l->fds[i], .events = POLLIN};
        pthread_mutex_unlock(&l->lock);
        poll(pfd, (nfds_t)n, 50);
        pthread_mutex_lock(&l->lock);
        /* Only this thread removes entries; new ones are appended past n. */
        for (int i = n - 1; i >= 0; i--) {
            if (!linger_drain(l->fds[i], l->deadlines_us[i]))
                continue;
            close(l->fds[i]);
            l->n--;
            l->fds[i] = l->fds[l->n];
            l->deadlines_us[i] = l->deadlines_us[l->n];
        }
        pthread_mutex_unlock(&l->lock);
    }
    for (int i = 0; i < l->n; i++)
        close(l->fds[i]);
    l->n = 0;
    return NULL;
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
    if (st->early && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        int fd = linger_add(srv, connection_fd(conn));
        if (fd >= 0)
            shutdown(fd, SHUT_WR);
    }
    atomic_fetch_sub(&srv->buffered, st->counted);
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

static void linger_stop(struct lingerer *l)
{
    atomic_store(&l->stop, 1);
    pthread_join(l->thread, NULL);
    pthread_mutex_destroy(&l->lock);
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
    pthread_mutex_init(&srv->linger.lock, NULL);
    if (pthread_create(&srv->linger.thread, NULL, linger_run, &srv->linger) != 0) {
        close(srv->listen_fd);
        pthread_mutex_destroy(&srv->linger.lock);
        pthread_mutex_destroy(&srv->slots_lock);
        free(srv);
        return sd_error_set(err, SD_EIO, "cannot start the HTTP server's linger thread");
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, access_cb, srv, MHD_OPTION_LISTEN_SOCKET, srv->listen_fd,
        MHD_OPTION_THREAD_POOL_SIZE, srv->cfg.threads, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        cfg->max_header * 2, MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_seconds,
        MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        cfg->max_conns_per_ip, MHD_OPTION_NOTIFY_COMPLETED, completed_cb, srv,
        MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_UNESCAPE_CALLBACK, unescape_cb, NULL,
        MHD_OPTION_END);
    if (!srv->daemon) {
        close(srv->listen_fd);
        linger_stop(&srv->linger);
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
    linger_stop(&srv->linger);
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

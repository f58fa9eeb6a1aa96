/* SPDX-License-Identifier: MIT */
/*
 * status: the one place where errors become HTTP. An SD_E... status maps to
 * an HTTP status and a stable error code; the body is always
 * {"error":{"code":"…","message":"…","details":[…]}}. Server-side failures
 * (5xx) answer a generic message with the request id and log the real one,
 * so internals never reach a client.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api/api-int.h"
#include "base/json.h"
#include "base/log.h"
#include "base/banned.h"

int api_http_status(int sd_status, const char **code)
{
    switch (sd_status) {
    case SD_EINVAL:
    case SD_EOVERFLOW: *code = "invalid_input"; return 400;
    case SD_ENOTFOUND: *code = "not_found"; return 404;
    case SD_ECONFLICT: *code = "conflict"; return 409;
    case SD_ELIMIT: *code = "too_large"; return 413;
    case SD_EPERM: *code = "forbidden"; return 403;
    case SD_EBUSY: *code = "busy"; return 503;
    default: *code = "internal"; return 500;
    }
}

void api_json_begin(struct api_call *c, int status, struct json_writer *w)
{
    c->resp->status = status;
    c->resp->content_type = "application/json";
    strbuf_reset(&c->resp->body);
    json_writer_init(w, &c->resp->body, 0);
}

static void error_body(struct api_call *c, int status, const char *code, const char *message)
{
    struct json_writer w;
    api_json_begin(c, status, &w);
    json_object_begin(&w);
    json_key(&w, "error");
    json_object_begin(&w);
    json_kv_string(&w, "code", code);
    json_kv_string(&w, "message", message);
    json_key(&w, "details");
    json_array_begin(&w);
    for (int i = 0; i < c->n_details; i++) {
        json_object_begin(&w);
        json_kv_string(&w, "field", c->details[i].field);
        json_kv_string(&w, "message", c->details[i].message);
        json_object_end(&w);
    }
    json_array_end(&w);
    json_object_end(&w);
    json_object_end(&w);
}

int api_fail(struct api_call *c, int status, const char *code, const char *fmt, ...)
{
    char message[SD_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    error_body(c, status, code, message);
    return 0;
}

void api_fail_status(struct api_call *c, int rc, const struct sd_error *err)
{
    const char *code;
    int status = api_http_status(rc, &code);
    if (status >= 500) {
        char path[512];
        log_error("request %s: %s %s: %s", c->req->id, c->req->method,
                  http_log_safe(c->req->path, path, sizeof(path)),
                  err && err->message[0] ? err->message : sd_status_name(rc));
        api_fail(c, status, code, "%s (request id %s)",
                 status == 503 ? "the store is busy, try again" : "internal error", c->req->id);
        return;
    }
    error_body(c, status, code, err && err->message[0] ? err->message : sd_status_name(rc));
}

void api_detail(struct api_call *c, const char *field, const char *fmt, ...)
{
    char message[256];
    if (c->n_details == API_DETAILS_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    struct api_detail *d = &c->details[c->n_details++];
    d->field = arena_strndup(c->req->arena, field, strlen(field));
    d->message = arena_strndup(c->req->arena, message, strlen(message));
}

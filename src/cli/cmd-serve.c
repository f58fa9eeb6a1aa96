/* SPDX-License-Identifier: MIT */
/*
 * cmd-serve: `salesdesk serve`: the HTTP JSON API (api/) until SIGTERM or
 * SIGINT. It prints the address it listens on (the real port when asked for
 * port 0) as one line on stdout, logs one access line per request on
 * stderr, and on a signal refuses new connections, stops a running import
 * job (it rolls back and is marked failed), lets the requests in flight
 * finish and exits 0. --print-api-docs prints docs/api.md instead,
 * --print-routes the routes table as JSON (what the route-by-route tests walk).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "base/log.h"
#include "cli/cli.h"
#include "base/banned.h"

static int print_docs(void (*render)(struct strbuf *out))
{
    struct strbuf out = STRBUF_INIT;
    render(&out);
    int rc = cli_write_stdout(out.buf, out.len);
    strbuf_release(&out);
    return rc;
}

static int read_options(const struct cli_args *args, struct api_options *opt)
{
    uint64_t threads = 0, idle = (uint64_t)opt->session_idle_s, max = (uint64_t)opt->session_max_s;
    uint64_t limit = opt->login_limit, body = opt->max_body, per_ip = opt->max_conns_per_ip;
    uint64_t buffered = opt->max_buffered, upload = opt->max_upload;
    int rc = cli_opt_uint(args, "threads", 256, &threads);
    if (rc == 0)
        rc = cli_opt_uint(args, "session-idle", 366 * 86400, &idle);
    if (rc == 0)
        rc = cli_opt_uint(args, "session-max", 366 * 86400, &max);
    if (rc == 0)
        rc = cli_opt_uint(args, "login-limit", 1000, &limit);
    if (rc == 0)
        rc = cli_opt_uint(args, "max-body", (uint64_t)1 << 30, &body);
    if (rc == 0)
        rc = cli_opt_uint(args, "max-conns-per-ip", 100000, &per_ip);
    if (rc == 0)
        rc = cli_opt_uint(args, "max-buffered", (uint64_t)1 << 40, &buffered);
    if (rc == 0)
        rc = cli_opt_uint(args, "max-upload", (uint64_t)1 << 40, &upload);
    if (rc)
        return rc;
    if (idle == 0 || max == 0 || limit == 0 || body == 0 || per_ip == 0 || buffered == 0 ||
        upload == 0)
        return cli_usage_error(args, "--session-idle, --session-max, --login-limit, --max-body, "
                                     "--max-conns-per-ip, --max-buffered and --max-upload must "
                                     "be above 0");
    opt->db_url = cli_db_url(args);
    if (cli_opt(args, "listen"))
        opt->listen = cli_opt(args, "listen");
    opt->threads = (unsigned)threads;
    opt->secure_cookies = cli_flag(args, "secure-cookies");
    opt->session_idle_s = (int64_t)idle;
    opt->session_max_s = (int64_t)max;
    opt->login_limit = (unsigned)limit;
    opt->address_limit = (unsigned)limit * 4;
    opt->max_body = (size_t)body;
    opt->max_conns_per_ip = (unsigned)per_ip;
    opt->max_buffered = (size_t)buffered;
    opt->max_upload = (size_t)upload;
    return 0;
}

int cli_serve(const struct api_options *opt, const char *intro)
{
    struct sd_error err = {0};
    struct api_server *srv = NULL;
    /* Blocked before the worker threads start, so that they inherit the mask and
     * the signals reach sigwait below. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (api_server_start(opt, &srv, &err))
        return cli_fail(&err);
    const char *colon = strrchr(opt->listen, ':');
    if (intro)
        fputs(intro, stdout);
    printf("salesdesk: serving %s on http://%.*s:%u/\n", opt->db_url,
           (int)(colon ? colon - opt->listen : 0), opt->listen, api_server_port(srv));
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    log_info("%s: refusing new connections, finishing the requests in flight",
             sig == SIGTERM ? "SIGTERM" : "SIGINT");
    api_server_stop(srv);
    log_info("stopped");
    return CLI_EXIT_OK;
}

int cmd_serve(const struct cli_args *args)
{
    struct api_options opt;
    enum log_level level = LOG_INFO;
    if (cli_flag(args, "print-api-docs"))
        return print_docs(api_docs_markdown);
    if (cli_flag(args, "print-routes"))
        return print_docs(api_routes_json);
    api_options_defaults(&opt);
    int rc = read_options(args, &opt);
    if (rc)
        return rc;
    if (cli_opt(args, "log-level") && log_level_parse(cli_opt(args, "log-level"), &level))
        return cli_usage_error(args, "--log-level: '%s' is not one of error, warn, info, debug",
                               cli_opt(args, "log-level"));
    log_set_level(level);
    return cli_serve(&opt, NULL);
}

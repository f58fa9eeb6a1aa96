/* SPDX-License-Identifier: MIT */
/* users: the list of users (admins only, decided by the routes table). */
#include "api/api-int.h"
#include "base/json.h"
#include "store/store.h"
#include "base/banned.h"

int api_users_list(struct api_call *c, struct sd_error *err)
{
    struct user *items;
    size_t n;
    int rc = store_user_list(c->db, c->req->arena, &items, &n, err);
    if (rc)
        return rc;
    struct json_writer w;
    api_json_begin(c, 200, &w);
    json_object_begin(&w);
    json_key(&w, "items");
    json_array_begin(&w);
    for (size_t i = 0; i < n; i++) {
        json_object_begin(&w);
        json_kv_int(&w, "id", items[i].id);
        json_kv_string(&w, "login", items[i].login);
        json_kv_string(&w, "name", items[i].name);
        json_kv_string(&w, "role", items[i].role);
        json_kv_string(&w, "rep", items[i].rep_ext_id);
        json_kv_string(&w, "status", items[i].status);
        json_kv_ts(&w, "created_at", items[i].created_at);
        json_object_end(&w);
    }
    json_array_end(&w);
    json_object_end(&w);
    return 0;
}

// SPDX-License-Identifier: MIT
// How to call each route of the API, for the route-by-route tests
// (api-matrix.test.mjs: roles × routes × own/other records and lists;
// api-badinput.test.mjs: bad input on every route). The routes themselves
// come from `salesdesk serve --print-routes` (the routes table): every route
// served MUST have an entry here, or api-matrix fails naming it. An entry
// for a route that is not served is ignored (it generates no test), so
// entries may be written ahead of their routes.
//
// Adding a route = adding one entry, keyed "METHOD /pattern" exactly as in
// the routes table. Every field is optional:
//
//   success   the status of a successful call, or an array of them (default:
//             GET 200, POST 201, PUT/PATCH 200, DELETE 204).
//   id        how to fill {id}: id(ctx, whose, login) -> string (may be async),
//             whose = 'own'     a record the caller may use (for the rep user
//                               rep1, one of rep R1's),
//                     'other'   a record only rep R2 may see: rep1 must get
//                               the 404 of a missing record (return undefined
//                               when the route has no such thing),
//                     'missing' a record that does not exist (default
//                               MISSING_ID).
//             Routes whose table entry names an object (order, account,
//             request) need no `id`: the fixture's IDS[object] are used.
//   query     query parameters of a successful call: query(ctx) -> object.
//   body      the JSON body of a successful call: body(ctx, whose, login)
//             (a string is sent as it is, with `contentType`).
//   contentType  the Content-Type of a body that is not JSON (an upload).
//   bodyNames the body names a record of this entity ('account', 'order',
//             'request') through `whose`: rep1 naming another rep's record
//             gets the same answer as naming a missing one, a 4xx, and nothing
//             changes; someone who sees everything gets the success status.
//   fresh     each call needs its own session (the route ends it).
//   selfService  it only touches the caller's own session or tokens, so a
//             viewer (read-only) may call it although it is not a GET.
//   json      false when a successful answer is not JSON (/metrics).
//   list      the route is a list: {
//               items(json) -> array (default json.items),
//               entity: 'order' | 'account' | 'request' (what each item is; its
//                       rows in the fixture decide what a rep may see),
//               key(item) -> the item's external id (default item.id),
//               where(row) -> the fixture rows the list shows to a caller who
//                       sees everything (default all rows of the entity),
//               filters: [{ query: {...}, match(row) }]: rep1 with these query
//                       parameters sees exactly the rows it may see that
//                       match (a filter naming another rep's account or rep
//                       must not bring back their rows). A filter whose
//                       parameters the route does not take is reported and
//                       skipped.
//             }
//
// ctx (built by the tests) offers: ids (IDS of api-fixture.mjs), fresh(kind,
// whose) (an unused record for writes that change state: kind 'request' or
// 'alert'), seq() (a counter for unique names), userId(login), jobId (an
// import job), token(login) (a new API token id of that user, async).
import { IDS, MISSING_ID, PASSWORD } from './api-matrix-fixture.mjs';

const OPEN = ['draft', 'pending', 'confirmed', 'on_hold'];
/** {id} from the fixture's records of one entity. */
const record = (entity) => (ctx, whose) => (whose === 'missing' ? MISSING_ID : ctx.ids[entity][whose]);

export const SPECS = {
  // ---- served today ----
  'GET /healthz': {},
  'GET /metrics': { json: false },
  'POST /api/v1/auth/login': {
    success: 200,
    body: (ctx, whose, login) => ({ login: login || 'admin', password: PASSWORD }),
  },
  'POST /api/v1/auth/logout': { success: 204, fresh: true, selfService: true },
  'GET /api/v1/auth/me': {},
  'GET /api/v1/tokens': {},
  'POST /api/v1/tokens': { body: (ctx) => ({ name: `matrix ${ctx.seq()}`, expires_in_days: 1 }), selfService: true },
  'DELETE /api/v1/tokens/{id}': {
    selfService: true,
    // own: a new token of the caller; other: a token of another user (admin's, or
    // rep2's when the caller is admin), which must answer like a missing one.
    id: async (ctx, whose, login) => {
      if (whose === 'missing') return '999999999';
      return String(await ctx.token(whose === 'own' ? login : (login === 'admin' ? 'rep2' : 'admin')));
    },
  },
  'GET /api/v1/users': {},
  'GET /api/v1/orders/{id}': {},
  'GET /api/v1/orders/{id}/diagnosis': { query: () => ({ today: '2026-06-30' }) },

  // ---- written ahead of their routes (DESIGN.md's list); bodies are guesses until served ----
  'GET /api/v1/orders': {
    list: {
      entity: 'order',
      filters: [
        { query: { account: IDS.account.other }, match: (o) => o.account === IDS.account.other },
        { query: { rep: IDS.rep.other }, match: (o) => o.rep === IDS.rep.other },
        { query: { status: 'pending' }, match: (o) => o.status === 'pending' },
      ],
    },
  },
  'GET /api/v1/accounts': {
    list: {
      entity: 'account',
      filters: [
        { query: { q: 'Alpha' }, match: () => true },
        { query: { owner_rep: IDS.rep.other }, match: (a) => a.owner_rep === IDS.rep.other },
      ],
    },
  },
  'GET /api/v1/accounts/{id}': {},
  'GET /api/v1/accounts/{id}/status': { query: () => ({ today: '2026-06-30' }) },
  'GET /api/v1/accounts/{id}/timeline': {},
  'GET /api/v1/queue/pending': {
    list: {
      entity: 'order',
      key: (item) => item.order,
      where: (o) => OPEN.includes(o.status),
      filters: [
        { query: { rep: IDS.rep.other }, match: (o) => o.rep === IDS.rep.other },
        { query: { team: IDS.team.other }, match: (o) => o.rep === IDS.rep.other || ['R4', 'R5', 'R6', 'R7', 'R8', 'R9'].includes(o.rep) },
      ],
    },
  },
  'GET /api/v1/requests': {
    list: {
      entity: 'request',
      filters: [
        { query: { account: IDS.account.other }, match: (q) => q.account === IDS.account.other },
        { query: { assignee: IDS.rep.own }, match: (q) => q.assignee === IDS.rep.own },
      ],
    },
  },
  'POST /api/v1/requests': {
    bodyNames: 'account',
    body: (ctx, whose) => ({ account: record('account')(ctx, whose), kind: 'question', subject: 'Asked through the API', priority: 'normal' }),
  },
  'GET /api/v1/requests/{id}': {},
  'PATCH /api/v1/requests/{id}': {
    success: 200,
    id: (ctx, whose) => (whose === 'missing' ? MISSING_ID : ctx.fresh('request', whose)),
    body: () => ({ status: 'in_progress' }),
  },
  'POST /api/v1/notes': {
    bodyNames: 'order',
    body: (ctx, whose) => ({ subject: 'order', id: record('order')(ctx, whose), text: 'Called the customer.' }),
  },
  'GET /api/v1/audit': {},
  'POST /api/v1/users': {
    body: (ctx) => ({ login: `made${ctx.seq()}`, role: 'viewer', name: 'Made Here', password: 'made-password-1' }),
  },
  'PATCH /api/v1/users/{id}': {
    id: (ctx, whose) => (whose === 'missing' ? '999999999' : whose === 'own' ? String(ctx.userId('viewer')) : undefined),
    body: () => ({ name: 'Vera Viewer' }),
  },
  'GET /api/v1/kpis': { query: () => ({ period: '2026-Q2' }) },
  'GET /api/v1/kpis/{name}/targets': {},
  'PUT /api/v1/kpis/{name}/targets': {
    success: [201, 200], // created, then replaced
    body: () => ({ scope: 'company', period: '2026-Q3', target: 1000 }),
  },
  'GET /api/v1/alerts': {},
  'POST /api/v1/alerts/{id}/ack': {
    success: 200,
    id: (ctx, whose) => (whose === 'missing' ? '999999999' : whose === 'own' ? String(ctx.fresh('alert', 'own')) : undefined),
  },
  'GET /api/v1/trends': { query: () => ({ measure: 'revenue', bucket: 'month' }) },
  'POST /api/v1/imports': {
    success: 202,
    // The file is the body itself (not JSON); kind and preset are query parameters.
    query: () => ({ kind: 'products', map: 'native' }),
    body: (ctx) => `sku,name,category,list_price,cost,status,launch_date\nPX${ctx.seq()},Gadget,Tools,5,2,active,\n`,
    contentType: 'text/csv',
  },
  'GET /api/v1/imports': {},
  'GET /api/v1/imports/{id}': {
    id: (ctx, whose) => (whose === 'missing' ? '999999999' : whose === 'own' ? String(ctx.jobId) : undefined),
  },
  'GET /api/v1/imports/{id}/errors': {
    id: (ctx, whose) => (whose === 'missing' ? '999999999' : whose === 'own' ? String(ctx.jobId) : undefined),
  },
};

/** "GET /api/v1/kpis/{name}/targets": {name} is a KPI name, filled like {id}. */
const PARAM_DEFAULTS = { name: () => 'revenue' };

/** The statuses of a successful call of `route` (an array). */
export function successStatus(route, spec) {
  if (spec.success) return [].concat(spec.success);
  return [{ GET: 200, POST: 201, PUT: 200, PATCH: 200, DELETE: 204 }[route.method]];
}

/** The key of a route in SPECS. */
export const specKey = (route) => `${route.method} ${route.pattern}`;

/**
 * The {id} text of a call: whose is 'own', 'other' or 'missing'. Undefined
 * when the route has no {id}, or no record of that kind (no 'other').
 */
export async function idFor(ctx, route, spec, whose, login) {
  if (!route.pattern.includes('{id}')) return undefined;
  if (spec.id) {
    const id = await spec.id(ctx, whose, login);
    return id === undefined && whose === 'missing' ? MISSING_ID : id;
  }
  if (route.object) return record(route.object)(ctx, whose);
  return whose === 'missing' ? MISSING_ID : undefined;
}

/** The path of a call with {id} (already URL-safe or encoded here) and other parameters filled. */
export function pathFor(route, id, query = {}) {
  let p = route.pattern.replace('{id}', () => (id === undefined ? MISSING_ID : id));
  p = p.replace(/\{(\w+)\}/g, (m, name) => encodeURIComponent(PARAM_DEFAULTS[name] ? PARAM_DEFAULTS[name]() : MISSING_ID));
  const qs = new URLSearchParams(query).toString();
  return qs ? `${p}?${qs}` : p;
}

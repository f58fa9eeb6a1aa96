// SPDX-License-Identifier: MIT
// Helpers for the HTTP tests: start `salesdesk serve` on a free loopback port
// (--listen 127.0.0.1:0; the server prints the port it bound), stop it by its
// PID with SIGTERM after the test (which fails unless the server exits 0), make users through the real `salesdesk user` command, and
// send requests with node's http module (full control over headers and bodies).
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { BIN } from './helpers.mjs';

/** Starts the server; resolves { url, port, proc, stderr(), exited }. Stopped after the test. */
export function startServer(t, db, args = []) {
  const proc = spawn(BIN, ['serve', '--db', db, '--listen', '127.0.0.1:0', ...args]);
  let stderr = '';
  let stdout = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  t.after(async () => {
    if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid, 'SIGTERM');
    // A clean stop exits 0 (under ASan this also says nothing leaked).
    const exit = await exited;
    if (exit.code !== 0) throw new Error(`server exit ${JSON.stringify(exit)}: ${stderr.slice(-2000)}`);
  });
  return new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      stdout += d;
      const m = /serving .* on http:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout);
      if (m) {
        const port = Number(m[1]);
        resolve({ port, url: `http://127.0.0.1:${port}`, proc, exited, stderr: () => stderr });
      }
    });
    proc.on('exit', (code) => reject(new Error(`server exited ${code}: ${stderr}`)));
  });
}

/** `salesdesk user add LOGIN --role ROLE …` with the password on stdin. */
export function addUser(db, login, role, password, extra = []) {
  const r = spawnSync(BIN, ['user', 'add', login, '--role', role, '--password-stdin', '--db', db, ...extra],
    { input: `${password}\n`, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`user add ${login} failed: ${r.stderr}`);
}

/**
 * One request. opts: method, headers, body (string/Buffer; objects are sent as
 * JSON with Content-Type application/json), agent. Resolves { status, headers,
 * text, json, reusedSocket }.
 */
export function request(server, path, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  let body = opts.body;
  if (body !== undefined && typeof body === 'object' && !Buffer.isBuffer(body)) {
    body = JSON.stringify(body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  }
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: server.port, path, method: opts.method || 'GET', headers,
      agent: opts.agent || false,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json, reusedSocket: req.reusedSocket });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Logs in; resolves { cookie, csrf, res }. */
export async function login(server, loginName, password) {
  const res = await request(server, '/api/v1/auth/login', { method: 'POST', body: { login: loginName, password } });
  if (res.status !== 200) return { res };
  const setCookie = res.headers['set-cookie'][0];
  const cookie = setCookie.split(';')[0];
  return { cookie, csrf: res.json.csrf_token, res };
}

/** Asserts the error body shape and returns the error object. */
export function errorOf(res) {
  if (!res.json || !res.json.error) throw new Error(`no error body: ${res.status} ${res.text}`);
  const e = res.json.error;
  if (typeof e.code !== 'string' || typeof e.message !== 'string' || !Array.isArray(e.details)) {
    throw new Error(`malformed error body: ${res.text}`);
  }
  return e;
}

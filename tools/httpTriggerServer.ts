import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest, HttpResponse, type HttpResponseInit } from '@azure/functions';
import type { RegisteredFunction } from './functionsCore';
import { compileRoute, type RouteMatcher } from './httpRoute';
import { invokeFunction, type HostLog } from './invokeFunction';

interface HttpTriggerServerOptions {
  port: number;
  /** Address to listen on, e.g. 127.0.0.1 for this machine only. */
  hostname: string;
  /** Key that `authLevel: 'function'` functions demand, as `x-functions-key` or `?code=`. */
  functionKey: string;
  /** Key that `authLevel: 'admin'` functions demand (Azure's master key); it opens every other function too. */
  adminKey: string;
  log: HostLog;
}

export interface HttpTriggerServer {
  port: number;
  close(): Promise<void>;
}

/** The Functions host's default `extensions.http.routePrefix`. */
const ROUTE_PREFIX = '/api/';

interface HttpRoute {
  fn: RegisteredFunction;
  methods: readonly string[];
  authLevel: string;
  match: RouteMatcher;
}

/**
 * Serves HTTP-triggered functions at `/api/<route>` the way the Functions host does: route
 * parameters in `request.params`, function keys enforced (401 without), 404 for anything no
 * function answers, and 500 without details when a handler throws. A request whose target or
 * Host header cannot be read gets 400 before routing or the key check. Nothing it logs carries
 * the query string, where `?code=` puts the key.
 */
export async function startHttpTriggerServer(functions: readonly RegisteredFunction[], options: HttpTriggerServerOptions): Promise<HttpTriggerServer> {
  const routes: HttpRoute[] = functions.flatMap((fn) =>
    fn.trigger.type === 'http' ? [{ fn, methods: fn.trigger.methods, authLevel: fn.trigger.authLevel, match: compileRoute(fn.trigger.route) }] : [],
  );
  const server = createServer((request, response) => {
    serve(routes, options, request, response).catch((error: unknown) => {
      options.log(`${new Date().toISOString()} [http] ${request.method} ${pathOnly(request.url)} failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.hostname, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(routes: readonly HttpRoute[], options: HttpTriggerServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = requestUrl(request);
  if (url === undefined) {
    response.writeHead(400).end();
    return;
  }
  const method = (request.method ?? 'GET').toUpperCase();
  const found = url.pathname.startsWith(ROUTE_PREFIX) ? findRoute(routes, method, url.pathname.slice(ROUTE_PREFIX.length)) : undefined;
  if (found === undefined) {
    response.writeHead(404).end();
    return;
  }
  const { route, params } = found;
  if (!authorised(route.authLevel, request, url, options)) {
    response.writeHead(401).end();
    return;
  }
  const body = await readBody(request);
  const httpRequest = new HttpRequest({
    method,
    url: url.toString(),
    headers: toHeaderRecord(request),
    params,
    body: body.length > 0 ? { bytes: body } : undefined,
  });
  let result: unknown;
  try {
    result = await invokeFunction(route.fn, httpRequest, { log: options.log, reason: `HTTP ${method} ${url.pathname}` });
  } catch {
    // invokeFunction logged it; callers only learn that it failed, as from Azure.
    response.writeHead(500).end();
    return;
  }
  if (!writePlainResponse(response, result)) {
    await writeResponse(response, result instanceof HttpResponse ? result : new HttpResponse((result ?? {}) as HttpResponseInit));
  }
}

/**
 * Writes the common shape, `{ status, headers, body: string }`, straight to the socket; anything
 * else (streams, jsonBody, cookies, HttpResponse) goes through HttpResponse, whose Fetch body
 * costs about a third of a millisecond a request. Returns whether it wrote.
 */
function writePlainResponse(response: ServerResponse, result: unknown): boolean {
  if (typeof result !== 'object' || result === null || Object.getPrototypeOf(result) !== Object.prototype) return false;
  const { status, headers, body, ...rest } = result as HttpResponseInit;
  if (Object.keys(rest).length > 0 || (body !== undefined && typeof body !== 'string')) return false;
  if (headers !== undefined && (typeof headers !== 'object' || Object.getPrototypeOf(headers) !== Object.prototype)) return false;
  const plainHeaders = (headers ?? {}) as Record<string, string>;
  if (Object.values(plainHeaders).some((value) => typeof value !== 'string')) return false;
  const length = body === undefined ? 0 : Buffer.byteLength(body);
  const names = new Set(Object.keys(plainHeaders).map((name) => name.toLowerCase()));
  response.writeHead(status ?? 200, {
    // As a Fetch Response would: a text body without a declared type is text/plain.
    ...(body !== undefined && !names.has('content-type') ? { 'content-type': 'text/plain;charset=UTF-8' } : {}),
    ...(length > 0 && !names.has('content-length') ? { 'content-length': String(length) } : {}),
    ...plainHeaders,
  });
  response.end(body);
  return true;
}

function findRoute(routes: readonly HttpRoute[], method: string, path: string): { route: HttpRoute; params: Record<string, string> } | undefined {
  for (const route of routes) {
    if (!route.methods.includes(method)) continue;
    const params = route.match(path);
    if (params !== undefined) return { route, params };
  }
  return undefined;
}

/**
 * The request's URL, or undefined when its target is not a path or its Host header is not a
 * host[:port]: the WHATWG parser would otherwise throw (a 500) or silently resolve odd forms.
 */
function requestUrl(request: IncomingMessage): URL | undefined {
  const target = request.url ?? '';
  const host = request.headers.host ?? 'localhost';
  if (!target.startsWith('/') || target.startsWith('//')) return undefined;
  if (!/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(host)) return undefined;
  try {
    return new URL(target, `http://${host}`);
  } catch {
    return undefined;
  }
}

/** The path of a request target without its query string, which may hold `?code=`. */
function pathOnly(target: string | undefined): string {
  return (target ?? '').split('?', 1)[0] ?? '';
}

/**
 * As the Functions host decides: `anonymous` needs no key, `function` the function key or the
 * admin key, `admin` the admin key only (any other level is refused).
 */
function authorised(authLevel: string, request: IncomingMessage, url: URL, keys: Pick<HttpTriggerServerOptions, 'functionKey' | 'adminKey'>): boolean {
  if (authLevel === 'anonymous') return true;
  if (hasKey(request, url, keys.adminKey)) return true;
  return authLevel === 'function' && hasKey(request, url, keys.functionKey);
}

function hasKey(request: IncomingMessage, url: URL, key: string): boolean {
  const header = request.headers['x-functions-key'];
  const given = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('code') ?? '';
  const expected = Buffer.from(key);
  const actual = Buffer.from(given);
  // Two empty buffers compare equal: an empty key must never open a function.
  return expected.length > 0 && actual.length === expected.length && timingSafeEqual(actual, expected);
}

function toHeaderRecord(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function writeResponse(response: ServerResponse, httpResponse: HttpResponse): Promise<void> {
  const body = Buffer.from(await httpResponse.arrayBuffer());
  for (const [name, value] of httpResponse.headers) {
    if (name !== 'set-cookie') response.setHeader(name, value);
  }
  const cookies = httpResponse.headers.getSetCookie();
  if (cookies.length > 0) response.setHeader('set-cookie', cookies);
  if (body.length > 0 && !response.hasHeader('content-length')) response.setHeader('content-length', body.length);
  response.writeHead(httpResponse.status).end(body);
}

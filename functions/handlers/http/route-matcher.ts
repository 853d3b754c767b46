import type { HttpRoute } from './route-table';

/**
 * Which route a request is for, as the ALB router and the local shim both answer it:
 * - `found`: the route, with its path parameters percent-decoded (`{id}` → `pathParameters.id`);
 * - `method-not-allowed`: the path is a route's, the method none of them (405 METHOD_NOT_ALLOWED);
 * - `not-found`: no route has this path, or a parameter is a malformed escape (`%E0%A4%A` names no
 *   resource): 404 NOT_FOUND.
 */
export type RouteMatch<R extends HttpRoute> =
  | { kind: 'found'; route: R; pathParameters: Record<string, string> }
  | { kind: 'method-not-allowed' }
  | { kind: 'not-found' };

/** Finds routes by method and path: built once from a route table (pure; no I/O). */
export interface RouteMatcher<R extends HttpRoute> {
  /**
   * `method` upper case (`GET`); `path` the raw request path without query string, exactly as sent:
   * matching is case-sensitive and strict (`/api/concerts/` is not `/api/concerts`), and a parameter is
   * one non-empty path segment (`[^/]+`, so `%2F` stays inside it).
   */
  match(method: string, path: string): RouteMatch<R>;
}

/** The matcher for `routes` (API Gateway route syntax: `{name}` is a path parameter). */
export function routeMatcher<R extends HttpRoute>(routes: readonly R[]): RouteMatcher<R> {
  const compiled = routes.map((route) => ({
    route,
    names: [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? ''),
    pattern: new RegExp(`^${route.path.replace(/\{\w+\}/g, '([^/]+)')}$`),
  }));
  return {
    match(method, path) {
      const samePath = compiled.filter((c) => c.pattern.test(path));
      const found = samePath.find((c) => c.route.method === method);
      if (!found) return { kind: samePath.length ? 'method-not-allowed' : 'not-found' };
      const values = found.pattern.exec(path)?.slice(1) ?? [];
      // The names come from the route table (`id`), never from the request.
      const pathParameters: Record<string, string> = {};
      for (const [i, name] of found.names.entries()) {
        const value = safeDecode(values[i] ?? '');
        if (value === undefined) return { kind: 'not-found' };
        pathParameters[name] = value;
      }
      return { kind: 'found', route: found.route, pathParameters };
    },
  };
}

/** `decodeURIComponent`, or undefined for a malformed escape instead of a URIError. */
export function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

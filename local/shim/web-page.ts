import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Router } from 'express';

/** Paths that belong to the API and the real-time endpoints, never to the page. */
const SERVICE_PATHS = /^\/(?!(?:api|ws|socket\.io|health|ready|metrics|@connections)(?:\/|$))/;

/**
 * The built web page (web/dist) at `/`: hashed assets cached for a year, and index.html for every other
 * page address a browser asks for (the page routes itself), so a reload of /concerts/… works.
 */
export function webPageRouter(root: string): Router {
  const router = express.Router();
  const index = join(root, 'index.html');
  router.use(
    '/assets',
    express.static(join(root, 'assets'), { immutable: true, maxAge: '365d', index: false }),
  );
  router.use(express.static(root, { index: false, maxAge: 0 }));
  router.get(SERVICE_PATHS, (req, res, next) => {
    if (!wantsPage(req.path, req.headers.accept)) return next();
    res.sendFile(index, { headers: { 'cache-control': 'no-cache' } }, (error) => error && next(error));
  });
  return router;
}

/**
 * Whether a GET of a page address gets the page: browsers navigating name text/html; a plain client
 * (`curl localhost:5000/`, Accept absent or *\/*) gets it at `/`; anything that names JSON, or a plain
 * client at another address, gets the API's 404 (API clients use /api/...).
 */
function wantsPage(path: string, accept: string | undefined): boolean {
  const ranges = (accept ?? '*/*').toLowerCase();
  if (ranges.includes('text/html')) return true;
  if (ranges.includes('json')) return false;
  return path === '/' && /(^|,)\s*(\*\/\*|text\/\*)/.test(ranges);
}

/** The page's build, when there is one (`npm run build:web`; `npm start` builds it first). */
export function builtWebRoot(root: string): string | undefined {
  return existsSync(join(root, 'index.html')) ? root : undefined;
}

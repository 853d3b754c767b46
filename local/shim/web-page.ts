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
    // Browsers navigating ask for text/html by name; API clients (Accept: */* or JSON) get the API's 404.
    if (!req.headers.accept?.includes('text/html')) return next();
    res.sendFile(index, { headers: { 'cache-control': 'no-cache' } }, (error) => error && next(error));
  });
  return router;
}

/** The page's build, when there is one (`npm run build:web`; `npm start` builds it first). */
export function builtWebRoot(root: string): string | undefined {
  return existsSync(join(root, 'index.html')) ? root : undefined;
}

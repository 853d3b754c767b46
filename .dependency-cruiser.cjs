/**
 * The house rules on imports (DESIGN.md, "ports and adapters"; issue 18, item 6), checked by
 * dependency-cruiser over the import graph that TypeScript resolves (`npm run lint:deps`).
 *
 * Layers, innermost first: functions/core (business rules) and functions/ports (interfaces, types
 * only) know nothing of functions/adapters, functions/composition, functions/handlers, local/
 * (the shim and the dev tools) or stacks/; stacks/ (the infrastructure, `cdktf synth`) loads no
 * runtime code, only small plain-data modules; web/ (the browser bundle) loads no server code.
 */

/**
 * Modules of functions/ that stacks/ may import: plain data (names, the schedule table, metric names),
 * no I/O. Each one is also held to `stacks-reach-no-runtime-module` below, so a listed module that
 * grows an import of an adapter or of an I/O library fails the check. Paths relative to the repo root.
 */
const STACKS_MAY_IMPORT = [
  'functions/core/schedule.ts',
  'functions/core/relay-skip-reasons.ts',
  'functions/config/metric-names.ts',
  // The route table and the schemas it holds (zod only: OpenAPI and API Gateway routes come from them).
  'functions/handlers/http/route-table.ts',
  'functions/handlers/http/schemas.ts',
  'functions/handlers/http/response-schemas.ts',
  'functions/handlers/http/error-response.ts',
  'functions/handlers/lambda-functions.ts',
  'functions/handlers/websocket/client-actions.ts',
];

/** npm packages that do I/O or start a runtime: none may be loaded by `cdktf synth` or by the core. */
const RUNTIME_PACKAGES = [
  '@aws-sdk',
  '@aws-lambda-powertools',
  '@middy',
  '@electric-sql/pglite',
  'express',
  'cors',
  'helmet',
  'ioredis',
  'pg',
  'pino',
  'prom-client',
  'nodemailer',
  'socket.io',
  'ws',
  'rate-limiter-flexible',
];

/**
 * Modules of functions/ whose values web/ may import: pure, browser-safe code with no import but
 * types (today the one function that applies a realtime update to a concert). Type-only imports of the
 * API contract are always allowed: TypeScript erases them, nothing of the server is bundled.
 */
const WEB_MAY_IMPORT = ['functions/core/realtime.ts'];

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const anyOf = (paths) => `^(${paths.map(escapeRegExp).join('|')})$`;
/** A resolved path inside node_modules of one of the given packages (any nesting of node_modules). */
const inPackages = (names) => `(^|/)node_modules/(${names.map(escapeRegExp).join('|')})/`;

/**
 * The switch for the three rules the tree breaks today: the import loop routes.ts → api-openapi.ts →
 * http/openapi.ts → routes.ts and the stacks' imports of handlers, adapters and local/ (issue 18, items 1
 * and 2, fixed on branch r-routes). While false they only warn (listed, not failing `npm run lint`);
 * set it to true once that branch is merged and `npm run lint:deps` shows no warning.
 */
const ROUTE_TABLE_IS_DATA = true;
const untilRouteTableIsData = ROUTE_TABLE_IS_DATA ? 'error' : 'warn';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: untilRouteTableIsData,
      comment:
        'An import loop: modules that load each other initialise in an order nobody chose (a value read ' +
        'before its module ran is undefined). Break it by moving the shared part into its own module.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-and-ports-import-no-outer-layer',
      severity: 'error',
      comment:
        'functions/core and functions/ports know nothing of adapters, the composition root, handlers, ' +
        'config, migrations, the local shim and tools, or the stacks (DESIGN.md, "ports and adapters").',
      from: { path: '^functions/(core|ports)/' },
      to: {
        path: '^(functions/(adapters|composition|handlers|config|db)|local|tools|stacks|web|bin|bench)/',
      },
    },
    {
      name: 'core-imports-only-core-and-ports',
      severity: 'error',
      comment:
        'The core imports the core, the ports, node:crypto and croner (croner only computes cron ticks, ' +
        'no I/O: the schedule periods are domain rules); no other library, no other Node module.',
      from: { path: '^functions/core/' },
      to: { pathNot: ['^functions/(core|ports)/', '^(node:)?crypto$', inPackages(['croner'])] },
    },
    {
      name: 'ports-are-types-only',
      severity: 'error',
      comment: 'A port imports other ports and the core model and realtime message types, nothing else.',
      from: { path: '^functions/ports/' },
      to: { pathNot: ['^functions/ports/', '^functions/core/(model|realtime)\\.ts$'] },
    },
    {
      name: 'functions-import-no-local-or-stacks',
      severity: 'error',
      comment:
        'Deployed code (functions/) never loads the local shim (local/), the build and deploy tools ' +
        '(tools/) or the infrastructure (stacks/): a Lambda bundle would carry them.',
      from: { path: '^functions/' },
      to: { path: '^(local|tools|stacks|web|bin|bench)/' },
    },
    {
      name: 'stacks-import-no-runtime-module',
      severity: untilRouteTableIsData,
      comment:
        'stacks/ points at functions by entry path and shares only plain data, from the modules in ' +
        'STACKS_MAY_IMPORT (.dependency-cruiser.cjs); it never imports local/ (issue 18, item 2).',
      from: { path: '^stacks/' },
      to: {
        path: '^(functions|local|tools)/',
        pathNot: anyOf(STACKS_MAY_IMPORT),
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'stacks-reach-no-runtime-module',
      severity: untilRouteTableIsData,
      comment:
        '`cdktf synth` loads no runtime module, not even through a data module: nothing under ' +
        'functions/adapters, composition, handlers, local/, nor an I/O library (ioredis, pg, the AWS ' +
        'SDK, pino, ...). Follows imports transitively.',
      from: { path: '^stacks/' },
      to: {
        path: [
          '^functions/(adapters|composition|handlers|config|db)/',
          '^(local|tools)/',
          inPackages(RUNTIME_PACKAGES),
        ],
        pathNot: anyOf(STACKS_MAY_IMPORT),
        reachable: true,
      },
    },
    {
      name: 'web-imports-no-server-code',
      severity: 'error',
      comment:
        'web/ is the browser bundle: it talks to the server over HTTP and WebSocket only, and never ' +
        'imports functions/, local/, stacks/, bin/ or bench/, nor a server-side library; type-only ' +
        'imports of the API contract and the modules in WEB_MAY_IMPORT excepted.',
      from: { path: '^web/' },
      to: {
        path: ['^(functions|local|tools|stacks|bin|bench)/', inPackages(RUNTIME_PACKAGES)],
        pathNot: anyOf(WEB_MAY_IMPORT),
        dependencyTypesNot: ['type-only'],
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['(^|/)dist/', '(^|/)cdktf\\.out/', '(^|/)\\.data/'] },
    tsPreCompilationDeps: true,
    preserveSymlinks: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.mts', '.js', '.mjs', '.cjs', '.json'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};

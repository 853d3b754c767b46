// The package's entry requires every limiter it ships (Mongo, MySQL, DynamoDB, etcd…: 71 KiB of a Lambda
// bundle, issue 19); the adapters load the three modules they use by path. Their types are the entry's.

declare module 'rate-limiter-flexible/lib/RateLimiterMemory.js' {
  import type { RateLimiterMemory } from 'rate-limiter-flexible';

  const Class: typeof RateLimiterMemory;
  export default Class;
}

declare module 'rate-limiter-flexible/lib/RateLimiterRedis.js' {
  import type { RateLimiterRedis } from 'rate-limiter-flexible';

  const Class: typeof RateLimiterRedis;
  export default Class;
}

declare module 'rate-limiter-flexible/lib/RateLimiterRes.js' {
  import type { RateLimiterRes } from 'rate-limiter-flexible';

  const Class: typeof RateLimiterRes;
  export default Class;
}

/// <reference path="./rate-limiter-flexible-lib.d.ts" />
import type * as Flexible from 'rate-limiter-flexible';
import MemoryLimiter from 'rate-limiter-flexible/lib/RateLimiterMemory.js';
import RedisLimiter from 'rate-limiter-flexible/lib/RateLimiterRedis.js';
import LimiterRes from 'rate-limiter-flexible/lib/RateLimiterRes.js';

// rate-limiter-flexible's three classes the throttles use, each loaded from its own module: the package's
// entry requires every store it supports (71 KiB minified in each Lambda bundle, issue 19), these ~15 KiB.

/** rate-limiter-flexible's in-memory limiter (one process; the fallback while Redis is away). */
export const RateLimiterMemory = MemoryLimiter;
export type RateLimiterMemory = Flexible.RateLimiterMemory;
/** rate-limiter-flexible's Redis limiter (shared by every replica; atomic Lua script per consume). */
export const RateLimiterRedis = RedisLimiter;
export type RateLimiterRedis = Flexible.RateLimiterRedis;
/** What a limiter resolves with, and rejects with when the key has no points left. */
export const RateLimiterRes = LimiterRes;
export type RateLimiterRes = Flexible.RateLimiterRes;

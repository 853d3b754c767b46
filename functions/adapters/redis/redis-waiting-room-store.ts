import type { Redis } from 'ioredis';
import type {
  MarkedAdmission,
  Pacing,
  PlaceRequest,
  StoredPlace,
  WaitingRoomStore,
} from '../../ports/waiting-room.store.port';
import type { RedisKeys } from './redis-keys';

// Add-if-absent in one script: a fan admitted or waiting keeps the place; otherwise a new one, scored by
// the draw or by the next arrival number. Answers {state, score or admitted-at, rank, created}.
const JOIN = `
local admitted = redis.call('HGET', KEYS[2], ARGV[1])
if admitted then return {'admitted', admitted, 0, 0} end
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
local created = 0
if not score then
  if ARGV[2] == 'draw' then score = ARGV[3] else score = tostring(1 + redis.call('INCR', KEYS[3])) end
  redis.call('ZADD', KEYS[1], score, ARGV[1])
  created = 1
end
return {'waiting', tostring(score), redis.call('ZRANK', KEYS[1], ARGV[1]), created}`;

// Every fan of ARGV (ids) in one round trip: admitted-at, or score and rank, or nothing.
const PLACES = `
local out = {}
for i, user in ipairs(ARGV) do
  local admitted = redis.call('HGET', KEYS[2], user)
  if admitted then out[i] = {'admitted', admitted, 0}
  else
    local score = redis.call('ZSCORE', KEYS[1], user)
    if score then out[i] = {'waiting', tostring(score), redis.call('ZRANK', KEYS[1], user)}
    else out[i] = {'none', '0', 0} end
  end
end
return out`;

// ARGV: user, admission, user, admission, … (admission: `admittedAtMs:closesAtMs`, see admissionValue)
const MARK_ADMITTED = `
for i = 1, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  redis.call('ZREM', KEYS[1], ARGV[i])
end
return 1`;

// Re-scores up to #ARGV waiting fans with an arrival score (≥ 1), in arrival order, with the draws in
// ARGV (XX: only a fan still waiting). Answers how many it re-scored.
const DRAW_ARRIVALS = `
local users = redis.call('ZRANGEBYSCORE', KEYS[1], 1, '+inf', 'LIMIT', 0, #ARGV)
for i, user in ipairs(users) do redis.call('ZADD', KEYS[1], 'XX', ARGV[i], user) end
return #users`;

/**
 * Draws handed to one DRAW_ARRIVALS call: few at first (usually there is no arrival to re-score, and
 * the ticker asks every second before the sale), doubling up to the most one script call handles.
 */
const DRAW_FIRST_BATCH = 16;
const DRAW_MAX_BATCH = 1_024;

const LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Fans asked about per script call (bounds how long one script holds Redis). */
const PLACES_BATCH = 2_000;

type PlaceReply = [string, string, number, number?];

/**
 * The waiting room in Redis, shared by every replica: per concert a sorted set of waiting fans (score:
 * the draw in [0, 1), or 1 + arrival number), a hash of admitted fans, an arrival counter and the pacing;
 * every change a single Lua script (atomic: two replicas joining one fan at once make one place).
 */
export class RedisWaitingRoomStore implements WaitingRoomStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async join(
    concertId: string,
    userId: string,
    request: PlaceRequest,
  ): Promise<{ place: StoredPlace; created: boolean }> {
    const reply = (await this.redis.eval(
      JOIN,
      3,
      this.keys.queueWaiting(concertId),
      this.keys.queueAdmitted(concertId),
      this.keys.queueArrivals(concertId),
      userId,
      request.kind,
      request.kind === 'draw' ? String(request.score) : '',
    )) as PlaceReply;
    return { place: toPlace(reply) as StoredPlace, created: reply[3] === 1 };
  }

  async places(concertId: string, userIds: readonly string[]): Promise<Array<StoredPlace | null>> {
    const out: Array<StoredPlace | null> = [];
    for (let start = 0; start < userIds.length; start += PLACES_BATCH) {
      const batch = userIds.slice(start, start + PLACES_BATCH);
      const replies = (await this.redis.eval(
        PLACES,
        2,
        this.keys.queueWaiting(concertId),
        this.keys.queueAdmitted(concertId),
        ...batch,
      )) as PlaceReply[];
      for (const reply of replies) out.push(toPlace(reply));
    }
    return out;
  }

  async peekNext(concertId: string, count: number): Promise<string[]> {
    if (count <= 0) return [];
    return this.redis.zrange(this.keys.queueWaiting(concertId), 0, count - 1);
  }

  async markAdmitted(concertId: string, admissions: readonly MarkedAdmission[]): Promise<void> {
    if (admissions.length === 0) return;
    await this.redis.eval(
      MARK_ADMITTED,
      2,
      this.keys.queueWaiting(concertId),
      this.keys.queueAdmitted(concertId),
      ...admissions.flatMap((admission) => [admission.userId, admissionValue(admission)]),
    );
  }

  async drawArrivals(concertId: string, random: () => number): Promise<number> {
    let total = 0;
    for (let batch = DRAW_FIRST_BATCH; ; batch = Math.min(batch * 2, DRAW_MAX_BATCH)) {
      const draws = Array.from({ length: batch }, () => String(random()));
      const done = Number(
        await this.redis.eval(DRAW_ARRIVALS, 1, this.keys.queueWaiting(concertId), ...draws),
      );
      total += done;
      if (done < batch) return total;
    }
  }

  async counts(concertId: string): Promise<{ waiting: number; admitted: number }> {
    const [waiting, admitted] = await Promise.all([
      this.redis.zcard(this.keys.queueWaiting(concertId)),
      this.redis.hlen(this.keys.queueAdmitted(concertId)),
    ]);
    return { waiting, admitted };
  }

  async readPacing(concertId: string): Promise<Pacing | null> {
    const hash = await this.redis.hgetall(this.keys.queuePacing(concertId));
    const atMs = Number(hash.atMs);
    if (!Number.isFinite(atMs) || hash.atMs === undefined) return null;
    return {
      atMs,
      carry: Number(hash.carry) || 0,
      ratePerMinute: Number(hash.ratePerMinute) || 0,
      recent: parseRecent(hash.recent),
    };
  }

  async writePacing(concertId: string, pacing: Pacing): Promise<void> {
    await this.redis.hset(this.keys.queuePacing(concertId), {
      atMs: String(pacing.atMs),
      carry: String(pacing.carry),
      ratePerMinute: String(pacing.ratePerMinute),
      recent: JSON.stringify(pacing.recent ?? []),
    });
  }

  async lease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(LEASE, 1, this.keys.queueLease(name), holder, String(ttlMs))) === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.keys.queueLease(name), holder);
  }
}

function parseRecent(text: string | undefined): Array<[number, number]> {
  try {
    const value: unknown = JSON.parse(text ?? '[]');
    if (!Array.isArray(value)) return [];
    return value.filter(
      (entry): entry is [number, number] =>
        Array.isArray(entry) && typeof entry[0] === 'number' && typeof entry[1] === 'number',
    );
  } catch {
    return [];
  }
}

/** An admitted fan's hash value: `admittedAtMs:closesAtMs` (the window fixed when given), or `admittedAtMs`. */
function admissionValue({ admittedAtMs, closesAtMs }: MarkedAdmission): string {
  return closesAtMs === undefined ? String(admittedAtMs) : `${admittedAtMs}:${closesAtMs}`;
}

function toPlace(reply: PlaceReply): StoredPlace | null {
  const [state, value, rank] = reply;
  if (state === 'admitted') {
    // A value written before windows were stored holds the admission time only.
    const [admittedAt = '', closesAt] = value.split(':');
    return closesAt === undefined
      ? { state: 'admitted', admittedAtMs: Number(admittedAt) }
      : { state: 'admitted', admittedAtMs: Number(admittedAt), closesAtMs: Number(closesAt) };
  }
  if (state === 'waiting') return { state: 'waiting', score: Number(value), rank: Number(rank) };
  return null;
}

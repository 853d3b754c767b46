import { randomUUID } from 'node:crypto';
import type { Concert, WaitingRoomSettings } from '../../functions/core/model';
import type {
  AdmissionFigures,
  AdmissionRecord,
  QueueAdmissionRepository,
} from '../../functions/ports/waiting-room.store.port';

/** A seeded uniform PRNG in [0, 1) (mulberry32): statistical tests repeat exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** queue_admissions in memory, with sold / held / order size the test sets. */
export class MemoryAdmissionRepository implements QueueAdmissionRepository {
  readonly records = new Map<string, AdmissionRecord>();
  sales = { sold: 0, held: 0, averageOrderSize: null as number | null };
  /** Fans who reserved since their admission: no longer counted as buyers to come. */
  readonly reserved = new Set<string>();

  async record(concertId: string, admissions: readonly AdmissionRecord[]): Promise<AdmissionRecord[]> {
    return admissions.map((admission) => {
      const key = `${concertId}|${admission.userId}`;
      const existing = this.records.get(key);
      if (existing) return existing;
      this.records.set(key, { ...admission });
      return admission;
    });
  }

  /** Per fan (any concert): tickets bought and held since admission, as the test sets them. */
  readonly usage = new Map<string, { bought: number; held: number }>();

  async purchases(_concertId: string, userIds: readonly string[]) {
    return new Map(
      userIds.flatMap((userId) => {
        const usage = this.usage.get(userId);
        return usage ? [[userId, usage] as const] : [];
      }),
    );
  }

  async find(concertId: string, userId: string): Promise<AdmissionRecord | null> {
    return this.records.get(`${concertId}|${userId}`) ?? null;
  }

  async figures(concertId: string, nowMs: number): Promise<AdmissionFigures> {
    const mine = [...this.records].filter(([key]) => key.startsWith(`${concertId}|`)).map(([, r]) => r);
    return {
      openAdmissions: mine.filter((record) => record.expiresAtMs > nowMs && !this.reserved.has(record.userId))
        .length,
      admitted: mine.length,
      ...this.sales,
    };
  }
}

/** A one-tier concert with a waiting room (settings overridable), as the repository would answer it. */
export function queuedConcert(
  overrides: Partial<Concert> = {},
  settings: Partial<WaitingRoomSettings> = {},
): Concert {
  const capacity = overrides.availableTickets ?? 1_000;
  return {
    id: randomUUID(),
    title: 'T',
    artist: 'A',
    venue: 'V',
    startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    status: 'on-sale',
    availableTickets: capacity,
    totalBooked: 0,
    tiers: [
      {
        id: randomUUID(),
        name: 'GA',
        priceCents: 1000,
        currency: 'USD',
        capacity,
        available: capacity,
        maxPerOrder: 10,
        version: 1,
      },
    ],
    version: 1,
    waitingRoom: {
      enabled: true,
      admissionPerMinute: 600,
      admissionWindowSeconds: 600,
      paused: false,
      ...settings,
    },
    ...overrides,
  };
}

/** A concerts port over a mutable map. */
export function concertsOf(...concerts: Concert[]) {
  const byId = new Map(concerts.map((concert) => [concert.id, concert]));
  return {
    byId,
    get: async (id: string) => byId.get(id) ?? null,
    list: async () => [...byId.values()],
  };
}

import type { Services } from '../functions/composition/services';
import { createAdminIfAbsent } from '../functions/core/auth.service';
import type { NewConcert } from '../functions/ports/concert.repository.port';

const DEFAULT_ADMIN = { email: 'admin@example.com', password: 'change-me-admin' };

const inDays = (days: number, hour: number) => {
  const date = new Date(Date.now() + days * 86_400_000);
  date.setUTCHours(hour, 0, 0, 0);
  return date.toISOString();
};

const SAMPLE_CONCERTS: NewConcert[] = [
  {
    title: 'Midnight Echoes',
    artist: 'The Lanterns',
    venue: 'Riverside Arena',
    startsAt: inDays(1, 20),
    status: 'on-sale',
    tiers: [
      { name: 'General Admission', priceCents: 4500, currency: 'USD', capacity: 500, maxPerOrder: 6 },
      { name: 'VIP', priceCents: 12000, currency: 'USD', capacity: 50, maxPerOrder: 2 },
    ],
  },
  {
    title: 'Strings at Sunset',
    artist: 'City Chamber Orchestra',
    venue: 'Harbour Hall',
    startsAt: inDays(14, 19),
    status: 'on-sale',
    tiers: [
      { name: 'Stalls', priceCents: 6000, currency: 'USD', capacity: 300, maxPerOrder: 8 },
      { name: 'Balcony', priceCents: 3500, currency: 'USD', capacity: 200, maxPerOrder: 8 },
    ],
  },
  {
    title: 'Flash Sale Live',
    artist: 'Neon Rush',
    venue: 'Warehouse 9',
    startsAt: inDays(30, 21),
    status: 'on-sale',
    tiers: [{ name: 'Floor', priceCents: 3000, currency: 'USD', capacity: 100, maxPerOrder: 4 }],
  },
];

/**
 * An admin and a few concerts, so a newcomer can click around at once. Safe to run again: it only adds
 * what is missing and never changes an existing account (an `admin@example.com` whose password was
 * changed keeps it). The configured ADMIN_* organiser is made sure of at start-up, not here.
 */
export async function seedSampleData(
  services: Services,
  print: (line: string) => void = console.log,
  /** The sample organiser when ADMIN_* are unset (default: the documented admin@example.com one). */
  sampleAdmin: { email: string; password: string } = DEFAULT_ADMIN,
): Promise<void> {
  const { config } = services;
  if (config.production && !config.admin) {
    throw new Error('In production, set ADMIN_EMAIL and ADMIN_PASSWORD instead of using the sample admin');
  }
  if (config.admin) {
    print(`admin     ${config.admin.email}`);
  } else {
    const { user, created } = await createAdminIfAbsent(services.auth, sampleAdmin);
    print(
      created
        ? `admin     ${user.email}  password: ${sampleAdmin.password}`
        : `admin     ${user.email} (already there; left unchanged)`,
    );
  }
  const existing = new Set((await services.concerts.list()).map((concert) => concert.title));
  for (const sample of SAMPLE_CONCERTS) {
    if (existing.has(sample.title)) {
      print(`concert   ${sample.title} (already there)`);
      continue;
    }
    const concert = await services.concerts.insert(sample);
    const tiers = concert?.tiers.map(
      (tier) => `${tier.name} ${tier.capacity} × ${(tier.priceCents / 100).toFixed(2)} ${tier.currency}`,
    );
    print(
      `concert   ${sample.title} — ${sample.artist}, ${sample.startsAt}  [${tiers?.join('; ')}]  id ${concert?.id}`,
    );
  }
}

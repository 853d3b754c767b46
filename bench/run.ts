/**
 * `npm run bench`: every figure of issue 19 in ONE run, each with its baseline measured in the same run
 * and the ratio, printed and written to bench/results.md (machine, date, load average, scale).
 *
 *   npm run bench                 # the issue's scale (10,000 watchers, 10 s runs, median of 3): ~10 min
 *   npm run bench -- --quick      # reduced scale for a busy machine (or BENCH_SCALE=quick)
 *   npm run bench -- --only flash-sale,bundles   # some sections (flash-sale, ws, socket.io, relay, bundles)
 *   npm run bench -- --out /tmp/results.md       # write elsewhere
 *
 * Needs PostgreSQL and Redis on 127.0.0.1 (scratch databases and key prefixes) and Debian's nginx.
 * Nothing here is a test; the suite keeps the correctness checks.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { bundleRow } from './bundles';
import { fanout, fanoutRow } from './fanout';
import { flashSale } from './flash-sale';
import { relayRow } from './relay';
import { machine, type Row, SCALES } from './support';

const SECTIONS = ['flash-sale', 'ws', 'socket.io', 'relay', 'bundles'] as const;

process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string', default: 'bench/results.md' },
  },
});
const scale = SCALES[values.quick || process.env.BENCH_SCALE === 'quick' ? 'quick' : 'full'];
const only = new Set(values.only ? values.only.split(',') : SECTIONS);

async function main(): Promise<void> {
  const startedAt = new Date();
  const rows: Row[] = [];
  const notes: string[] = [];
  const section = async (name: (typeof SECTIONS)[number], run: () => Promise<void>) => {
    if (!only.has(name)) return;
    console.log(`\n== ${name} (${scale.name} scale)`);
    const started = Date.now();
    try {
      await run();
    } catch (error) {
      console.error(error);
      notes.push(`section ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    console.log(`   ${name}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  };

  await section('flash-sale', async () => {
    const report = await flashSale(scale);
    rows.push(...report.rows);
    notes.push(...report.notes);
  });
  for (const transport of ['ws', 'socket.io'] as const) {
    await section(transport, async () => {
      const figures = await fanout({
        transport,
        clients: scale.watchers,
        rate: scale.watcherSaleRate,
        seconds: scale.watcherSeconds,
      });
      const row = fanoutRow(figures, transport, scale.watcherSaleRate);
      rows.push(row);
      // Under a missed row: where the shim's time went during the sale (its CPU profile).
      if (!row.met && figures.profile.length > 0) {
        console.log(
          `   ${transport} missed; the shim during the sale:\n${figures.profile.map((l) => `   ${l}`).join('\n')}`,
        );
        notes.push(
          `${transport} row missed; the shim during the sale, ${figures.profile.join('; ').replace(/\s+/g, ' ')}`,
        );
      }
    });
  }
  await section('relay', async () => {
    rows.push(await relayRow(scale.relayConnections, scale.relayUpdates));
  });
  await section('bundles', async () => {
    const { row, notes: bundleNotes } = await bundleRow();
    rows.push(row);
    notes.push(...bundleNotes);
  });

  const verdict = (met: boolean | undefined) => (met === undefined ? '' : met ? 'met' : '**missed**');
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const lines = [
    `## npm run bench, ${startedAt.toISOString()} (${scale.name} scale)`,
    '',
    `machine: ${machine()}; PostgreSQL, Redis, nginx, the shims and the load generators all on this machine`,
    `scale: ${scale.seconds} s per HTTP run, ${scale.connections} closed-loop clients, median of ${scale.repeats}; ${scale.watchers} watchers at ${scale.watcherSaleRate} holds/s for ${scale.watcherSeconds} s; relay to ${scale.relayConnections} connections, ${scale.relayUpdates} updates`,
    '',
    '| figure | baseline (same run) | measured | ratio | target | |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${cell(r.figure)} | ${cell(r.baseline)} | ${cell(r.value)} | ${r.ratio} | ${cell(r.target)} | ${verdict(r.met)}${r.note ? ` ${cell(r.note)}` : ''} |`,
    ),
    '',
    ...notes.map((note) => `- ${note}`),
    '',
  ];
  console.log(`\n${lines.join('\n')}`);
  await writeFile(values.out, `${lines.join('\n')}\n`);
  console.log(`written to ${values.out}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

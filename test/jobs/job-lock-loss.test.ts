import { describe, expect, it } from 'vitest';
import { type JobDeps, runJob } from '../../functions/core/jobs.service';
import type { MaintenanceRepository } from '../../functions/ports/maintenance.repository.port';
import type { OutboxRepository } from '../../functions/ports/outbox.repository.port';
import { LockLostError, settleLockedWork } from '../../functions/ports/sql-database.port';

describe('runJob when the job lock is lost mid-run', () => {
  it('the work hears it before delivering mail, and the run is recorded failed, not done', async () => {
    const runs: Array<{ outcome: string; error?: string }> = [];
    let claims = 0;
    const lock = new AbortController();
    const deps = {
      // The lock is lost while the reminders are being queued (as a lapsed Data API transaction would be).
      locks: {
        tryWithLock: (_key: number, work: (lost: AbortSignal) => Promise<unknown>) =>
          settleLockedWork(lock, work),
      },
      maintenance: {
        watermark: async () => null,
        reminderCandidates: async () => [],
        advanceWatermark: async () => lock.abort(new LockLostError(7)),
        recordRun: async (run: { outcome: string; error?: string }) => void runs.push(run),
      } as unknown as MaintenanceRepository,
      outbox: {
        enqueue: async () => 0,
        claim: async () => {
          claims++;
          return [];
        },
      } as unknown as OutboxRepository,
      timeZone: 'Asia/Singapore',
      now: () => new Date(),
      progress: () => undefined,
    } as unknown as JobDeps;

    await expect(runJob(deps, 'reminders')).rejects.toBeInstanceOf(LockLostError);

    expect(claims).toBe(0);
    expect(runs).toMatchObject([{ outcome: 'failed', error: expect.stringMatching(/lock 7 was lost/) }]);
  });
});

import { ORGANISER_CHANGE_EVENTS } from '../adapters/memory/organiser-settings-cache';
import type { HoldExpiryTimer } from '../core/hold-expiry-timer';
import type { WaitlistOfferAnnouncer } from '../core/waitlist.service';
import type { JobRunRecord, MaintenanceRepository } from '../ports/maintenance.repository.port';
import type { RealtimeEvents } from '../ports/realtime-events.port';
import type { ServiceMetrics } from '../ports/service-metrics.port';

/**
 * Counts what the use cases announce (`ticketing_events_total{event}` / EMF `TicketingEvents`), then
 * passes it on: the domain needs no metrics port. Every use case that announces must be handed this one.
 */
export function countingEvents(metrics: ServiceMetrics, inner: RealtimeEvents): RealtimeEvents {
  return hearingNotices(inner, (notice) => metrics.ticketingEvent(notice.event));
}

/** `inner`, with `listener` told of each admin notice first. */
function hearingNotices(
  inner: RealtimeEvents,
  listener: (notice: Parameters<RealtimeEvents['notifyAdmins']>[0]) => void,
): RealtimeEvents {
  return {
    concertChanged: (concertId, claims) => inner.concertChanged(concertId, claims),
    notifyAdmins: (notice) => {
      listener(notice);
      inner.notifyAdmins(notice);
    },
  };
}

/**
 * Every job run is recorded once, whoever ran it (Lambda, scheduler, CLI): counted there
 * (`job_runs_total{job,outcome}`, its duration in s), before the write, so a run that failed because the
 * database is down still shows.
 */
export function countingJobRuns(
  metrics: ServiceMetrics,
  inner: MaintenanceRepository,
): MaintenanceRepository {
  return Object.assign(Object.create(inner) as MaintenanceRepository, {
    recordRun: (run: JobRunRecord) => {
      metrics.jobFinished(run.job, run.outcome, (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000);
      return inner.recordRun(run);
    },
  });
}

/** Each new hold runs out `holdSeconds` (s) from now: `timer` sweeps then. */
export function timingHolds(
  inner: RealtimeEvents,
  timer: HoldExpiryTimer,
  holdSeconds: number,
): RealtimeEvents {
  return hearingNotices(inner, (notice) => {
    if (notice.event === 'new-reservation') timer.holdRunsOutAt(new Date(Date.now() + holdSeconds * 1000));
  });
}

/**
 * `inner`, and after each concert change the waiting-list announcer is poked: every path that gives tickets
 * back (a cancel, a sweep, a capacity change, a fan leaving) says its concert changed, and the database may
 * have made offers in that very transaction.
 */
export function announcingOffers(
  inner: RealtimeEvents,
  offers: Pick<WaitlistOfferAnnouncer, 'poke'>,
): RealtimeEvents {
  return {
    // The hold batch's claims pass through: the publisher builds the next snapshot from them (issue 19).
    concertChanged: (concertId, claims) => {
      inner.concertChanged(concertId, claims);
      offers.poke();
    },
    notifyAdmins: (notice) => inner.notifyAdmins(notice),
  };
}

/**
 * Tells `settings` (the waiting room's gate reads, OrganiserSettingsCache) at once when this instance
 * committed an organiser's change to a concert, before the answer goes out: the next reservation on this
 * instance sees a waiting room just turned on. Holds, which change only availability, do not touch it.
 */
export function forgettingSettings(
  inner: RealtimeEvents,
  settings: { invalidate(concertId: string): void },
): RealtimeEvents {
  return hearingNotices(inner, (notice) => {
    if (ORGANISER_CHANGE_EVENTS.has(notice.event) && notice.concertId) settings.invalidate(notice.concertId);
  });
}

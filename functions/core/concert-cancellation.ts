import type { CancelledHolder } from '../ports/concert.repository.port';
import type { QueuedEmail } from '../ports/outbox.repository.port';
import { escapeHtml } from './emails';
import type { Concert } from './model';

/**
 * The outbox key of a holder's cancellation mail: one per concert and person, so a concert PATCHed to
 * `cancelled` twice (or a retried PATCH) mails nobody twice (email_outbox.dedupe_key is unique).
 */
export const cancellationDedupeKey = (concertId: string, userId: string): string =>
  `concert-cancelled:${concertId}:${userId}`;

const money = (cents: number, currency: string) =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(cents / 100);

/**
 * One e-mail per holder of a cancelled concert: which holds were released and which tickets are void and
 * to be refunded (amounts in the reservation's currency). Names and titles are user input: escaped in HTML.
 */
export function cancellationEmails(concert: Concert, holders: CancelledHolder[]): QueuedEmail[] {
  return holders.map((holder) => {
    const subject = `Cancelled: ${concert.title}`;
    const lines = [
      `Hello ${holder.name},`,
      '',
      `${concert.title} by ${concert.artist} at ${concert.venue} (${concert.startsAt}) has been cancelled.`,
    ];
    if (holder.confirmedTickets > 0) {
      const refund = holder.refunds.map((r) => money(r.cents, r.currency)).join(' + ');
      lines.push(
        `Your ${holder.confirmedTickets} ticket${holder.confirmedTickets === 1 ? ' is' : 's are'} no longer valid; ${refund} will be refunded.`,
      );
    }
    if (holder.heldTickets > 0) {
      lines.push(
        `Your hold on ${holder.heldTickets} ticket${holder.heldTickets === 1 ? '' : 's'} was released.`,
      );
    }
    lines.push('', 'We are sorry.');
    const text = lines.join('\n');
    const html = lines
      .filter((line) => line !== '')
      .map((line) => `<p>${escapeHtml(line)}</p>`)
      .join('\n');
    return {
      to: holder.email,
      subject,
      text,
      html,
      dedupeKey: cancellationDedupeKey(concert.id, holder.userId),
    };
  });
}

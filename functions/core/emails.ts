import type { Email } from '../ports/mailer.port';
import type { ReminderCandidate } from '../ports/maintenance.repository.port';
import type { DailyReport } from '../ports/report.repository.port';
import type { PendingOffer } from '../ports/waitlist.repository.port';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Names and titles come from users: never let them become markup. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);

function when(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
    timeZoneName: 'short',
  }).format(new Date(iso));
}

const money = (cents: number, currency: string) =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(cents / 100);

export function reminderEmail(holder: ReminderCandidate, timeZone: string): Email {
  const date = when(holder.startsAt, timeZone);
  const subject = `Reminder: ${holder.title} — ${date}`;
  const text = [
    `Hello ${holder.name},`,
    '',
    `${holder.title} by ${holder.artist} is coming up:`,
    `  When:  ${date}`,
    `  Where: ${holder.venue}`,
    '',
    `Your ticket${holder.ticketCodes.length > 1 ? 's' : ''}:`,
    ...holder.ticketCodes.map((code) => `  ${code}`),
    '',
    'Show the code at the door. Enjoy the show!',
  ].join('\n');
  const html = `<p>Hello ${escapeHtml(holder.name)},</p>
<p><strong>${escapeHtml(holder.title)}</strong> by ${escapeHtml(holder.artist)} is coming up:</p>
<ul><li>When: ${escapeHtml(date)}</li><li>Where: ${escapeHtml(holder.venue)}</li></ul>
<p>Your tickets:</p>
<ul>${holder.ticketCodes.map((code) => `<li><code>${escapeHtml(code)}</code></li>`).join('')}</ul>
<p>Show the code at the door. Enjoy the show!</p>`;
  return { to: holder.email, subject, text, html };
}

export function dailyReportEmail(report: DailyReport, to: string): Email {
  const subject = `Daily sales report ${report.date} (${report.concerts.length} concert${report.concerts.length === 1 ? '' : 's'})`;
  const rows = report.concerts.map((c) => ({
    ...c,
    today: money(c.revenueTodayCents, c.currency),
    total: money(c.revenueToDateCents, c.currency),
    through: `${(c.sellThrough * 100).toFixed(1)}%`,
  }));
  const text = [
    `Sales on ${report.date} (${report.timeZone})`,
    '',
    ...rows.map(
      (c) =>
        `${c.title}: ${c.soldToday} sold today (${c.today}), ${c.soldToDate}/${c.capacity} to date (${c.total}, ${c.through}), ${c.expiredHolds} holds expired, ${c.checkedIn}/${c.soldToDate} checked in`,
    ),
  ].join('\n');
  const html = `<h1>Sales on ${escapeHtml(report.date)} (${escapeHtml(report.timeZone)})</h1>
<table><thead><tr><th>Concert</th><th>Sold today</th><th>Revenue today</th><th>Sold to date</th><th>Revenue to date</th><th>Sell-through</th><th>Expired holds</th><th>Checked in</th></tr></thead>
<tbody>${rows
    .map(
      (c) =>
        `<tr><td>${escapeHtml(c.title)}</td><td>${c.soldToday}</td><td>${escapeHtml(c.today)}</td><td>${c.soldToDate}/${c.capacity}</td><td>${escapeHtml(c.total)}</td><td>${c.through}</td><td>${c.expiredHolds}</td><td>${c.checkedIn}/${c.soldToDate}</td></tr>`,
    )
    .join('')}</tbody></table>`;
  return { to, subject, text, html };
}

/**
 * "Tickets came back for you": a waiting-list offer, with its quantity, price and the time (UTC) the hold
 * made for the fan runs out. The fan confirms it under My tickets, as any hold.
 */
export function waitlistOfferEmail(offer: PendingOffer): Email {
  const { reservation } = offer;
  const until = new Date(reservation.expiresAt).toISOString().replace('T', ' ').slice(0, 16);
  const total = money(reservation.totalCents, reservation.currency);
  const tickets = `${reservation.quantity} ticket${reservation.quantity === 1 ? '' : 's'}`;
  const subject = `Tickets for ${offer.concertTitle} are held for you`;
  const text = [
    `Hello ${offer.name},`,
    '',
    `You were next on the waiting list: ${tickets} (${offer.tierName}) for ${offer.concertTitle} are held for you.`,
    `Total: ${total}. Confirm them before ${until} UTC, or they go to the next fan on the list.`,
    '',
    `Reservation: ${reservation.id}`,
  ].join('\n');
  const html = `<p>Hello ${escapeHtml(offer.name)},</p>
<p>You were next on the waiting list: ${tickets} (${escapeHtml(offer.tierName)}) for <strong>${escapeHtml(offer.concertTitle)}</strong> are held for you.</p>
<p>Total: ${escapeHtml(total)}. Confirm them before ${escapeHtml(until)} UTC, or they go to the next fan on the list.</p>
<p>Reservation: <code>${escapeHtml(reservation.id)}</code></p>`;
  return { to: offer.email, subject, text, html };
}

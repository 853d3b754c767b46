import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import type { DailyReport } from '../../api/contract';
import { errorCodeOf } from '../../api/error-messages';
import { formatMoney } from '../../components/format';
import { Notice } from '../../components/status';
import { useAction } from '../../components/use-action';
import { useSession } from '../../session/session';
import { AdminOnly } from './admin-only';
import { SalesChart } from './sales-chart';

/** The daily report for a chosen date: a chart of sales per concert and the figures. */
export function AdminReportPage() {
  return (
    <AdminOnly>
      <ReportViewer />
    </AdminOnly>
  );
}

const today = () => new Date().toISOString().slice(0, 10);

function ReportViewer() {
  const { api } = useSession();
  const [date, setDate] = useState(today);
  const [report, setReport] = useState<DailyReport | null>(null);
  const { busy, error, run } = useAction();
  // Only the latest request's answer is shown: an earlier one arriving late never replaces it.
  const latest = useRef(0);
  // Once the organiser has typed a date, an answer never changes the field under them.
  const typed = useRef(false);

  /** `day` undefined: today in the service's schedule time zone (the day its daily-report job reports). */
  const show = useCallback(
    async (day: string | undefined) => {
      const asked = ++latest.current;
      const answer = await run(
        () => api.dailyReport(day),
        (cause) => {
          // A late failure of an earlier request says nothing over the latest one.
          if (asked !== latest.current) return '';
          setReport(null);
          return errorCodeOf(cause) === 'NOT_FOUND'
            ? `No report for ${day ?? 'today'} yet. The daily-report job makes it at 23:00; to make it now, run npm run job -- daily-report (on the embedded database, stop npm start first).`
            : undefined;
        },
      );
      if (!answer || asked !== latest.current) return;
      setReport(answer.report);
      if (!typed.current) setDate(answer.report.date);
    },
    [api, run],
  );

  // The page opens on today's report: no click needed for the question asked most.
  useEffect(() => {
    void show(undefined);
  }, [show]);

  function load(event: FormEvent) {
    event.preventDefault();
    void show(date);
  }

  return (
    <section aria-labelledby="report-heading">
      <p>
        <Link to="/admin">← Organiser console</Link>
      </p>
      <h1 id="report-heading">Daily sales report</h1>
      <form className="panel inline-form" onSubmit={load}>
        <label htmlFor="report-date">Date</label>
        <input
          id="report-date"
          type="date"
          required
          value={date}
          onChange={(e) => {
            typed.current = true;
            setDate(e.target.value);
          }}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Loading…' : 'Show report'}
        </button>
      </form>
      <Notice kind="error">{error}</Notice>
      {report && (
        <div className="panel">
          <h2>
            {report.date} <span className="muted">({report.timeZone})</span>
          </h2>
          {report.concerts.length === 0 ? (
            <p>No sales that day.</p>
          ) : (
            <>
              <SalesChart concerts={report.concerts} />
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Concert</th>
                    <th scope="col">Sold that day</th>
                    <th scope="col">Sold to date</th>
                    <th scope="col">Revenue that day</th>
                    <th scope="col">Sell-through</th>
                    <th scope="col">Expired holds</th>
                  </tr>
                </thead>
                <tbody>
                  {report.concerts.map((row) => (
                    <tr key={row.concertId}>
                      <th scope="row">{row.title}</th>
                      <td>{row.soldToday}</td>
                      <td>{row.soldToDate}</td>
                      <td>{formatMoney(row.revenueTodayCents, row.currency)}</td>
                      <td>{Math.round(row.sellThrough * 100)}%</td>
                      <td>{row.expiredHolds}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
          <p className="muted">Generated {new Date(report.generatedAt).toLocaleString()}</p>
        </div>
      )}
    </section>
  );
}

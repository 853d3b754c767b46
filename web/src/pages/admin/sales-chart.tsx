import type { ConcertDayFigures } from '../../api/contract';

const ROW = 34;
const LABEL = 180;
const WIDTH = 640;

/**
 * Tickets sold per concert on the day (dark) against sold to date (light), as an SVG bar chart.
 * The figures are also in the table beside it, for screen readers and for copying.
 */
export function SalesChart({ concerts }: { concerts: ConcertDayFigures[] }) {
  const most = Math.max(1, ...concerts.map((concert) => concert.soldToDate));
  const scale = (value: number) => ((WIDTH - LABEL - 60) * value) / most;
  const height = concerts.length * ROW + 10;
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${height}`}
        role="img"
        aria-labelledby="sales-chart-caption"
        data-testid="sales-chart"
        preserveAspectRatio="xMinYMin meet"
      >
        {concerts.map((concert, index) => {
          const y = index * ROW + 5;
          return (
            <g key={concert.concertId} data-testid="sales-bar">
              <text x={LABEL - 8} y={y + 19} textAnchor="end" className="chart-label">
                {concert.title.length > 24 ? `${concert.title.slice(0, 23)}…` : concert.title}
              </text>
              <rect
                x={LABEL}
                y={y + 4}
                width={scale(concert.soldToDate)}
                height={22}
                className="bar-to-date"
              />
              <rect x={LABEL} y={y + 4} width={scale(concert.soldToday)} height={22} className="bar-today" />
              <text x={LABEL + scale(concert.soldToDate) + 6} y={y + 19} className="chart-value">
                {concert.soldToday} / {concert.soldToDate}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption id="sales-chart-caption">
        Tickets sold per concert: <span className="key-today">that day</span> and{' '}
        <span className="key-to-date">to date</span>.
      </figcaption>
    </figure>
  );
}

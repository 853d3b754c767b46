export interface ConcertDayFigures {
  concertId: string;
  title: string;
  currency: string;
  soldToday: number;
  soldToDate: number;
  revenueTodayCents: number;
  revenueToDateCents: number;
  capacity: number;
  /** Sold to date / capacity, 0..1. */
  sellThrough: number;
  expiredHolds: number;
}

export interface DailyReport {
  date: string;
  timeZone: string;
  generatedAt: string;
  concerts: ConcertDayFigures[];
}

export interface ReportRepository {
  /** Computes the day's figures in `timeZone` and stores them, replacing an earlier run's rows. */
  computeAndStore(date: string, timeZone: string): Promise<DailyReport>;
  find(date: string): Promise<DailyReport | null>;
}

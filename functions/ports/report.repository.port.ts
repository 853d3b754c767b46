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
  /** Tickets sold (still confirmed) that were checked in at the door by the end of the day (scan time). */
  checkedIn: number;
  /** Attendance: checkedIn / soldToDate, 0..1 (0 when nothing is sold). */
  attendance: number;
}

export interface DailyReport {
  /** The local day reported (YYYY-MM-DD): [its local midnight, the next) in `timeZone`, 23–25 h. */
  date: string;
  timeZone: string;
  generatedAt: string;
  /**
   * True once computed after the day ended (every sale of the day counted); false for the provisional
   * report the 23:00 run stores, which the next run replaces with the final one.
   */
  final: boolean;
  concerts: ConcertDayFigures[];
}

export interface ReportRepository {
  /**
   * Computes the day's figures in `timeZone` (IANA) and stores them, replacing an earlier run's rows, marked
   * `final` as told (the caller knows whether the day is over).
   */
  computeAndStore(date: string, timeZone: string, options?: { final?: boolean }): Promise<DailyReport>;
  find(date: string): Promise<DailyReport | null>;
}

/** One issued ticket as the operator's export lists it (a CSV row of `concert-tickets export-tickets`). */
export interface ExportedTicket {
  code: string;
  /** The tier's name. */
  tier: string;
  /** The holder's e-mail. */
  holder: string;
  reservationId: string;
  /** When the ticket was issued (its reservation confirmed), ISO 8601 UTC. */
  issuedAt: string;
}

/** The SQL the operator CLI (local/cli.ts) reads beyond the service's own repositories. */
export interface OperatorRepository {
  /**
   * The names of the migrations the database has recorded (schema_migrations), or undefined when it has
   * no schema_migrations table (an empty database: nothing applied yet).
   */
  appliedMigrations(): Promise<string[] | undefined>;
  /** A concert's title, or undefined when there is no concert with this id. */
  concertTitle(concertId: string): Promise<string | undefined>;
  /** A concert's issued tickets, ordered by tier position, then issue time, then code. */
  concertTickets(concertId: string): Promise<ExportedTicket[]>;
}

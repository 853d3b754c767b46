// Pure data (no import): the metrics adapter writes under these names and the monitoring stack's alarms
// and dashboard read them, without loading the adapter (Powertools) at synth time.

/** The CloudWatch namespace of every metric the service publishes (embedded metric format). */
export const METRICS_NAMESPACE = 'ConcertTickets';
/** The `service` dimension Powertools adds to every metric line. */
export const METRICS_SERVICE = 'concert-ticket-system';

-- Scheduled jobs: their runs, the e-mail outbox, and the daily sales reports.

CREATE TABLE job_runs (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  job         text NOT NULL,
  started_at  timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  outcome     text NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'skipped')),
  counts      text NOT NULL DEFAULT '{}',
  error       text
);
CREATE INDEX job_runs_by_job ON job_runs (job, started_at DESC);

-- One row per e-mail that must go out; `dedupe_key` makes "mail this once" a unique constraint.
CREATE TABLE email_outbox (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  dedupe_key      text NOT NULL UNIQUE,
  recipient       text NOT NULL,
  subject         text NOT NULL,
  text_body       text NOT NULL,
  html_body       text NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz
);
CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE status IN ('pending', 'sending', 'failed');

CREATE TABLE daily_reports (
  report_date           date NOT NULL,
  concert_id            uuid NOT NULL REFERENCES concerts (id) ON DELETE CASCADE,
  currency              text NOT NULL,
  title                 text NOT NULL,
  time_zone             text NOT NULL,
  sold_today            integer NOT NULL,
  sold_to_date          integer NOT NULL,
  revenue_today_cents   bigint NOT NULL,
  revenue_to_date_cents bigint NOT NULL,
  capacity              integer NOT NULL,
  sell_through          double precision NOT NULL,
  expired_holds         integer NOT NULL,
  generated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (report_date, concert_id, currency)
);

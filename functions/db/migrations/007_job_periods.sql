-- Scheduled jobs take their period from the schedule (DESIGN invariant 8): each run records the time it
-- was scheduled for, and a watermark per job remembers the end of the last period it completed, so a late,
-- doubled or skipped run catches up exactly once.

ALTER TABLE job_runs ADD COLUMN scheduled_at timestamptz;

CREATE TABLE job_watermarks (
  job           text PRIMARY KEY,
  -- reminders: the end of the last start-time window mailed; daily-report: the end of the last final day.
  covered_until timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- A day's report is provisional until computed after the day ended (then it holds every sale of the day).
ALTER TABLE daily_reports ADD COLUMN final boolean NOT NULL DEFAULT false;

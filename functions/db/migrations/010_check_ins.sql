-- Check-in at the door (issue 21): a `staff` role, one row per admitted ticket, and attendance in the
-- daily report.

-- The role CHECK of 001 was written inline, so PostgreSQL named it users_role_check.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('customer', 'staff', 'admin'));

-- One row per ticket let in: the primary key is what admits a ticket exactly once, whichever device, replica
-- or synced offline queue asks first. `scanned_at` is when the door scanned it (an offline scan keeps its own
-- time), `recorded_at` when the server learned of it.
CREATE TABLE check_ins (
  ticket_id     uuid PRIMARY KEY REFERENCES tickets (id),
  concert_id    uuid NOT NULL REFERENCES concerts (id),
  tier_id       uuid NOT NULL REFERENCES ticket_tiers (id),
  device_id     text NOT NULL CHECK (length(device_id) BETWEEN 1 AND 100),
  checked_in_by uuid NOT NULL REFERENCES users (id),
  scanned_at    timestamptz NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX check_ins_by_concert ON check_ins (concert_id, tier_id);
CREATE INDEX tickets_by_concert ON tickets (concert_id, tier_id);

-- Attendance per concert in the daily report: tickets checked in by the end of the reported day.
ALTER TABLE daily_reports ADD COLUMN checked_in integer NOT NULL DEFAULT 0;

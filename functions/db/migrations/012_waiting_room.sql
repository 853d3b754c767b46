-- Issue 20, the waiting room. Per concert: when the sale opens (`on_sale_at`, null = no set moment) and the
-- waiting-room settings (`waiting_room_enabled` null = never configured, so the public Concert leaves
-- `waitingRoom` out); `admission_per_minute` null means `auto` (a rate from what is left to sell).
ALTER TABLE concerts ADD COLUMN on_sale_at timestamptz;
ALTER TABLE concerts ADD COLUMN waiting_room_enabled boolean;
ALTER TABLE concerts ADD COLUMN admission_per_minute integer CHECK (admission_per_minute IS NULL OR admission_per_minute BETWEEN 1 AND 100000);
ALTER TABLE concerts ADD COLUMN admission_window_seconds integer NOT NULL DEFAULT 600 CHECK (admission_window_seconds BETWEEN 30 AND 86400);
ALTER TABLE concerts ADD COLUMN queue_paused boolean NOT NULL DEFAULT false;

-- Every admission ever given, durably: the queue's store (Redis, or memory when embedded) may be lost, this
-- table is not. An admission is written here before the fan hears of it, at most once per (concert, fan):
-- after a store loss nobody is admitted twice, and an admitted fan who comes back is admitted again with
-- the same window (the token, signed and self-contained, stays valid meanwhile anyway).
CREATE TABLE queue_admissions (
  concert_id  uuid NOT NULL REFERENCES concerts (id) ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  admitted_at timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (concert_id, user_id)
);
CREATE INDEX queue_admissions_open ON queue_admissions (concert_id, expires_at);

-- `auto` reads sold, held and the mean order size of one concert every admission step.
CREATE INDEX reservations_by_concert ON reservations (concert_id, status);

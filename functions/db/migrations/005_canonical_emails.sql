-- One identity, one spelling. The application canonicalises an address once (functions/core/email-address.ts:
-- NFKC, then Unicode lower case) and the database compares that stored form exactly: PostgreSQL's lower()
-- depends on the collation and disagreed with JavaScript (lower('İ') = 'i' here, 'i̇' in JavaScript), which
-- let one account be reached through spellings the login throttle counted as different accounts.
-- Existing rows: every ASCII address is canonicalised here (lower() of ASCII is the same in every
-- collation and in JavaScript). Sign-up only ever accepted ASCII addresses, and the configured admin and
-- the CLI stored JavaScript-lower-cased ones, so the rare non-ASCII row is already in JavaScript's form.
UPDATE users SET email = lower(btrim(email)) WHERE email ~ '^[\x01-\x7F]*$' AND email <> lower(btrim(email));
DROP INDEX users_email_key;
CREATE UNIQUE INDEX users_email_key ON users (email);
-- Identity is re-checked while a token lives: a token carries the version it was issued under, and a
-- change of password or role (or a deleted account) ends every older token within seconds.
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;

-- An outbox claim is a token, not just a time: each claim writes its own `claim_token`, and only the holder
-- of that token may renew the claim or mark the e-mail sent or failed. A sender whose claim ran out and was
-- taken by another can no longer mark (or, having checked before each send, send) what it no longer holds.
ALTER TABLE email_outbox ADD COLUMN claim_token uuid;

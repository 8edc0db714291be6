-- A settlement re-queued after a submission that did not pay it (the token refused its nonce with
-- no log showing who spent it, or the batch transaction ended without executing) waits until this
-- instant before its next submission: exponential, capped, because each submission costs gas.
ALTER TABLE settlements ADD COLUMN retry_after timestamptz;

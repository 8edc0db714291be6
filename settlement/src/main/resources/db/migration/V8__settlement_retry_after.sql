-- A settlement retried because the token says its nonce is spent while no log shows who spent it
-- waits this long before its next submission (exponential, capped): each submission costs gas.
ALTER TABLE settlements ADD COLUMN retry_after timestamptz;

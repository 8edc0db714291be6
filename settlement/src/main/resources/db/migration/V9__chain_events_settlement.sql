-- Reconciliation counts the live Transfers tied to each settlement (exactly one may pay it).
CREATE INDEX chain_events_settlement ON chain_events (settlement_id) WHERE settlement_id IS NOT NULL;

-- The indexer's pass over Transfers whose settlement has not yet taken their status: without this
-- it would scan every finalized settlement Transfer ever indexed, once a second.
CREATE INDEX chain_events_settlement_to_advance ON chain_events (chain_id, block_number)
    WHERE event = 'Transfer' AND settlement_id IS NOT NULL AND applied_status IS DISTINCT FROM status;

-- The auditor's settlements list, newest first, a page at a time, across all agents.
CREATE INDEX settlements_created ON settlements (created_at DESC, id DESC);

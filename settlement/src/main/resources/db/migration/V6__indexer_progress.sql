-- Which status of a settlement's Transfer the indexer has already applied to the settlement, so
-- that each confirmation and finalization is applied once and only new ones are looked at.
ALTER TABLE chain_events ADD COLUMN applied_status text CHECK (applied_status IN ('confirmed', 'finalized'));
CREATE INDEX chain_events_to_apply ON chain_events (chain_id, block_number)
    WHERE settlement_id IS NOT NULL AND event = 'Transfer' AND status IN ('confirmed', 'finalized');

-- Agent balances come from the index: every confirmed Transfer into or out of an agent wallet is
-- applied once to indexed_micros (exact, may be negative when the index began after a deposit);
-- onchain_micros, what the funds cap uses, is that sum clamped to [0, Money.MAX]. A reorg takes
-- an applied Transfer back out. balanceOf is now only a cross-check, read by the indexer at the
-- block up to which the index is complete, and a disagreement is recorded here.
ALTER TABLE agent_funds
    ADD COLUMN indexed_micros         numeric(78, 0) NOT NULL DEFAULT 0,
    ADD COLUMN chain_balance_micros   numeric(78, 0),
    ADD COLUMN chain_balance_block    bigint CHECK (chain_balance_block >= 0),
    ADD COLUMN balance_checked_at     timestamptz,
    ADD COLUMN balance_mismatch       boolean NOT NULL DEFAULT false,
    DROP COLUMN onchain_read_at,
    DROP COLUMN version;

-- Whether a Transfer's amount is in agent_funds.indexed_micros.
ALTER TABLE chain_events ADD COLUMN balance_applied boolean NOT NULL DEFAULT false;
CREATE INDEX chain_events_balance_to_apply ON chain_events (chain_id, block_number)
    WHERE event = 'Transfer' AND NOT balance_applied;
CREATE INDEX chain_events_outflow_to_check ON chain_events (chain_id, block_number)
    WHERE event = 'Transfer' AND NOT outflow_checked;

-- Existing deployments: what is confirmed now is the balance.
UPDATE chain_events SET balance_applied = true WHERE event = 'Transfer' AND status IN ('confirmed', 'finalized');
UPDATE agent_funds f SET indexed_micros = COALESCE((
        SELECT sum(CASE WHEN lower(e.args->>'to') = lower(a.wallet_address) THEN (e.args->>'value')::numeric ELSE 0 END)
             - sum(CASE WHEN lower(e.args->>'from') = lower(a.wallet_address) THEN (e.args->>'value')::numeric ELSE 0 END)
        FROM agents a JOIN chain_events e ON e.addresses @> ARRAY[lower(a.wallet_address)]
        WHERE a.id = f.agent_id AND e.event = 'Transfer' AND e.balance_applied), 0);
UPDATE agent_funds SET onchain_micros = LEAST(GREATEST(indexed_micros, 0), 1000000000000000000);

-- The cross-check visits the agents checked longest ago first.
CREATE INDEX agent_funds_checked ON agent_funds (balance_checked_at NULLS FIRST, agent_id);

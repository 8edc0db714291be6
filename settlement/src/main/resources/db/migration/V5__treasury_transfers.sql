-- The settlement pipeline also carries the operator's own transfers: funding (treasury → agent
-- wallet, signed by the treasury) and withdrawals (agent wallet → treasury or an address, signed
-- by the agent's wallet). They have no authorizations; their EIP-3009 nonce is derived from their id.
ALTER TABLE settlements
    ADD COLUMN kind text NOT NULL DEFAULT 'payment' CHECK (kind IN ('payment', 'funding', 'withdrawal'));

-- Auto top-up: when an agent's available balance falls below threshold, the treasury sends
-- amount, at most daily_max per UTC day (kept by a conditional UPDATE on top_up_days).
CREATE TABLE agent_top_ups (
    agent_id            text        PRIMARY KEY REFERENCES agents (id),
    threshold_micros    bigint      NOT NULL CHECK (threshold_micros > 0),
    amount_micros       bigint      NOT NULL CHECK (amount_micros > 0),
    daily_max_micros    bigint      NOT NULL CHECK (daily_max_micros >= amount_micros),
    updated_at          timestamptz NOT NULL
);

CREATE TABLE top_up_days (
    agent_id    text    NOT NULL REFERENCES agents (id),
    day         date    NOT NULL,
    sent_micros bigint  NOT NULL DEFAULT 0 CHECK (sent_micros >= 0),
    PRIMARY KEY (agent_id, day)
);

-- Bumped whenever the ledger itself moves onchain_micros (a confirmation, a reorg): a balance read
-- from the chain that started before the bump is older than the ledger and must not overwrite it.
ALTER TABLE agent_funds ADD COLUMN version bigint NOT NULL DEFAULT 0;

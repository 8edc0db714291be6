-- The chain as the indexer saw it: every relevant log, idempotent on (chain, tx hash, log index).
-- A log orphaned by a reorg is kept with status 'removed' (it happened, then it un-happened).
CREATE TABLE chain_events (
    chain_id        bigint      NOT NULL CHECK (chain_id > 0),
    tx_hash         text        NOT NULL CHECK (tx_hash ~ '^0x[0-9a-f]{64}$'),
    log_index       integer     NOT NULL CHECK (log_index >= 0),
    block_number    bigint      NOT NULL CHECK (block_number >= 0),
    block_hash      text        NOT NULL CHECK (block_hash ~ '^0x[0-9a-f]{64}$'),
    contract        text        NOT NULL CHECK (contract ~ '^0x[0-9a-fA-F]{40}$'),
    event           text        NOT NULL CHECK (event IN ('Transfer', 'AuthorizationUsed', 'AuthorizationCanceled',
                                                          'ItemSettled', 'ItemFailed')),
    args            jsonb       NOT NULL,
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'finalized', 'removed')),
    settlement_id   text        REFERENCES settlements (id),
    indexed_at      timestamptz NOT NULL,
    -- Addresses the event touches (lowercase), for the auditor's ?address= filter.
    addresses       text[]      NOT NULL,
    -- For transfers out of an agent wallet: whether the indexer has matched it to a settlement.
    outflow_checked boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (chain_id, tx_hash, log_index)
);
CREATE INDEX chain_events_block ON chain_events (chain_id, block_number, log_index);
CREATE INDEX chain_events_addresses ON chain_events USING gin (addresses);
CREATE INDEX chain_events_open ON chain_events (chain_id, block_number) WHERE status IN ('pending', 'confirmed');

-- Recent block headers the indexer has seen, to notice a reorg by a parent-hash mismatch.
CREATE TABLE indexed_blocks (
    chain_id        bigint  NOT NULL,
    number          bigint  NOT NULL CHECK (number >= 0),
    hash            text    NOT NULL CHECK (hash ~ '^0x[0-9a-f]{64}$'),
    parent_hash     text    NOT NULL CHECK (parent_hash ~ '^0x[0-9a-f]{64}$'),
    PRIMARY KEY (chain_id, number)
);

-- Where indexing resumes after a restart.
CREATE TABLE indexer_cursor (
    chain_id        bigint  PRIMARY KEY,
    next_block      bigint  NOT NULL CHECK (next_block >= 0),
    range_size      integer NOT NULL CHECK (range_size BETWEEN 1 AND 100000),
    updated_at      timestamptz NOT NULL
);

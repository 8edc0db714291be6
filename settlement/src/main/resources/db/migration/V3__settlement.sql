-- The relayer's transactions (dev.purser.wallet.tx.RelayerStore in PostgreSQL): a gap-free
-- nonce counter per sender, each transaction stored with its signed attempts before broadcast.
CREATE TABLE relayer_nonce (
    sender      text    PRIMARY KEY CHECK (sender ~ '^0x[0-9a-fA-F]{40}$'),
    next_nonce  bigint  NOT NULL CHECK (next_nonce >= 0)
);

CREATE TABLE relayer_transaction (
    sender              text        NOT NULL REFERENCES relayer_nonce (sender),
    nonce               bigint      NOT NULL CHECK (nonce >= 0),
    reference           text        NOT NULL,
    to_address          text        NOT NULL,
    value_wei           numeric(78) NOT NULL CHECK (value_wei >= 0),
    data                text        NOT NULL,
    gas_limit           bigint      NOT NULL CHECK (gas_limit > 0),
    created_at          timestamptz NOT NULL,
    status              text        NOT NULL DEFAULT 'PENDING'
                                    CHECK (status IN ('PENDING', 'MINED', 'REVERTED', 'NONCE_CONSUMED_ELSEWHERE', 'CANCELED')),
    inclusion_tx_hash   text,
    inclusion_attempt   integer,
    inclusion_block     bigint,
    inclusion_block_hash text,
    inclusion_gas_used  bigint,
    reason              text,
    resolved_at         timestamptz,
    PRIMARY KEY (sender, nonce),
    UNIQUE (sender, reference)
);
CREATE INDEX relayer_transaction_pending ON relayer_transaction (sender, nonce) WHERE status = 'PENDING';

CREATE TABLE relayer_attempt (
    sender                  text        NOT NULL,
    nonce                   bigint      NOT NULL,
    number                  integer     NOT NULL CHECK (number BETWEEN 0 AND 31),
    kind                    text        NOT NULL CHECK (kind IN ('ORIGINAL', 'REPLACEMENT', 'CANCELLATION')),
    tx_hash                 text        NOT NULL UNIQUE CHECK (tx_hash ~ '^0x[0-9a-f]{64}$'),
    max_fee_per_gas         numeric(78) NOT NULL,
    max_priority_fee_per_gas numeric(78) NOT NULL,
    signed_raw              bytea       NOT NULL CHECK (octet_length(signed_raw) BETWEEN 1 AND 262144),
    created_at              timestamptz NOT NULL,
    reason                  text,
    PRIMARY KEY (sender, nonce, number),
    FOREIGN KEY (sender, nonce) REFERENCES relayer_transaction (sender, nonce)
);

-- A BatchSettler transaction carrying the signed EIP-3009 authorizations of several settlements.
CREATE TABLE settlement_batches (
    id              text        PRIMARY KEY CHECK (id ~ '^bat_[0-9A-Za-z]{1,64}$'),
    relayer         text        NOT NULL,
    status          text        NOT NULL DEFAULT 'sending' CHECK (status IN ('sending', 'resolved')),
    outcome         text,
    tx_hash         text,
    created_at      timestamptz NOT NULL,
    resolved_at     timestamptz
);
CREATE INDEX settlement_batches_sending ON settlement_batches (created_at) WHERE status = 'sending';

-- What a settlement's on-chain payment is: fixed when it is formed (chain, token, nonce), and
-- the agent wallet's signature over it (re-signed with the same nonce if it expires unused).
ALTER TABLE settlements
    ADD COLUMN chain_id         bigint  CHECK (chain_id > 0),
    ADD COLUMN token            text    CHECK (token ~ '^0x[0-9a-fA-F]{40}$'),
    ADD COLUMN valid_before     bigint  CHECK (valid_before > 0),
    ADD COLUMN signature        bytea   CHECK (octet_length(signature) = 65),
    ADD COLUMN batch_id         text    REFERENCES settlement_batches (id),
    ADD COLUMN block_hash       text    CHECK (block_hash ~ '^0x[0-9a-f]{64}$'),
    ADD COLUMN attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    ADD CONSTRAINT settlements_formed_together CHECK ((nonce IS NULL) = (token IS NULL) AND (nonce IS NULL) = (chain_id IS NULL)),
    ADD CONSTRAINT settlements_landed_together CHECK ((tx_hash IS NULL) = (block_number IS NULL)
        AND (tx_hash IS NULL) = (log_index IS NULL) AND (tx_hash IS NULL) = (block_hash IS NULL));
CREATE INDEX settlements_batch ON settlements (batch_id);

-- One row per relayer-level event worth a warning (low ETH), so it is written once per episode.
CREATE TABLE relayer_alerts (
    relayer     text        PRIMARY KEY,
    low_balance boolean     NOT NULL DEFAULT false,
    changed_at  timestamptz NOT NULL
);

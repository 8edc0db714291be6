-- Spend control: funds per agent, daily spend per credential, authorizations (holds), queued
-- settlements, the hash-chained audit log and idempotency keys. Money is BIGINT micro-USDC.

-- What an agent's wallet can cover. onchain is the last balance read from the chain; held are
-- open authorizations; pending_settlement is settled but not yet confirmed on-chain.
-- Pre-authorize moves money into held only through a conditional UPDATE that keeps
-- held + pending_settlement <= onchain.
CREATE TABLE agent_funds (
    agent_id                    text        PRIMARY KEY REFERENCES agents (id),
    onchain_micros              bigint      NOT NULL DEFAULT 0 CHECK (onchain_micros >= 0),
    onchain_read_at             timestamptz,
    held_micros                 bigint      NOT NULL DEFAULT 0 CHECK (held_micros >= 0),
    pending_settlement_micros   bigint      NOT NULL DEFAULT 0 CHECK (pending_settlement_micros >= 0)
);

-- held + settled <= the credential's daily_limit for each UTC day, kept by a conditional UPDATE.
CREATE TABLE daily_spend (
    credential_id   text    NOT NULL REFERENCES credentials (id),
    day             date    NOT NULL,
    held_micros     bigint  NOT NULL DEFAULT 0 CHECK (held_micros >= 0),
    settled_micros  bigint  NOT NULL DEFAULT 0 CHECK (settled_micros >= 0),
    PRIMARY KEY (credential_id, day)
);

CREATE TABLE settlements (
    id              text        PRIMARY KEY CHECK (id ~ '^stl_[0-9A-Za-z]{1,64}$'),
    agent_id        text        NOT NULL REFERENCES agents (id),
    from_address    text        NOT NULL CHECK (from_address ~ '^0x[0-9a-fA-F]{40}$'),
    merchant        text        NOT NULL CHECK (merchant ~ '^0x[0-9a-fA-F]{40}$'),
    amount_micros   bigint      NOT NULL CHECK (amount_micros > 0),
    nonce           text        UNIQUE CHECK (nonce ~ '^0x[0-9a-f]{64}$'),
    status          text        NOT NULL DEFAULT 'queued'
                                CHECK (status IN ('queued', 'submitted', 'confirmed', 'finalized', 'failed')),
    tx_hash         text        CHECK (tx_hash ~ '^0x[0-9a-f]{64}$'),
    block_number    bigint      CHECK (block_number >= 0),
    log_index       integer     CHECK (log_index >= 0),
    failure_reason  text,
    created_at      timestamptz NOT NULL,
    submitted_at    timestamptz,
    confirmed_at    timestamptz,
    finalized_at    timestamptz
);
CREATE INDEX settlements_agent ON settlements (agent_id, created_at DESC, id DESC);
CREATE INDEX settlements_status ON settlements (status, created_at) WHERE status IN ('queued', 'submitted');

CREATE TABLE authorizations (
    id                      text        PRIMARY KEY CHECK (id ~ '^auth_[0-9A-Za-z]{1,64}$'),
    agent_id                text        NOT NULL REFERENCES agents (id),
    credential_id           text        NOT NULL REFERENCES credentials (id),
    merchant                text        NOT NULL CHECK (merchant ~ '^0x[0-9a-fA-F]{40}$'),
    amount_micros           bigint      NOT NULL CHECK (amount_micros > 0),
    settled_amount_micros   bigint      CHECK (settled_amount_micros > 0 AND settled_amount_micros <= amount_micros),
    status                  text        NOT NULL CHECK (status IN
                                ('pending_approval', 'authorized', 'settled', 'voided', 'expired', 'declined')),
    decline_code            text,
    decline_reason          text        CHECK (char_length(decline_reason) <= 500),
    purpose                 text        CHECK (char_length(purpose) <= 500),
    metadata                jsonb,
    day                     date        NOT NULL,
    created_at              timestamptz NOT NULL,
    expires_at              timestamptz NOT NULL,
    settled_at              timestamptz,
    voided_at               timestamptz,
    decided_at              timestamptz,
    settlement_id           text        REFERENCES settlements (id),
    CHECK ((status = 'settled') = (settled_amount_micros IS NOT NULL)),
    CHECK ((status = 'settled') = (settlement_id IS NOT NULL)),
    CHECK (expires_at > created_at)
);
CREATE INDEX authorizations_agent ON authorizations (agent_id, created_at DESC, id DESC);
CREATE INDEX authorizations_velocity ON authorizations (credential_id, created_at);
CREATE INDEX authorizations_open ON authorizations (expires_at) WHERE status IN ('authorized', 'pending_approval');
CREATE INDEX authorizations_pending_approval ON authorizations (created_at) WHERE status = 'pending_approval';

CREATE TABLE settlement_items (
    authorization_id    text    PRIMARY KEY REFERENCES authorizations (id),
    settlement_id       text    NOT NULL REFERENCES settlements (id),
    amount_micros       bigint  NOT NULL CHECK (amount_micros > 0),
    position            integer NOT NULL CHECK (position >= 0),
    UNIQUE (settlement_id, position)
);

-- The audit log: append-only, each row's hash covers its content and the previous row's hash.
-- data_json is kept as the exact text that was hashed.
CREATE TABLE audit_events (
    seq                 bigint      PRIMARY KEY CHECK (seq >= 1),
    id                  text        NOT NULL UNIQUE,
    at                  timestamptz NOT NULL,
    type                text        NOT NULL CHECK (type ~ '^[a-z_]+(\.[a-z_]+)+$'),
    actor_credential_id text,
    actor_scope         text,
    agent_id            text,
    subject             text        NOT NULL,
    data_json           text        NOT NULL,
    prev_hash           bytea       NOT NULL CHECK (octet_length(prev_hash) = 32),
    hash                bytea       NOT NULL UNIQUE CHECK (octet_length(hash) = 32)
);
CREATE INDEX audit_events_agent ON audit_events (agent_id, seq);
CREATE INDEX audit_events_type ON audit_events (type, seq);

-- Append-only: the database itself refuses to change or remove an audit row.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- Idempotency keys, scoped to the credential; the first response is stored in the same
-- transaction as the effect it reports, so a replay can never disagree with what happened.
CREATE TABLE idempotency_keys (
    credential_id   text        NOT NULL REFERENCES credentials (id),
    key             text        NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    request_sha256  bytea       NOT NULL CHECK (octet_length(request_sha256) = 32),
    response_status integer     NOT NULL CHECK (response_status BETWEEN 200 AND 499),
    response_body   text        NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (credential_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

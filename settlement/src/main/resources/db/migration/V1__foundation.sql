-- The deployment's one BIP-39 seed, encrypted with AES-256-GCM under the master key. The row is
-- written once; the first writer wins, so two instances starting together agree on one seed.
CREATE TABLE wallet_seed (
    id          smallint    PRIMARY KEY CHECK (id = 1),
    envelope    bytea       NOT NULL CHECK (octet_length(envelope) BETWEEN 1 AND 4096),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Agent wallet n is derived at m/44'/60'/0'/0/n; indexes are never reused.
CREATE SEQUENCE agent_wallet_index AS bigint START WITH 0 MINVALUE 0;

CREATE TABLE agents (
    id              text        PRIMARY KEY CHECK (id ~ '^agt_[0-9A-Za-z]{1,64}$'),
    name            text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    wallet_index    bigint      NOT NULL UNIQUE CHECK (wallet_index >= 0),
    wallet_address  text        NOT NULL UNIQUE CHECK (wallet_address ~ '^0x[0-9a-fA-F]{40}$'),
    status          text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen')),
    frozen_reason   text        CHECK (char_length(frozen_reason) <= 500),
    metadata        jsonb,
    created_at      timestamptz NOT NULL
);

-- Credentials: secrets are stored only as SHA-256 hashes (they carry 256 random bits, so a slow
-- hash would add nothing), and looked up by hash equality, never compared in Java.
CREATE TABLE credentials (
    id                              text        PRIMARY KEY CHECK (id ~ '^cred_[0-9A-Za-z]{1,64}$'),
    agent_id                        text        REFERENCES agents (id),
    scope                           text        NOT NULL CHECK (scope IN ('agent', 'admin', 'audit')),
    label                           text        NOT NULL DEFAULT '' CHECK (char_length(label) <= 200),
    secret_sha256                   bytea       NOT NULL UNIQUE CHECK (octet_length(secret_sha256) = 32),
    revoked_at                      timestamptz,
    per_transaction_limit_micros    bigint      CHECK (per_transaction_limit_micros > 0),
    daily_limit_micros              bigint      CHECK (daily_limit_micros > 0),
    merchant_allowlist              text[],
    approval_threshold_micros       bigint      CHECK (approval_threshold_micros > 0),
    max_authorizations_per_minute   integer     CHECK (max_authorizations_per_minute BETWEEN 1 AND 100000),
    expires_at                      timestamptz,
    created_at                      timestamptz NOT NULL,
    version                         bigint      NOT NULL DEFAULT 0,
    -- An agent credential belongs to exactly one agent and carries its caps; admin and audit
    -- credentials belong to nobody and carry none.
    CHECK ((scope = 'agent') = (agent_id IS NOT NULL)),
    CHECK (scope <> 'agent' OR (per_transaction_limit_micros IS NOT NULL AND daily_limit_micros IS NOT NULL))
);
CREATE INDEX credentials_agent ON credentials (agent_id);

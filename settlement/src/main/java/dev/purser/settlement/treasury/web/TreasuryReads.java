package dev.purser.settlement.treasury.web;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** The indexer's progress, for the treasury view. */
@Component
class TreasuryReads {

    private final JdbcClient jdbc;

    TreasuryReads(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    Long indexedBlock(long chainId) {
        return jdbc.sql("SELECT next_block - 1 FROM indexer_cursor WHERE chain_id = :c")
                .param("c", chainId).query(Long.class).optional().orElse(null);
    }
}

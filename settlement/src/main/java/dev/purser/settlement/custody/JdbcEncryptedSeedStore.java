package dev.purser.settlement.custody;

import dev.purser.wallet.keys.EncryptedSeedStore;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;

/** The encrypted wallet seed in PostgreSQL: one row, written once, the first writer wins. */
final class JdbcEncryptedSeedStore implements EncryptedSeedStore {

    private final JdbcClient jdbc;

    JdbcEncryptedSeedStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    @Override
    public Optional<byte[]> load() {
        return jdbc.sql("SELECT envelope FROM wallet_seed WHERE id = 1").query(byte[].class).optional();
    }

    @Override
    public byte[] saveIfAbsent(byte[] envelope) {
        jdbc.sql("INSERT INTO wallet_seed (id, envelope) VALUES (1, :envelope) ON CONFLICT (id) DO NOTHING")
                .param("envelope", envelope)
                .update();
        return load().orElseThrow(() -> new IllegalStateException("the wallet seed row vanished after insert"));
    }
}

package dev.purser.settlement.idempotency;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/** Forgets idempotency keys after 48 hours (API.md promises at least 24), in bounded batches. */
@Component
class IdempotencyKeyPruner {

    static final Duration KEEP = Duration.ofHours(48);
    static final int BATCH_MAX = 10_000;

    private final JdbcClient jdbc;
    private final Clock clock;

    IdempotencyKeyPruner(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    @Scheduled(fixedDelayString = "PT10M", initialDelayString = "PT1M")
    void prune() {
        jdbc.sql("""
                DELETE FROM idempotency_keys WHERE ctid IN (
                    SELECT ctid FROM idempotency_keys WHERE created_at < :cutoff LIMIT :limit)
                """)
                .param("cutoff", Timestamp.from(clock.instant().minus(KEEP)))
                .param("limit", BATCH_MAX)
                .update();
    }
}

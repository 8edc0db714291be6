package dev.purser.settlement.ledger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/** Releases holds whose expires_at has passed, in bounded batches, every second. */
@Component
class ExpirySweeper {

    private static final Logger log = LoggerFactory.getLogger(ExpirySweeper.class);
    static final int BATCH_MAX = 200;
    static final int BATCHES_PER_RUN_MAX = 50;

    private final AuthorizationService authorizations;

    ExpirySweeper(AuthorizationService authorizations) {
        this.authorizations = authorizations;
    }

    @Scheduled(fixedDelayString = "${purser.ledger.expiry-sweep-ms:1000}")
    void sweep() {
        try {
            for (int i = 0; i < BATCHES_PER_RUN_MAX; i++) {
                if (authorizations.expireDue(BATCH_MAX) < BATCH_MAX) {
                    return;
                }
            }
        } catch (RuntimeException e) {
            // The next run retries; a database hiccup must not stop the scheduler.
            log.warn("Expiry sweep failed: {}", e.getMessage());
        }
    }
}

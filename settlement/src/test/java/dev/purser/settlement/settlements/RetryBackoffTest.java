package dev.purser.settlement.settlements;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A settlement retried again and again waits longer each time, never more than ten minutes. */
class RetryBackoffTest {

    @Test
    void firstRetryAtOnceThenDoublingUpToTheCap() {
        assertThat(Settler.retryBackoff(0)).isZero();
        assertThat(Settler.retryBackoff(1)).isZero();
        assertThat(Settler.retryBackoff(2)).isEqualTo(Duration.ofSeconds(2));
        assertThat(Settler.retryBackoff(3)).isEqualTo(Duration.ofSeconds(4));
        assertThat(Settler.retryBackoff(10)).isEqualTo(Duration.ofSeconds(512));
        assertThat(Settler.retryBackoff(11)).isEqualTo(Settler.RETRY_BACKOFF_MAX);
        assertThat(Settler.retryBackoff(Integer.MAX_VALUE)).isEqualTo(Settler.RETRY_BACKOFF_MAX);
    }
}

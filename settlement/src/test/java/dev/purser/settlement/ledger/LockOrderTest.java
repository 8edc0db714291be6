package dev.purser.settlement.ledger;

import static dev.purser.settlement.ledger.Concurrently.outcomes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Settles and voids racing pre-authorizations of the same credential must never fail: every
 * ledger transaction has to take its row locks in one order, or PostgreSQL breaks the resulting
 * deadlocks by aborting one side, which the client sees as a 500.
 */
class LockOrderTest extends PurserTestBase {

    private static final int HOLDS = 20;
    private static final int THREADS = 16;

    @Test
    void settlesAndVoidsRacingPreAuthorizationsOfTheSameCredentialNeverFail() {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"1\",\"daily_limit\":\"1000\"", 1_000_000_000L);
        String body = "{\"amount\":\"1\",\"merchant\":\"" + MERCHANT + "\"}";
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < HOLDS; i++) {
            Api.Response r = api().post("/v1/authorizations", agent.secret(), body);
            assertThat(r.status()).as(r.toString()).isEqualTo(201);
            ids.add(r.string("$.data.id"));
        }

        // Even requests pre-authorize; odd ones settle (or void) one of the existing holds.
        List<Api.Response> responses = Concurrently.run(2 * HOLDS, THREADS, i -> {
            if (i % 2 == 0) {
                return api().post("/v1/authorizations", agent.secret(), body);
            }
            String id = ids.get(i / 2);
            return i % 4 == 1
                    ? api().post("/v1/authorizations/" + id + "/settle", agent.secret(), "{\"amount\":\"0.5\"}")
                    : api().post("/v1/authorizations/" + id + "/void", agent.secret(), null);
        });

        Map<String, Long> outcomes = outcomes(responses);
        assertThat(outcomes.keySet()).as("outcomes %s", outcomes).allMatch(o -> !o.startsWith("5"));
        assertThat(outcomes).containsEntry("201 authorized", (long) HOLDS)
                .containsEntry("200 settled", (long) HOLDS / 2)
                .containsEntry("200 voided", (long) HOLDS / 2);
    }
}

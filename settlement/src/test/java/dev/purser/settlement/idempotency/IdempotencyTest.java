package dev.purser.settlement.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Idempotency-Key contract of API.md over HTTP: the same request replays its first answer and
 * moves no money again; a different request under a used key is refused; keys belong to one
 * credential; concurrent duplicates never run twice.
 */
class IdempotencyTest extends PurserTestBase {

    private static final String CAPS = "\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"";
    private static final String REPLAYED = "Idempotent-Replayed";

    private static String spend(String amount) {
        return "{\"amount\":\"" + amount + "\",\"merchant\":\"" + MERCHANT + "\"}";
    }

    private static String key() {
        return "test-" + UUID.randomUUID();
    }

    private long authorizationsOf(String agentId) {
        return jdbc.sql("SELECT count(*) FROM authorizations WHERE agent_id = :id").param("id", agentId)
                .query(Long.class).single();
    }

    private String held(Funded agent) {
        return api().get("/v1/me", agent.secret()).string("$.data.today.held");
    }

    @Test
    void replaysFirstResponseForSameIdempotencyKeyWithoutASecondHold() {
        Funded agent = fundedAgent(CAPS, 10_000_000);
        String key = key();
        Api.Response first = api().postWithKey("/v1/authorizations", agent.secret(), spend("2.5"), key);
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        assertThat(first.header(REPLAYED)).isNull();
        assertThat(held(agent)).isEqualTo("2.5");

        for (int i = 0; i < 3; i++) {
            Api.Response again = api().postWithKey("/v1/authorizations", agent.secret(), spend("2.5"), key);
            assertThat(again.status()).isEqualTo(201);
            assertThat(again.body()).isEqualTo(first.body());
            assertThat(again.header(REPLAYED)).isEqualTo("true");
            assertThat(again.header("Content-Type")).startsWith("application/json");
            assertThat(again.header("X-Request-Id")).isNotBlank();
        }
        assertThat(held(agent)).isEqualTo("2.5");
        assertThat(authorizationsOf(agent.agentId())).isEqualTo(1);
        long audited = jdbc.sql("SELECT count(*) FROM audit_events WHERE type = 'authorization.authorized' AND agent_id = :id")
                .param("id", agent.agentId()).query(Long.class).single();
        assertThat(audited).isEqualTo(1);
    }

    @Test
    void replaysTheFirstAnswerEvenWhenTheStateHasChangedSince() {
        Funded agent = fundedAgent(CAPS, 10_000_000);
        String key = key();
        Api.Response first = api().postWithKey("/v1/authorizations", agent.secret(), spend("1"), key);
        String id = first.string("$.data.id");
        assertThat(api().post("/v1/authorizations/" + id + "/void", agent.secret(), null).status()).isEqualTo(200);

        Api.Response again = api().postWithKey("/v1/authorizations", agent.secret(), spend("1"), key);
        assertThat(again.status()).isEqualTo(201);
        assertThat(again.body()).isEqualTo(first.body());
        assertThat(again.string("$.data.status")).isEqualTo("authorized");
        assertThat(authorizationsOf(agent.agentId())).isEqualTo(1);
        assertThat(held(agent)).isEqualTo("0");
    }

    @Test
    void refusesTheSameKeyWithADifferentBody() {
        Funded agent = fundedAgent(CAPS, 10_000_000);
        String key = key();
        Api.Response first = api().postWithKey("/v1/authorizations", agent.secret(), spend("1"), key);
        assertThat(first.status()).as(first.toString()).isEqualTo(201);

        for (String other : List.of(spend("2"),
                "{\"amount\":\"1\",\"merchant\":\"" + MERCHANT + "\",\"purpose\":\"another thing\"}")) {
            Api.Response r = api().postWithKey("/v1/authorizations", agent.secret(), other, key);
            assertThat(r.status()).as(r.toString()).isEqualTo(422);
            assertThat(r.string("$.error.code")).isEqualTo("idempotency_key_reused");
            assertThat(r.header(REPLAYED)).isNull();
        }
        assertThat(authorizationsOf(agent.agentId())).isEqualTo(1);
        assertThat(held(agent)).isEqualTo("1");
        // The first request itself still replays.
        assertThat(api().postWithKey("/v1/authorizations", agent.secret(), spend("1"), key).body()).isEqualTo(first.body());
    }

    @Test
    void refusesTheSameKeyOnADifferentPath() {
        Funded agent = fundedAgent(CAPS, 10_000_000);
        String key = key();
        Api.Response first = api().postWithKey("/v1/authorizations", agent.secret(), spend("1"), key);
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        String id = first.string("$.data.id");

        Api.Response voided = api().postWithKey("/v1/authorizations/" + id + "/void", agent.secret(), null, key);
        assertThat(voided.status()).as(voided.toString()).isEqualTo(422);
        assertThat(voided.string("$.error.code")).isEqualTo("idempotency_key_reused");
        Api.Response settled = api().postWithKey("/v1/authorizations/" + id + "/settle", agent.secret(), spend("1"), key);
        assertThat(settled.status()).as(settled.toString()).isEqualTo(422);
        assertThat(settled.string("$.error.code")).isEqualTo("idempotency_key_reused");

        assertThat(api().get("/v1/authorizations/" + id, agent.secret()).string("$.data.status")).isEqualTo("authorized");
        assertThat(held(agent)).isEqualTo("1");
    }

    @Test
    void scopesKeysToTheCredential() {
        Funded agent = fundedAgent(CAPS, 10_000_000);
        String sibling = issueCredential(agent.agentId(), CAPS);
        Funded stranger = fundedAgent(CAPS, 10_000_000);
        String key = key();

        Api.Response first = api().postWithKey("/v1/authorizations", agent.secret(), spend("1"), key);
        Api.Response second = api().postWithKey("/v1/authorizations", sibling, spend("1"), key);
        Api.Response third = api().postWithKey("/v1/authorizations", stranger.secret(), spend("2"), key);
        for (Api.Response r : List.of(first, second, third)) {
            assertThat(r.status()).as(r.toString()).isEqualTo(201);
            assertThat(r.header(REPLAYED)).isNull();
        }
        assertThat(List.of(first.string("$.data.id"), second.string("$.data.id"), third.string("$.data.id")))
                .doesNotHaveDuplicates();
        assertThat(second.string("$.data.credential_id")).isNotEqualTo(first.string("$.data.credential_id"));
        assertThat(authorizationsOf(agent.agentId())).isEqualTo(2);
        assertThat(authorizationsOf(stranger.agentId())).isEqualTo(1);
        assertThat(api().get("/v1/me", agent.secret()).string("$.data.agent.balance.held")).isEqualTo("2");

        // Each credential then replays its own first answer.
        assertThat(api().postWithKey("/v1/authorizations", sibling, spend("1"), key).body()).isEqualTo(second.body());
        assertThat(api().postWithKey("/v1/authorizations", stranger.secret(), spend("2"), key).body()).isEqualTo(third.body());
    }

    @Test
    void replaysASettleWithoutSettlingTwice() {
        Funded agent = fundedAgent(CAPS, 10_000_000);
        String id = api().post("/v1/authorizations", agent.secret(), spend("3")).string("$.data.id");
        String key = key();

        Api.Response first = api().postWithKey("/v1/authorizations/" + id + "/settle", agent.secret(), "{\"amount\":\"2\"}", key);
        assertThat(first.status()).as(first.toString()).isEqualTo(200);
        assertThat(first.string("$.data.status")).isEqualTo("settled");
        Api.Response again = api().postWithKey("/v1/authorizations/" + id + "/settle", agent.secret(), "{\"amount\":\"2\"}", key);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.body()).isEqualTo(first.body());
        assertThat(again.header(REPLAYED)).isEqualTo("true");

        // Without the key, the same settle is a new request and is refused: it was settled once.
        Api.Response fresh = api().post("/v1/authorizations/" + id + "/settle", agent.secret(), "{\"amount\":\"2\"}");
        assertThat(fresh.status()).isEqualTo(409);
        assertThat(fresh.string("$.error.code")).isEqualTo("authorization_not_settleable");

        long items = jdbc.sql("SELECT count(*) FROM settlement_items WHERE authorization_id = :id").param("id", id)
                .query(Long.class).single();
        assertThat(items).isEqualTo(1);
        long settledEvents = jdbc.sql("SELECT count(*) FROM audit_events WHERE type = 'authorization.settled' AND subject = :id")
                .param("id", id).query(Long.class).single();
        assertThat(settledEvents).isEqualTo(1);
        Api.Response me = api().get("/v1/me", agent.secret());
        assertThat(me.string("$.data.today.spent")).isEqualTo("2");
        assertThat(me.string("$.data.today.held")).isEqualTo("0");
    }

    @Test
    void refusesAKeyThatIsNotOneTo255PrintableAsciiCharacters() {
        Funded agent = fundedAgent(CAPS, 10_000_000);
        Api.Response tooLong = api().postWithKey("/v1/authorizations", agent.secret(), spend("1"), "k".repeat(256));
        assertThat(tooLong.status()).as(tooLong.toString()).isEqualTo(400);
        assertThat(tooLong.string("$.error.details.field")).isEqualTo("Idempotency-Key");
        assertThat(authorizationsOf(agent.agentId())).isZero();

        Api.Response longest = api().postWithKey("/v1/authorizations", agent.secret(), spend("1"), "k".repeat(255));
        assertThat(longest.status()).as(longest.toString()).isEqualTo(201);
    }

    @Test
    void concurrentDuplicatesRunOnceAndAreAnsweredWithTheFirstOrInUse() throws Exception {
        Funded agent = fundedAgent(CAPS, 10_000_000);
        String key = key();
        int requests = 20;
        CountDownLatch ready = new CountDownLatch(requests);
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(requests);
        List<Future<Api.Response>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < requests; i++) {
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    start.await();
                    return api().postWithKey("/v1/authorizations", agent.secret(), spend("1.5"), key);
                }));
            }
            assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
            start.countDown();
            List<Api.Response> responses = new ArrayList<>();
            for (Future<Api.Response> f : futures) {
                responses.add(f.get(60, TimeUnit.SECONDS));
            }

            assertThat(authorizationsOf(agent.agentId())).isEqualTo(1);
            String id = jdbc.sql("SELECT id FROM authorizations WHERE agent_id = :id").param("id", agent.agentId())
                    .query(String.class).single();
            List<Api.Response> created = responses.stream().filter(r -> r.status() == 201).toList();
            assertThat(created).isNotEmpty();
            assertThat(created.stream().filter(r -> r.header(REPLAYED) == null)).hasSize(1);
            for (Api.Response r : responses) {
                assertThat(r.status()).as(r.toString()).isIn(201, 409);
                if (r.status() == 201) {
                    assertThat(r.string("$.data.id")).isEqualTo(id);
                    assertThat(r.body()).isEqualTo(created.getFirst().body());
                } else {
                    assertThat(r.string("$.error.code")).isEqualTo("idempotency_key_in_use");
                }
            }
            assertThat(held(agent)).isEqualTo("1.5");
            assertThat(api().get("/v1/me", agent.secret()).string("$.data.agent.balance.available")).isEqualTo("8.5");
        } finally {
            pool.shutdownNow();
        }
    }
}

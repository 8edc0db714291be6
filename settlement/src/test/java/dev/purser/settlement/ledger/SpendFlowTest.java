package dev.purser.settlement.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The whole life of holds as an agent and an operator see it over HTTP. */
class SpendFlowTest extends PurserTestBase {

    @Test
    void authorizeThenSettlePartiallyReleasesTheRemainderAndQueuesTheSettlement() {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", 100_000_000);

        Api.Response me = api().get("/v1/me", agent.secret());
        assertThat(me.status()).as(me.toString()).isEqualTo(200);
        assertThat(me.string("$.data.agent.balance.onchain")).isEqualTo("100");
        assertThat(me.string("$.data.today.remaining")).isEqualTo("50");

        Api.Response auth = api().post("/v1/authorizations", agent.secret(),
                "{\"amount\":\"2.5\",\"merchant\":\"" + MERCHANT + "\",\"purpose\":\"inference\",\"metadata\":{\"job\":\"42\"}}");
        assertThat(auth.status()).as(auth.toString()).isEqualTo(201);
        assertThat(auth.string("$.data.status")).isEqualTo("authorized");
        assertThat(auth.string("$.data.amount")).isEqualTo("2.5");
        assertThat(auth.string("$.data.merchant")).isEqualTo(MERCHANT);
        assertThat(auth.string("$.data.id")).startsWith("auth_");
        assertThat(auth.header("X-Request-Id")).isNotBlank();
        String id = auth.string("$.data.id");

        me = api().get("/v1/me", agent.secret());
        assertThat(me.string("$.data.today.held")).isEqualTo("2.5");
        assertThat(me.string("$.data.today.remaining")).isEqualTo("47.5");
        assertThat(me.string("$.data.agent.balance.available")).isEqualTo("97.5");

        Api.Response settled = api().post("/v1/authorizations/" + id + "/settle", agent.secret(), "{\"amount\":\"2.1\"}");
        assertThat(settled.status()).as(settled.toString()).isEqualTo(200);
        assertThat(settled.string("$.data.status")).isEqualTo("settled");
        assertThat(settled.string("$.data.settled_amount")).isEqualTo("2.1");
        assertThat(settled.string("$.data.settlement.id")).startsWith("stl_");
        assertThat(settled.string("$.data.settlement.status")).isEqualTo("queued");

        me = api().get("/v1/me", agent.secret());
        assertThat(me.string("$.data.today.held")).isEqualTo("0");
        assertThat(me.string("$.data.today.spent")).isEqualTo("2.1");
        assertThat(me.string("$.data.today.remaining")).isEqualTo("47.9");
        assertThat(me.string("$.data.agent.balance.pending_settlement")).isEqualTo("2.1");
        assertThat(me.string("$.data.agent.balance.available")).isEqualTo("97.9");

        long queued = jdbc.sql("SELECT count(*) FROM settlements s JOIN settlement_items i ON i.settlement_id = s.id"
                        + " WHERE i.authorization_id = :id AND s.status = 'queued' AND s.amount_micros = 2100000")
                .param("id", id).query(Long.class).single();
        assertThat(queued).isEqualTo(1);

        Api.Response again = api().post("/v1/authorizations/" + id + "/settle", agent.secret(), "{}");
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.string("$.error.code")).isEqualTo("authorization_not_settleable");
        assertThat(again.string("$.error.details.status")).isEqualTo("settled");
    }

    @Test
    void settleAboveTheAuthorizedAmountIsRefusedAndChangesNothing() {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", 10_000_000);
        String id = api().post("/v1/authorizations", agent.secret(),
                "{\"amount\":\"1\",\"merchant\":\"" + MERCHANT + "\"}").string("$.data.id");
        Api.Response r = api().post("/v1/authorizations/" + id + "/settle", agent.secret(), "{\"amount\":\"1.000001\"}");
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.string("$.error.code")).isEqualTo("amount_exceeds_authorization");
        assertThat(api().get("/v1/authorizations/" + id, agent.secret()).string("$.data.status")).isEqualTo("authorized");
    }

    @Test
    void voidReleasesTheWholeHold() {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", 10_000_000);
        String id = api().post("/v1/authorizations", agent.secret(),
                "{\"amount\":\"3\",\"merchant\":\"" + MERCHANT + "\"}").string("$.data.id");
        Api.Response voided = api().post("/v1/authorizations/" + id + "/void", agent.secret(), null);
        assertThat(voided.status()).as(voided.toString()).isEqualTo(200);
        assertThat(voided.string("$.data.status")).isEqualTo("voided");
        assertThat(voided.string("$.data.voided_at")).isNotNull();
        Api.Response me = api().get("/v1/me", agent.secret());
        assertThat(me.string("$.data.today.held")).isEqualTo("0");
        assertThat(me.string("$.data.today.remaining")).isEqualTo("50");
        assertThat(me.string("$.data.agent.balance.available")).isEqualTo("10");
        Api.Response settle = api().post("/v1/authorizations/" + id + "/settle", agent.secret(), "{}");
        assertThat(settle.status()).isEqualTo(409);
        assertThat(settle.string("$.error.details.status")).isEqualTo("voided");
    }

    @Test
    void holdsExpireAtTheirTimeAndTheSweeperReleasesThem() {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", 10_000_000);
        String id = api().post("/v1/authorizations", agent.secret(),
                "{\"amount\":\"4\",\"merchant\":\"" + MERCHANT + "\",\"expires_in\":60}").string("$.data.id");
        clock.advance(Duration.ofSeconds(61));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> "expired".equals(api().get("/v1/authorizations/" + id, agent.secret()).string("$.data.status")));
        Api.Response me = api().get("/v1/me", agent.secret());
        assertThat(me.string("$.data.today.held")).isEqualTo("0");
        assertThat(me.string("$.data.agent.balance.available")).isEqualTo("10");
        Api.Response settle = api().post("/v1/authorizations/" + id + "/settle", agent.secret(), "{}");
        assertThat(settle.status()).isEqualTo(409);
        assertThat(settle.string("$.error.details.status")).isEqualTo("expired");
    }

    @Test
    void aSpendAboveTheApprovalThresholdWaitsForAnOperatorAndCountsMeanwhile() {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"100\",\"daily_limit\":\"100\",\"approval_threshold\":\"5\"",
                100_000_000);
        Api.Response big = api().post("/v1/authorizations", agent.secret(), "{\"amount\":\"60\",\"merchant\":\"" + MERCHANT + "\"}");
        assertThat(big.status()).isEqualTo(201);
        assertThat(big.string("$.data.status")).isEqualTo("pending_approval");
        String bigId = big.string("$.data.id");

        Api.Response settleEarly = api().post("/v1/authorizations/" + bigId + "/settle", agent.secret(), "{}");
        assertThat(settleEarly.status()).isEqualTo(409);
        assertThat(settleEarly.string("$.error.details.status")).isEqualTo("pending_approval");

        // The pending hold already counts: 60 held, so 41 more would pass the daily limit of 100.
        Api.Response over = api().post("/v1/authorizations", agent.secret(), "{\"amount\":\"41\",\"merchant\":\"" + MERCHANT + "\"}");
        assertThat(over.status()).isEqualTo(402);
        assertThat(over.string("$.error.code")).isEqualTo("daily_limit_exceeded");

        Api.Response approvals = api().get("/v1/approvals", ADMIN);
        assertThat(approvals.<java.util.List<String>>json("$.data.items[*].id")).contains(bigId);

        Api.Response approved = api().post("/v1/authorizations/" + bigId + "/approve", ADMIN, null);
        assertThat(approved.status()).as(approved.toString()).isEqualTo(200);
        assertThat(approved.string("$.data.status")).isEqualTo("authorized");
        assertThat(api().post("/v1/authorizations/" + bigId + "/settle", agent.secret(), "{}").status()).isEqualTo(200);

        String other = api().post("/v1/authorizations", agent.secret(), "{\"amount\":\"6\",\"merchant\":\"" + MERCHANT + "\"}")
                .string("$.data.id");
        Api.Response declined = api().post("/v1/authorizations/" + other + "/decline", ADMIN, "{\"reason\":\"not this week\"}");
        assertThat(declined.status()).isEqualTo(200);
        assertThat(declined.string("$.data.status")).isEqualTo("declined");
        assertThat(declined.string("$.data.decline_code")).isEqualTo("declined_by_operator");
        assertThat(api().get("/v1/me", agent.secret()).string("$.data.today.held")).isEqualTo("0");
    }
}

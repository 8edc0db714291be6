package dev.purser.settlement.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Every decline code of {@code POST /v1/authorizations}: a 402 with the code and the details of
 * API.md, no money held, an {@code authorization.declined} audit row, and the same answer again
 * for a retry with the same Idempotency-Key.
 */
class DeclineCodesTest extends PurserTestBase {

    /** A valid EIP-55 address that no test credential allows. */
    private static final String OTHER_MERCHANT = "0xFFcf8FDEE72ac11b5c542428B35EEF5769C409f0";

    private static String caps(String perTransaction, String daily) {
        return "\"per_transaction_limit\":\"" + perTransaction + "\",\"daily_limit\":\"" + daily + "\"";
    }

    private static String spend(String amount) {
        return spend(amount, MERCHANT);
    }

    private static String spend(String amount, String merchant) {
        return "{\"amount\":\"" + amount + "\",\"merchant\":\"" + merchant + "\"}";
    }

    private Api.Response authorize(Funded agent, String body) {
        return api().post("/v1/authorizations", agent.secret(), body);
    }

    private void assertAuthorized(Funded agent, String body) {
        Api.Response r = authorize(agent, body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.string("$.data.status")).isEqualTo("authorized");
    }

    private long authorizationsOf(String agentId) {
        return jdbc.sql("SELECT count(*) FROM authorizations WHERE agent_id = :id").param("id", agentId)
                .query(Long.class).single();
    }

    /** The decline audit rows of an agent with this code, as (actor credential id) per row. */
    private List<String> declineAuditActors(String agentId, String code) {
        return jdbc.sql("""
                SELECT actor_credential_id, data_json FROM audit_events
                WHERE type = 'authorization.declined' AND agent_id = :id ORDER BY seq
                """)
                .param("id", agentId)
                .query((rs, n) -> new String[] {rs.getString(1), rs.getString(2)})
                .list().stream()
                .filter(row -> code.equals(JsonPath.read(row[1], "$.code")))
                .map(row -> row[0])
                .toList();
    }

    /**
     * Sends {@code body} and checks everything a decline promises: 402 with {@code code}, nothing
     * held, no authorization row, one audit row, and a replay of the same answer for the same key
     * that records nothing more.
     */
    private Api.Response assertDeclined(Funded agent, String body, String code) {
        Api.Response meBefore = api().get("/v1/me", agent.secret());
        String credentialId = meBefore.string("$.data.credential.id");
        long authorizationsBefore = authorizationsOf(agent.agentId());
        int auditsBefore = declineAuditActors(agent.agentId(), code).size();
        String key = "decline-" + UUID.randomUUID();

        Api.Response r = api().postWithKey("/v1/authorizations", agent.secret(), body, key);
        assertThat(r.status()).as(r.toString()).isEqualTo(402);
        assertThat(r.<Boolean>json("$.ok")).isFalse();
        assertThat(r.string("$.error.code")).isEqualTo(code);
        assertThat(r.string("$.error.message")).isNotBlank();
        assertThat(r.header("Idempotent-Replayed")).isNull();

        Api.Response meAfter = api().get("/v1/me", agent.secret());
        assertThat(meAfter.string("$.data.today.held")).isEqualTo(meBefore.string("$.data.today.held"));
        assertThat(meAfter.string("$.data.today.remaining")).isEqualTo(meBefore.string("$.data.today.remaining"));
        assertThat(meAfter.string("$.data.agent.balance.held")).isEqualTo(meBefore.string("$.data.agent.balance.held"));
        assertThat(meAfter.string("$.data.agent.balance.available"))
                .isEqualTo(meBefore.string("$.data.agent.balance.available"));
        assertThat(authorizationsOf(agent.agentId())).isEqualTo(authorizationsBefore);

        List<String> audits = declineAuditActors(agent.agentId(), code);
        assertThat(audits).hasSize(auditsBefore + 1);
        assertThat(audits.getLast()).isEqualTo(credentialId);

        Api.Response replay = api().postWithKey("/v1/authorizations", agent.secret(), body, key);
        assertThat(replay.status()).isEqualTo(402);
        assertThat(replay.body()).isEqualTo(r.body());
        assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(declineAuditActors(agent.agentId(), code)).hasSize(auditsBefore + 1);
        assertThat(authorizationsOf(agent.agentId())).isEqualTo(authorizationsBefore);
        return r;
    }

    @Test
    void declinesAboveThePerTransactionLimitAndNamesTheLimit() {
        Funded agent = fundedAgent(caps("10", "50"), 100_000_000);

        Api.Response r = assertDeclined(agent, spend("10.000001"), "per_transaction_limit_exceeded");
        assertThat(r.string("$.error.details.per_transaction_limit")).isEqualTo("10");

        assertAuthorized(agent, spend("10"));
    }

    @Test
    void declinesWhenDailyLimitWouldBeExceededAndSaysWhatRemains() {
        Funded agent = fundedAgent(caps("10", "5"), 100_000_000);
        assertAuthorized(agent, spend("4.5"));

        Api.Response r = assertDeclined(agent, spend("1"), "daily_limit_exceeded");
        assertThat(r.string("$.error.details.daily_limit")).isEqualTo("5");
        assertThat(r.string("$.error.details.remaining")).isEqualTo("0.5");

        assertAuthorized(agent, spend("0.5"));
        Api.Response full = assertDeclined(agent, spend("0.000001"), "daily_limit_exceeded");
        assertThat(full.string("$.error.details.remaining")).isEqualTo("0");
    }

    @Test
    void declinesWhenTheWalletCannotCoverTheSpendAndSaysWhatIsAvailable() {
        Funded agent = fundedAgent(caps("10", "50"), 3_000_000);
        assertAuthorized(agent, spend("1"));

        Api.Response r = assertDeclined(agent, spend("2.5"), "insufficient_funds");
        assertThat(r.string("$.error.details.available")).isEqualTo("2");

        // The daily budget the declined attempt touched was given back: all of it is still there.
        assertThat(api().get("/v1/me", agent.secret()).string("$.data.today.remaining")).isEqualTo("49");
        assertAuthorized(agent, spend("2"));
    }

    @Test
    void declinesAMerchantOffTheAllowlistAndAcceptsAnyCaseOfAnAllowedOne() {
        Funded agent = fundedAgent(caps("10", "50") + ",\"merchant_allowlist\":[\"" + MERCHANT.toLowerCase(Locale.ROOT) + "\"]",
                100_000_000);
        Api.Response me = api().get("/v1/me", agent.secret());
        assertThat(me.<List<String>>json("$.data.credential.merchant_allowlist")).containsExactly(MERCHANT);

        Api.Response r = assertDeclined(agent, spend("1", OTHER_MERCHANT), "merchant_not_allowed");
        assertThat(r.string("$.error.details.merchant")).isEqualTo(OTHER_MERCHANT);

        assertAuthorized(agent, spend("1", MERCHANT));
        Api.Response lower = authorize(agent, spend("1", MERCHANT.toLowerCase(Locale.ROOT)));
        assertThat(lower.status()).as(lower.toString()).isEqualTo(201);
        assertThat(lower.string("$.data.merchant")).isEqualTo(MERCHANT);
        Api.Response upper = authorize(agent, spend("1", "0x" + MERCHANT.substring(2).toUpperCase(Locale.ROOT)));
        assertThat(upper.status()).as(upper.toString()).isEqualTo(201);

        // An allowlist written in EIP-55 form also admits the all-lowercase spelling of its merchant.
        String otherSecret = issueCredential(agent.agentId(), caps("10", "50") + ",\"merchant_allowlist\":[\"" + MERCHANT + "\"]");
        Api.Response viaLower = api().post("/v1/authorizations", otherSecret, spend("1", MERCHANT.toLowerCase(Locale.ROOT)));
        assertThat(viaLower.status()).as(viaLower.toString()).isEqualTo(201);
    }

    @Test
    void declinesTheFourthAuthorizationInAMinuteAndAllowsAgainAfterTheWindow() {
        Funded agent = fundedAgent(caps("10", "50") + ",\"max_authorizations_per_minute\":3", 100_000_000);
        for (int i = 0; i < 3; i++) {
            assertAuthorized(agent, spend("1"));
        }
        String body = spend("1");
        String key = "velocity-" + UUID.randomUUID();
        Api.Response r = assertDeclined(agent, body, "velocity_limit_exceeded");
        assertThat(r.<Integer>json("$.error.details.max_authorizations_per_minute")).isEqualTo(3);
        Api.Response firstAnswer = api().postWithKey("/v1/authorizations", agent.secret(), body, key);
        assertThat(firstAnswer.status()).isEqualTo(402);

        clock.advance(Duration.ofSeconds(61));

        assertAuthorized(agent, spend("1"));
        // A retry of the declined request is still answered with its first answer, not re-run.
        Api.Response retried = api().postWithKey("/v1/authorizations", agent.secret(), body, key);
        assertThat(retried.status()).isEqualTo(402);
        assertThat(retried.body()).isEqualTo(firstAnswer.body());
        assertThat(retried.header("Idempotent-Replayed")).isEqualTo("true");
    }

    @Test
    void declinesAFrozenAgentButLetsItsEarlierHoldSettleAndAllowsAgainAfterUnfreeze() {
        Funded agent = fundedAgent(caps("10", "50"), 100_000_000);
        Api.Response hold = authorize(agent, spend("2"));
        assertThat(hold.status()).as(hold.toString()).isEqualTo(201);
        String holdId = hold.string("$.data.id");

        Api.Response frozen = api().post("/v1/agents/" + agent.agentId() + "/freeze", ADMIN, "{\"reason\":\"odd spending\"}");
        assertThat(frozen.status()).as(frozen.toString()).isEqualTo(200);
        assertThat(frozen.string("$.data.status")).isEqualTo("frozen");
        assertThat(frozen.string("$.data.frozen_reason")).isEqualTo("odd spending");

        Api.Response r = assertDeclined(agent, spend("1"), "agent_frozen");
        assertThat(r.string("$.error.details.reason")).isEqualTo("odd spending");

        Api.Response settled = api().post("/v1/authorizations/" + holdId + "/settle", agent.secret(), "{}");
        assertThat(settled.status()).as(settled.toString()).isEqualTo(200);
        assertThat(settled.string("$.data.status")).isEqualTo("settled");
        assertThat(settled.string("$.data.settled_amount")).isEqualTo("2");

        Api.Response unfrozen = api().post("/v1/agents/" + agent.agentId() + "/unfreeze", ADMIN, null);
        assertThat(unfrozen.status()).as(unfrozen.toString()).isEqualTo(200);
        assertThat(unfrozen.string("$.data.status")).isEqualTo("active");
        assertThat(unfrozen.<Object>json("$.data.frozen_reason")).isNull();

        assertAuthorized(agent, spend("1"));
    }
}

package dev.purser.settlement.settlements;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.purser.settlement.custody.Custody;
import dev.purser.settlement.support.PurserTestBase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;
import org.web3j.crypto.Keys;

/**
 * When the token says a settlement's nonce is spent but no log of the spend lies in the window
 * the settler searches (here: only the batch's own block), the settlement is not declared
 * canceled: it is retried with the same nonce and signature, and every round is logged as a
 * warning with its id and attempt count, so a settlement going round is seen. The context is
 * closed after the class: its settler would otherwise keep resubmitting on the shared chain.
 */
@TestPropertySource(properties = "purser.settlement.nonce-lookback-blocks=0")
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
@ExtendWith(OutputCaptureExtension.class)
class UnprovenNonceSpendSettlementTest extends PurserTestBase {

    private static final long AMOUNT_MICROS = 3_000_000;

    @Autowired
    Custody custody;

    @Test
    void aSpendNoLogProvesIsRetriedWithTheSameSignatureAndWarnedAboutEachRound(CapturedOutput output) throws Exception {
        String token = tokenAddress();
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", 10_000_000);
        String merchant = Keys.toChecksumAddress(Keys.getAddress(Keys.createEcKeyPair()));
        String authorizationId = api().post("/v1/authorizations", agent.secret(),
                "{\"amount\":\"3\",\"merchant\":\"" + merchant + "\"}").string("$.data.id");
        String nonce = AgentNonceCancels.nonceOf(token, agent.wallet(), merchant, authorizationId, AMOUNT_MICROS);
        long walletIndex = jdbc.sql("SELECT wallet_index FROM agents WHERE id = :id").param("id", agent.agentId())
                .query(Long.class).single();
        AgentNonceCancels.cancel(chain(), token, custody.agentSigner(walletIndex), nonce);
        chain().mine(); // the cancel's block is below every batch's, outside a zero-block lookback

        String settlementId = api().post("/v1/authorizations/" + authorizationId + "/settle", agent.secret(), "{}")
                .string("$.data.settlement.id");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> attempts(settlementId) >= 1);
        byte[] firstSignature = signature(settlementId);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> attempts(settlementId) >= 3);

        Map<String, Object> row = jdbc.sql("SELECT status, nonce, signature, tx_hash FROM settlements WHERE id = :id")
                .param("id", settlementId).query().singleRow();
        assertThat(row.get("status")).as("never declared failed without a log of the cancel").isIn("queued", "submitted");
        assertThat(row.get("nonce")).isEqualTo(nonce);
        assertThat((byte[]) row.get("signature")).as("retried with the same signature").isEqualTo(firstSignature);
        assertThat(row.get("tx_hash")).isNull();
        List<String> requeues = jdbc.sql("""
                SELECT data_json FROM audit_events WHERE subject = :s AND type = 'settlement.requeued' ORDER BY seq
                """).param("s", settlementId).query(String.class).list();
        assertThat(requeues).hasSizeGreaterThanOrEqualTo(2)
                .allSatisfy(reason -> assertThat(reason).contains("neither AuthorizationUsed nor AuthorizationCanceled"));
        assertThat(output.getOut())
                .contains("Settlement " + settlementId + " requeued after attempt 1 (next in 0 s): the token says the nonce is used or canceled")
                .contains("Settlement " + settlementId + " requeued after attempt 2 (next in 2 s): ");
        // Each refused submission costs gas: from the second on, they back off.
        List<java.sql.Timestamp> submitted = jdbc.sql("""
                SELECT at FROM audit_events WHERE subject = :s AND type = 'settlement.submitted' ORDER BY seq
                """).param("s", settlementId).query(java.sql.Timestamp.class).list();
        assertThat(Duration.between(submitted.get(1).toInstant(), submitted.get(2).toInstant()))
                .isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    }

    private int attempts(String settlementId) {
        return jdbc.sql("SELECT attempts FROM settlements WHERE id = :id").param("id", settlementId).query(Integer.class).single();
    }

    private byte[] signature(String settlementId) {
        return jdbc.sql("SELECT signature FROM settlements WHERE id = :id").param("id", settlementId).query(byte[].class).single();
    }
}

package dev.purser.settlement.treasury;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.purser.contracts.TestUSDC;
import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Keys;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.DefaultGasProvider;

/** Operators fund agents from the treasury and withdraw from them, on-chain, exactly once. */
class TreasuryTest extends PurserTestBase {

    private long balance(String address) throws Exception {
        return TestUSDC.load(tokenAddress(), chain().web3j(),
                        new ReadonlyTransactionManager(chain().web3j(), chain().account(0).getAddress()), new DefaultGasProvider())
                .balanceOf(address).send().longValueExact();
    }

    private void awaitConfirmed(String settlementId) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).until(() -> {
            String status = api().get("/v1/settlements/" + settlementId, ADMIN).string("$.data.status");
            return status.equals("confirmed") || status.equals("finalized");
        });
    }

    @Test
    void fundingMovesTreasuryUsdcToTheAgentOnceEvenWhenRetried() throws Exception {
        tokenAddress();
        Agent agent = createAgent("funded");
        String secret = issueCredential(agent.id(), "\"per_transaction_limit\":\"10\",\"daily_limit\":\"100\"");
        String key = UUID.randomUUID().toString();
        Api.Response funded = api().postWithKey("/v1/agents/" + agent.id() + "/fund", ADMIN, "{\"amount\":\"25\"}", key);
        assertThat(funded.status()).as(funded.toString()).isEqualTo(201);
        assertThat(funded.string("$.data.transfer.kind")).isEqualTo("funding");
        assertThat(funded.string("$.data.transfer.to")).isEqualTo(agent.wallet());
        String transferId = funded.string("$.data.transfer.id");

        Api.Response replay = api().postWithKey("/v1/agents/" + agent.id() + "/fund", ADMIN, "{\"amount\":\"25\"}", key);
        assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(replay.string("$.data.transfer.id")).isEqualTo(transferId);

        awaitConfirmed(transferId);
        assertThat(balance(agent.wallet())).isEqualTo(25_000_000);
        assertThat(api().get("/v1/me", secret).string("$.data.agent.balance.available")).isEqualTo("25");
        Api.Response pay = api().post("/v1/authorizations", secret, "{\"amount\":\"5\",\"merchant\":\"" + MERCHANT + "\"}");
        assertThat(pay.status()).as("funded money can be spent").isEqualTo(201);
    }

    @Test
    void withdrawalIsRefusedBeyondWhatHoldsLeaveAndOtherwisePaysTheDestinationOnce() throws Exception {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"100\"", 25_000_000);
        assertThat(api().post("/v1/authorizations", agent.secret(), "{\"amount\":\"10\",\"merchant\":\"" + MERCHANT + "\"}")
                .status()).isEqualTo(201);

        Api.Response tooMuch = api().post("/v1/agents/" + agent.agentId() + "/withdraw", ADMIN, "{\"amount\":\"20\"}");
        assertThat(tooMuch.status()).as(tooMuch.toString()).isEqualTo(409);
        assertThat(tooMuch.string("$.error.code")).isEqualTo("insufficient_available");
        assertThat(tooMuch.string("$.error.details.available")).isEqualTo("15");

        String destination = Keys.toChecksumAddress(Keys.getAddress(Keys.createEcKeyPair()));
        Api.Response ok = api().post("/v1/agents/" + agent.agentId() + "/withdraw", ADMIN,
                "{\"amount\":\"15\",\"to\":\"" + destination + "\"}");
        assertThat(ok.status()).as(ok.toString()).isEqualTo(201);
        assertThat(ok.string("$.data.transfer.kind")).isEqualTo("withdrawal");
        // The reserved withdrawal counts at once: nothing is left for a new hold.
        Api.Response hold = api().post("/v1/authorizations", agent.secret(), "{\"amount\":\"1\",\"merchant\":\"" + MERCHANT + "\"}");
        assertThat(hold.string("$.error.code")).isEqualTo("insufficient_funds");

        awaitConfirmed(ok.string("$.data.transfer.id"));
        assertThat(balance(destination)).isEqualTo(15_000_000);
        assertThat(balance(agent.wallet())).isEqualTo(10_000_000);
        // The outflow is ours (its nonce is a Purser withdrawal), so the agent stays active.
        Thread.sleep(3000);
        assertThat(api().get("/v1/agents/" + agent.agentId(), ADMIN).string("$.data.status")).isEqualTo("active");
    }

    @Test
    void treasuryShowsItsBalancesAndTheChain() {
        tokenAddress();
        Api.Response t = api().get("/v1/treasury", ADMIN);
        assertThat(t.status()).as(t.toString()).isEqualTo(200);
        assertThat(t.string("$.data.address")).matches("0x[0-9a-fA-F]{40}");
        assertThat(t.string("$.data.usdc_balance")).isNotNull();
        assertThat(t.string("$.data.relayer.eth_balance")).isNotNull();
        assertThat(t.<Integer>json("$.data.chain.chain_id")).isEqualTo(1337);
        assertThat(t.string("$.data.chain.token")).isEqualTo(tokenAddress());
        assertThat(t.<Integer>json("$.data.chain.head_block")).isPositive();
    }

    @Test
    void onlyOperatorsMoveTreasuryMoney() {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"100\"", 0);
        assertThat(api().post("/v1/agents/" + agent.agentId() + "/fund", agent.secret(), "{\"amount\":\"1\"}").status()).isEqualTo(403);
        assertThat(api().post("/v1/agents/" + agent.agentId() + "/withdraw", agent.secret(), "{\"amount\":\"1\"}").status()).isEqualTo(403);
        assertThat(api().get("/v1/treasury", agent.secret()).status()).isEqualTo(403);
    }
}

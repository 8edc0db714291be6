package dev.purser.settlement.ledger;

import static dev.purser.settlement.ledger.Concurrently.expect;
import static dev.purser.settlement.ledger.Concurrently.outcomes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.purser.contracts.testing.DeployedContracts;
import dev.purser.contracts.testing.GanacheNode;
import dev.purser.settlement.PurserApplication;
import dev.purser.settlement.custody.Custody;
import dev.purser.settlement.storage.EmbeddedPostgresServer;
import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.Http;
import dev.purser.settlement.support.PurserTestBase;
import dev.purser.settlement.support.TestChain;
import dev.purser.settlement.support.TestDataDirs;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.web3j.protocol.core.DefaultBlockParameterName;

/**
 * DESIGN.md "Scaling out": service instances are stateless and share one PostgreSQL, and the
 * caps hold across them. Two Purser applications run in this JVM against one PostgreSQL and one
 * pair of contracts; 500 pre-authorizations split between them race for a daily limit of 50.
 */
class TwoInstancesTest {

    /** A fixed 32-byte master key (bytes 0..31): both instances must open the same wallet seed. */
    private static final String MASTER_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    private static final String ADMIN = PurserTestBase.ADMIN;
    private static final String MERCHANT = "0x1dF62f291b2E969fB0849d99D9Ce41e2F137006e";
    private static final long ONE_USDC = 1_000_000;

    private static EmbeddedPostgresServer postgres;
    private static DeployedContracts contracts;
    private static ConfigurableApplicationContext first;
    private static ConfigurableApplicationContext second;
    private static Api a;
    private static Api b;

    @BeforeAll
    static void startTwoInstancesOverOnePostgres() {
        postgres = EmbeddedPostgresServer.start(TestDataDirs.create("two-instances-pg"));
        GanacheNode chain = TestChain.shared();
        contracts = DeployedContracts.deploy(chain);
        // One after the other: the first creates the schema and the wallet seed, the second must
        // find and use both. Each waits until its local chain set-up (relayer ETH, treasury mint
        // by Ganache's account 0) is done, so that no two senders race for account 0's nonce.
        first = start("a");
        a = new Api(port(first));
        awaitChainSetUp(first);
        second = start("b");
        b = new Api(port(second));
        awaitChainSetUp(second);
    }

    @AfterAll
    static void stopEverything() {
        if (second != null) {
            second.close();
        }
        if (first != null) {
            first.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    private static ConfigurableApplicationContext start(String name) {
        // Command-line arguments, not default properties: application.yml maps every purser.*
        // property from the environment and would override defaults.
        return new SpringApplicationBuilder(PurserApplication.class).run(
                "--server.port=0",
                "--spring.application.name=purser-" + name,
                "--purser.profile=local",
                "--purser.data-dir=" + TestDataDirs.create("two-instances-" + name),
                "--purser.db.url=" + postgres.jdbcUrl(),
                "--purser.db.user=" + postgres.user(),
                "--purser.db.password=",
                "--purser.master-key=" + MASTER_KEY,
                "--purser.bootstrap-admin-secret=" + ADMIN,
                "--purser.chain.rpc-url=" + TestChain.shared().rpcUrl(),
                "--purser.chain.token-address=" + contracts.token().getContractAddress(),
                "--purser.chain.batch-settler-address=" + contracts.batchSettler().getContractAddress(),
                "--purser.ledger.expiry-sweep-ms=200");
    }

    private static int port(ConfigurableApplicationContext context) {
        return ((WebServerApplicationContext) context).getWebServer().getPort();
    }

    /** Waits until the instance's local chain set-up has given the relayer ETH and the treasury TestUSDC. */
    private static void awaitChainSetUp(ConfigurableApplicationContext context) {
        Custody custody = context.getBean(Custody.class);
        String treasury = custody.treasury().address();
        String relayer = custody.relayer().address();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).until(() ->
                contracts.balanceOf(treasury) > 0
                        && TestChain.shared().web3j().ethGetBalance(relayer, DefaultBlockParameterName.LATEST).send()
                                .getBalance().signum() > 0);
    }

    @Test
    void bothInstancesAnswerHealthyOverTheSameContracts() {
        for (Api api : List.of(a, b)) {
            String health = Http.get(api.baseUrl() + "/actuator/health").body();
            assertThat((String) com.jayway.jsonpath.JsonPath.read(health, "$.status")).as(health).isEqualTo("UP");
            assertThat(((String) com.jayway.jsonpath.JsonPath.read(health, "$.components.chain.details.token")).toLowerCase())
                    .isEqualTo(contracts.token().getContractAddress().toLowerCase());
        }
        Custody custodyA = first.getBean(Custody.class);
        Custody custodyB = second.getBean(Custody.class);
        assertThat(custodyB.treasury().address()).isEqualTo(custodyA.treasury().address());
        assertThat(custodyB.relayer().address()).isEqualTo(custodyA.relayer().address());
        assertThat(custodyB.agentAddress(7)).isEqualTo(custodyA.agentAddress(7));
    }

    @Test
    void fiveHundredHoldsSplitAcrossTwoInstancesStopExactlyAtTheDailyLimit() {
        Api.Response created = a.post("/v1/agents", ADMIN, "{\"name\":\"two-instances\"}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String agentId = created.string("$.data.id");
        String wallet = created.string("$.data.wallet_address");
        // The other instance derives the same wallet: one seed in the shared database, one master key.
        Api.Response seenByB = b.get("/v1/agents/" + agentId, ADMIN);
        assertThat(seenByB.status()).as(seenByB.toString()).isEqualTo(200);
        assertThat(seenByB.string("$.data.wallet_address")).isEqualTo(wallet);

        contracts.mint(wallet, 1000 * ONE_USDC);
        assertThat(contracts.balanceOf(wallet)).isEqualTo(1000 * ONE_USDC);
        Api.Response issued = b.post("/v1/agents/" + agentId + "/credentials", ADMIN,
                "{\"per_transaction_limit\":\"1\",\"daily_limit\":\"50\"}");
        assertThat(issued.status()).as(issued.toString()).isEqualTo(201);
        String secret = issued.string("$.data.secret");
        String credentialId = issued.string("$.data.id");
        // Whichever instance indexes the chain credits the deposit; both then show it.
        for (Api api : List.of(a, b)) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> "1000".equals(api.get("/v1/me", secret).string("$.data.agent.balance.onchain")));
        }

        String body = "{\"amount\":\"1\",\"merchant\":\"" + MERCHANT + "\"}";
        // 16 clients per instance: fewer than each instance's connection pool (see CapsConcurrencyTest).
        List<Api.Response> responses = Concurrently.run(500, 32,
                i -> (i % 2 == 0 ? a : b).post("/v1/authorizations", secret, body));

        assertThat(outcomes(responses)).containsExactlyInAnyOrderEntriesOf(
                expect("201 authorized", 50, "402 daily_limit_exceeded", 450));
        long authorizedViaA = 0;
        long authorizedViaB = 0;
        for (int i = 0; i < responses.size(); i++) {
            if (responses.get(i).status() == 201) {
                if (i % 2 == 0) {
                    authorizedViaA++;
                } else {
                    authorizedViaB++;
                }
            }
        }
        System.out.printf("TwoInstancesTest: authorized via instance a %d, via instance b %d%n", authorizedViaA, authorizedViaB);
        assertThat(authorizedViaA + authorizedViaB).isEqualTo(50);

        JdbcClient jdbc = first.getBean(JdbcClient.class);
        assertThat(jdbc.sql("SELECT held_micros FROM daily_spend WHERE credential_id = :id")
                .param("id", credentialId).query(Long.class).single()).isEqualTo(50 * ONE_USDC);
        assertThat(jdbc.sql("SELECT count(*) FROM authorizations WHERE credential_id = :id")
                .param("id", credentialId).query(Long.class).single()).isEqualTo(50);
        Map<String, Object> funds = jdbc.sql("SELECT onchain_micros, held_micros FROM agent_funds WHERE agent_id = :id")
                .param("id", agentId).query().singleRow();
        assertThat(((Number) funds.get("held_micros")).longValue()).isEqualTo(50 * ONE_USDC);
        assertThat(BigInteger.valueOf(((Number) funds.get("onchain_micros")).longValue()))
                .isEqualTo(BigInteger.valueOf(1000 * ONE_USDC));
        // Both instances read the same books.
        for (Api api : List.of(a, b)) {
            Api.Response me = api.get("/v1/me", secret);
            assertThat(me.string("$.data.today.held")).isEqualTo("50");
            assertThat(me.string("$.data.today.remaining")).isEqualTo("0");
        }
    }
}

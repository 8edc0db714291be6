package dev.purser.settlement.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.purser.contracts.TestUSDC;
import dev.purser.contracts.testing.GanacheNode;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.gas.StaticGasProvider;

/**
 * A real Purser over real HTTP for API tests: the local profile with an embedded PostgreSQL in a
 * fresh data directory, the shared Ganache with contracts the service deployed itself, a known
 * admin secret, and a clock the test can move. One service per test class (Spring caches it).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Import(PurserTestBase.TestClock.class)
public abstract class PurserTestBase {

    /** The admin secret every API test starts with (PURSER_BOOTSTRAP_ADMIN_SECRET). */
    public static final String ADMIN = "psr_admin_TestOnlyTestOnlyTestOnlyTestOnlyTestOnlyTestOnly";

    @DynamicPropertySource
    static void purserProperties(DynamicPropertyRegistry registry) {
        Path dataDir = TestDataDirs.create("api");
        registry.add("purser.profile", () -> "local");
        registry.add("purser.data-dir", dataDir::toString);
        registry.add("purser.chain.rpc-url", () -> privateRpcUrl != null ? privateRpcUrl
                : (privateChain != null ? privateChain : TestChain.shared()).rpcUrl());
        registry.add("purser.bootstrap-admin-secret", () -> ADMIN);
        registry.add("purser.master-key", () -> "");
        registry.add("purser.ledger.expiry-sweep-ms", () -> "200");
        // Balances come from the index: a fast tick keeps tests that fund wallets short.
        registry.add("purser.indexer.tick-ms", () -> "200");
    }

    /**
     * A test class that rewinds or stops its chain sets this in its static initializer (and clears
     * it after its tests), so that its own service runs on a private Ganache.
     */
    protected static volatile GanacheNode privateChain;

    /** Set with {@link #privateChain} when the service must reach that chain through something (a proxy). */
    protected static volatile String privateRpcUrl;

    /**
     * Starts a private Ganache behind a {@link RefusingRpcProxy} and points this class's service
     * at the proxy. Call it from a static initializer; the class still registers the proxy's URL
     * in its own {@code @DynamicPropertySource}, so that it gets its own service.
     */
    protected static RefusingRpcProxy privateChainBehindProxy() {
        GanacheNode chain = GanacheNode.start();
        RefusingRpcProxy proxy = RefusingRpcProxy.start(chain.rpcUrl());
        privateChain = chain;
        privateRpcUrl = proxy.url();
        return proxy;
    }

    /** Stops what {@link #privateChainBehindProxy()} started; call it from {@code @AfterAll}. */
    protected static void closePrivateChain(RefusingRpcProxy proxy) {
        GanacheNode chain = privateChain;
        privateChain = null;
        privateRpcUrl = null;
        proxy.close();
        chain.close();
    }

    @TestConfiguration
    public static class TestClock {
        @Bean
        @Primary
        MutableClock mutableClock() {
            return new MutableClock();
        }
    }

    @Value("${local.server.port}")
    protected int port;

    @Autowired
    protected JdbcClient jdbc;

    @Autowired
    protected MutableClock clock;

    private Api api;

    protected Api api() {
        if (api == null) {
            api = new Api(port);
        }
        return api;
    }

    /**
     * Waits until the service has its contracts and has finished funding its treasury (both done
     * in the background at start, from Ganache's account 0, which mintOnChain uses too).
     */
    protected String tokenAddress() {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> Http.get(api().baseUrl() + "/actuator/health").body().contains("batch_settler"));
        String token = com.jayway.jsonpath.JsonPath.read(Http.get(api().baseUrl() + "/actuator/health").body(),
                "$.components.chain.details.token");
        String treasury = api().get("/v1/treasury", ADMIN).string("$.data.address");
        // Read the chain's latest block, not the service: its balances lag by the confirmation depth.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
                TestUSDC.load(token, chain().web3j(), new org.web3j.tx.ReadonlyTransactionManager(chain().web3j(), treasury),
                        new org.web3j.tx.gas.DefaultGasProvider()).balanceOf(treasury).send().signum() > 0);
        String health = Http.get(api().baseUrl() + "/actuator/health").body();
        return com.jayway.jsonpath.JsonPath.read(health, "$.components.chain.details.token");
    }

    /** The chain this service runs on; tests that rewind the chain override it with a private one. */
    protected GanacheNode chain() {
        return privateChain != null ? privateChain : TestChain.shared();
    }

    /** Mints TestUSDC straight to an address on the chain, as a deposit from outside would. */
    protected void mintOnChain(String to, long micros) {
        GanacheNode chain = chain();
        try {
            TestUSDC token = TestUSDC.load(tokenAddress(), chain.web3j(),
                    new RawTransactionManager(chain.web3j(), chain.account(0), GanacheNode.CHAIN_ID),
                    new StaticGasProvider(BigInteger.valueOf(20_000_000_000L), BigInteger.valueOf(200_000)));
            token.mint(to, BigInteger.valueOf(micros)).send();
        } catch (Exception e) {
            throw new IllegalStateException("mint failed", e);
        }
    }

    /**
     * Mints to an agent's wallet and waits until the service's index has counted it (balances come
     * from indexed Transfers once they are confirmed: with one confirmation, at once).
     */
    protected void mintToAgent(String agentId, String wallet, long micros) {
        java.math.BigDecimal before = indexedBalance(agentId);
        mintOnChain(wallet, micros);
        java.math.BigDecimal expected = before.add(java.math.BigDecimal.valueOf(micros));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> indexedBalance(agentId).compareTo(expected) >= 0);
    }

    protected java.math.BigDecimal indexedBalance(String agentId) {
        return jdbc.sql("SELECT indexed_micros FROM agent_funds WHERE agent_id = :id").param("id", agentId)
                .query(java.math.BigDecimal.class).single();
    }

    /** Creates an agent and returns its id and wallet address. */
    protected Agent createAgent(String name) {
        Api.Response r = api().post("/v1/agents", ADMIN, "{\"name\":\"" + name + "\"}");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return new Agent(r.string("$.data.id"), r.string("$.data.wallet_address"));
    }

    public record Agent(String id, String wallet) {}

    /** Issues an agent credential with the given caps JSON (without braces) and returns its secret. */
    protected String issueCredential(String agentId, String capsJson) {
        Api.Response r = api().post("/v1/agents/" + agentId + "/credentials", ADMIN, "{" + capsJson + "}");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.string("$.data.secret");
    }

    /** An agent with a credential and {@code fundedMicros} USDC in its wallet. */
    protected Funded fundedAgent(String capsJson, long fundedMicros) {
        Agent agent = createAgent("agent-" + System.nanoTime());
        if (fundedMicros > 0) {
            mintToAgent(agent.id(), agent.wallet(), fundedMicros);
        }
        String secret = issueCredential(agent.id(), capsJson);
        return new Funded(agent.id(), agent.wallet(), secret);
    }

    public record Funded(String agentId, String wallet, String secret) {}

    /** A fixed merchant address for tests (Ganache's deterministic account 9). */
    protected static final String MERCHANT = "0x1dF62f291b2E969fB0849d99D9Ce41e2F137006e";
}

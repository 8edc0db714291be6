package dev.purser.settlement.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.purser.contracts.testing.DeployedContracts;
import dev.purser.contracts.testing.GanacheNode;
import dev.purser.settlement.storage.EmbeddedPostgresServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.web3j.crypto.Keys;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.Log;

/**
 * What the fault tests run a service against, all private to one test class: an embedded
 * PostgreSQL in a fresh data directory, a Ganache of its own (so that it may stop its miner or
 * rewind), TestUSDC and BatchSettler deployed there by account 0, and the on-chain checks of
 * money: token balances and the token's AuthorizationUsed(authorizer, nonce) logs.
 */
public final class SettlementRig implements AutoCloseable {

    /** A fixed 32-byte master key (bytes 0..31): every instance opens the same wallet seed. */
    public static final String MASTER_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    public static final String ADMIN = PurserTestBase.ADMIN;
    /** keccak256("AuthorizationUsed(address,bytes32)"). */

    private final Path dir;
    private final EmbeddedPostgresServer postgres;
    private final GanacheNode node;
    private final DeployedContracts contracts;

    private SettlementRig(Path dir, EmbeddedPostgresServer postgres, GanacheNode node, DeployedContracts contracts) {
        this.dir = dir;
        this.postgres = postgres;
        this.node = node;
        this.contracts = contracts;
    }

    public static SettlementRig start(String name) {
        Path dir = TestDataDirs.create(name);
        EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(dir.resolve("postgres"));
        GanacheNode node = null;
        try {
            node = GanacheNode.start();
            return new SettlementRig(dir, postgres, node, DeployedContracts.deploy(node));
        } catch (RuntimeException e) {
            if (node != null) {
                node.close();
            }
            postgres.close();
            throw e;
        }
    }

    public Path dir() {
        return dir;
    }

    public GanacheNode node() {
        return node;
    }

    public DeployedContracts contracts() {
        return contracts;
    }

    public EmbeddedPostgresServer postgres() {
        return postgres;
    }

    public String token() {
        return Keys.toChecksumAddress(contracts.token().getContractAddress());
    }

    public String batchSettler() {
        return Keys.toChecksumAddress(contracts.batchSettler().getContractAddress());
    }

    /** The purser.* properties of a service instance over this rig (reached at {@code rpcUrl}). */
    public Map<String, String> serviceProperties(String instance, String rpcUrl) {
        return ServiceProcess.baseProperties(dir.resolve("service-" + instance), postgres.jdbcUrl(), rpcUrl, token(),
                batchSettler(), MASTER_KEY, ADMIN);
    }

    public Connection db() throws SQLException {
        return DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(), "");
    }

    public long balance(String address) {
        return contracts.balanceOf(address);
    }

    /** Every AuthorizationUsed the token logged for {@code authorizer}, on the canonical chain. */
    public List<Log> authorizationUsed(String authorizer) {
        return TokenLogs.authorizationUsed(node.web3j(), token(), authorizer);
    }

    /** The nonce (topic 2) of each AuthorizationUsed log, lower-case hex. */
    public static List<String> nonces(List<Log> authorizationUsed) {
        return authorizationUsed.stream().map(l -> l.getTopics().get(2).toLowerCase()).toList();
    }

    public BigInteger ethBalance(String address) {
        try {
            return node.web3j().ethGetBalance(address, DefaultBlockParameterName.LATEST).send().getBalance();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits until a freshly started service has done its local chain set-up with account 0 (relayer
     * ETH, treasury TestUSDC), after which the test may send from account 0 without racing it for
     * the account's nonce.
     */
    public void awaitChainSetUp(Api api) {
        Api.Response treasury = waitFor(Duration.ofSeconds(60), () -> api.get("/v1/treasury", ADMIN), r -> r.status() == 200);
        String treasuryAddress = treasury.string("$.data.address");
        String relayer = treasury.string("$.data.relayer.address");
        awaitTrue(Duration.ofSeconds(60), () -> balance(treasuryAddress) > 0 && ethBalance(relayer).signum() > 0,
                "the service funds its relayer and treasury");
    }

    /** A fresh address that holds nothing: a merchant. */
    public static String freshAddress() {
        return Keys.toChecksumAddress(GanacheNode.newAccount().getAddress());
    }

    /** Creates an agent with a generous credential and {@code fundedMicros} TestUSDC minted to its wallet. */
    public Agent fundedAgent(Api api, String name, long fundedMicros) {
        Api.Response created = api.post("/v1/agents", ADMIN, "{\"name\":\"" + name + "\"}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.string("$.data.id");
        String wallet = created.string("$.data.wallet_address");
        Api.Response credential = api.post("/v1/agents/" + id + "/credentials", ADMIN,
                "{\"per_transaction_limit\":\"100\",\"daily_limit\":\"100000\"}");
        assertThat(credential.status()).as(credential.toString()).isEqualTo(201);
        contracts.mint(wallet, fundedMicros);
        String secret = credential.string("$.data.secret");
        // The service counts a deposit once it is as deep as its confirmations: wait until it does.
        String funded = SpendDriver.usdc(fundedMicros);
        waitFor(Duration.ofSeconds(60), () -> api.get("/v1/me", secret),
                r -> r.status() == 200 && funded.equals(r.string("$.data.agent.balance.available")));
        return new Agent(id, wallet, secret);
    }

    public record Agent(String id, String wallet, String secret) {}

    /** Polls {@code call} until {@code done} accepts its answer; fails after {@code timeout}. */
    public static <T> T waitFor(Duration timeout, java.util.function.Supplier<T> call, java.util.function.Predicate<T> done) {
        Instant deadline = Instant.now().plus(timeout);
        T last = null;
        RuntimeException lastError = null;
        while (Instant.now().isBefore(deadline)) {
            try {
                last = call.get();
                if (done.test(last)) {
                    return last;
                }
            } catch (RuntimeException e) {
                lastError = e;
            }
            sleep(Duration.ofMillis(200));
        }
        throw new AssertionError("gave up after " + timeout + "; last answer " + last, lastError);
    }

    public static void awaitTrue(Duration timeout, BooleanSupplier condition, String what) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (condition.getAsBoolean()) {
                return;
            }
            sleep(Duration.ofMillis(200));
        }
        throw new AssertionError("not within " + timeout + ": " + what);
    }

    public static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        try {
            node.close();
        } finally {
            postgres.close();
        }
    }
}

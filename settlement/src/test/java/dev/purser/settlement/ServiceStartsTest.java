package dev.purser.settlement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.jayway.jsonpath.JsonPath;
import dev.purser.contracts.TestUSDC;
import dev.purser.contracts.testing.GanacheNode;
import dev.purser.settlement.custody.Custody;
import dev.purser.settlement.support.Http;
import dev.purser.settlement.support.TestChain;
import dev.purser.settlement.support.TestDataDirs;
import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.DefaultGasProvider;
import org.web3j.utils.Convert;

/**
 * The local profile from nothing: an empty data directory and a bare Ganache become a healthy
 * service with an embedded PostgreSQL, migrated schema, deployed contracts, a funded relayer and
 * treasury, and a first admin credential.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ServiceStartsTest {

    static final Path DATA_DIR = TestDataDirs.create("service-starts");

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("purser.profile", () -> "local");
        registry.add("purser.data-dir", DATA_DIR::toString);
        registry.add("purser.chain.rpc-url", () -> TestChain.shared().rpcUrl());
        registry.add("purser.bootstrap-admin-secret", () -> "");
        registry.add("purser.master-key", () -> "");
    }

    @Value("${local.server.port}")
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    Custody custody;

    private String health() {
        HttpResponse<String> response = Http.get("http://127.0.0.1:" + port + "/actuator/health");
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    @Test
    void healthShowsDatabaseAndChainUpOnceTheContractsAreDeployed() throws Exception {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> health().contains("batch_settler"));
        String health = health();
        assertThat((String) JsonPath.read(health, "$.status")).isEqualTo("UP");
        assertThat((String) JsonPath.read(health, "$.components.db.status")).isEqualTo("UP");
        assertThat((String) JsonPath.read(health, "$.components.chain.status")).isEqualTo("UP");
        assertThat(((Number) JsonPath.read(health, "$.components.chain.details.chain_id")).longValue())
                .isEqualTo(GanacheNode.CHAIN_ID);

        GanacheNode chain = TestChain.shared();
        String token = JsonPath.read(health, "$.components.chain.details.token");
        String batchSettler = JsonPath.read(health, "$.components.chain.details.batch_settler");
        assertThat(chain.web3j().ethGetCode(batchSettler, DefaultBlockParameterName.LATEST).send().getCode())
                .hasSizeGreaterThan(2);
        TestUSDC usdc = TestUSDC.load(token, chain.web3j(),
                new ReadonlyTransactionManager(chain.web3j(), chain.account(0).getAddress()), new DefaultGasProvider());
        assertThat(usdc.name().send()).isEqualTo("USD Coin");
        assertThat(usdc.version().send()).isEqualTo("2");
        assertThat(usdc.decimals().send().intValue()).isEqualTo(6);

        String treasury = custody.treasury().address();
        String relayer = custody.relayer().address();
        assertThat(usdc.balanceOf(treasury).send()).isGreaterThanOrEqualTo(BigInteger.valueOf(1_000_000L * 1_000_000L));
        assertThat(chain.web3j().ethGetBalance(relayer, DefaultBlockParameterName.LATEST).send().getBalance())
                .isGreaterThanOrEqualTo(Convert.toWei("10", Convert.Unit.ETHER).toBigInteger());
        assertThat(Files.readString(DATA_DIR.resolve("local-chain-1337.properties")))
                .contains(token).contains(batchSettler);
    }

    @Test
    void firstStartCreatesOneAdminCredentialAndKeepsItsSecretOnlyInTheLocalDataDir() throws Exception {
        Path secretFile = DATA_DIR.resolve("admin-secret");
        assertThat(secretFile).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secretFile))).isEqualTo("rw-------");
        String secret = Files.readString(secretFile).trim();
        assertThat(secret).matches("psr_admin_[A-Za-z0-9_-]{43}");

        byte[] hash = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        assertThat(jdbc.sql("SELECT count(*) FROM credentials WHERE scope = 'admin' AND secret_sha256 = :h")
                .param("h", hash).query(Long.class).single()).isEqualTo(1);
        assertThat(jdbc.sql("SELECT count(*) FROM credentials WHERE scope = 'admin'").query(Long.class).single())
                .isEqualTo(1);
    }

    @Test
    void masterKeyIsGeneratedOwnerOnlyAndTheSeedIsStoredOnlyEncrypted() throws Exception {
        Path keyFile = DATA_DIR.resolve("master.key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
        byte[] envelope = jdbc.sql("SELECT envelope FROM wallet_seed WHERE id = 1").query(byte[].class).single();
        // A BIP-39 mnemonic is lowercase ASCII words; none of it may stand in the stored envelope.
        assertThat(new String(envelope, StandardCharsets.ISO_8859_1)).doesNotContainPattern("[a-z]{3,8} [a-z]{3,8} [a-z]{3,8}");
    }

}

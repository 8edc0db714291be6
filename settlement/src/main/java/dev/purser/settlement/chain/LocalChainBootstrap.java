package dev.purser.settlement.chain;

import dev.purser.contracts.BatchSettler;
import dev.purser.contracts.TestUSDC;
import dev.purser.settlement.config.PurserProperties;
import dev.purser.settlement.custody.Custody;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.TransactionManager;
import org.web3j.tx.Transfer;
import org.web3j.tx.gas.DefaultGasProvider;
import org.web3j.utils.Convert;

/**
 * The local profile's chain set-up, run in the background once the service is up so that a
 * chain that is not there yet never blocks the API: find the contracts remembered in the data
 * directory (if the chain still has their code) or deploy TestUSDC and BatchSettler with the
 * local funder key; then give the relayer ETH and mint TestUSDC to the treasury when they run low.
 */
@Component
class LocalChainBootstrap {

    private static final Logger log = LoggerFactory.getLogger(LocalChainBootstrap.class);
    static final String TOKEN_NAME = "USD Coin";
    static final String REMEMBERED_FILE_PREFIX = "local-chain-";
    private static final Duration RETRY_EVERY = Duration.ofSeconds(2);
    private static final Duration GIVE_UP_AFTER = Duration.ofMinutes(10);
    private static final BigInteger RELAYER_ETH_MIN = Convert.toWei("10", Convert.Unit.ETHER).toBigInteger();
    private static final BigDecimal RELAYER_ETH_TOP_UP = new BigDecimal("100");
    private static final BigInteger TREASURY_USDC_MIN_MICROS = BigInteger.valueOf(1_000_000L * 1_000_000L);
    private static final BigInteger TREASURY_USDC_MINT_MICROS = BigInteger.valueOf(10_000_000L * 1_000_000L);

    private final Web3j web3j;
    private final ChainSettings settings;
    private final ContractRegistry registry;
    private final Custody custody;
    private final PurserProperties properties;
    private final CountDownLatch done = new CountDownLatch(1);

    LocalChainBootstrap(Web3j web3j, ChainSettings settings, ContractRegistry registry, Custody custody,
            PurserProperties properties) {
        this.web3j = web3j;
        this.settings = settings;
        this.registry = registry;
        this.custody = custody;
        this.properties = properties;
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        if (!settings.profile().isLocal()) {
            done.countDown();
            return;
        }
        Thread.ofPlatform().name("local-chain-bootstrap").daemon().start(this::runUntilDone);
    }

    /** Waits until the local chain is set up; for tests and for nothing on a request path. */
    boolean awaitDone(Duration timeout) throws InterruptedException {
        return done.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private void runUntilDone() {
        Instant giveUp = Instant.now().plus(GIVE_UP_AFTER);
        String lastProblem = null;
        while (Instant.now().isBefore(giveUp)) {
            try {
                bootstrapOnce();
                done.countDown();
                return;
            } catch (Exception e) {
                String problem = e.getClass().getSimpleName() + ": " + e.getMessage();
                if (!problem.equals(lastProblem)) {
                    log.warn("Local chain at {} is not ready yet ({}); retrying every {}s",
                            settings.rpcUrl(), problem, RETRY_EVERY.toSeconds());
                    lastProblem = problem;
                }
            }
            try {
                Thread.sleep(RETRY_EVERY);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        log.error("Gave up setting up the local chain at {} after {}", settings.rpcUrl(), GIVE_UP_AFTER);
    }

    private void bootstrapOnce() throws Exception {
        long chainId = web3j.ethChainId().send().getChainId().longValueExact();
        if (chainId != settings.chainId()) {
            throw new IllegalStateException("the RPC serves chain " + chainId + ", not " + settings.chainId());
        }
        Credentials funder = Credentials.create(properties.chain().localFunderKey());
        TransactionManager tm = new RawTransactionManager(web3j, funder, chainId);
        ContractRegistry.Contracts contracts = registry.current()
                .or(this::rememberedAndStillDeployed)
                .orElseGet(() -> deploy(tm));
        registry.publish(contracts);
        fundRelayer(funder);
        mintToTreasury(tm, contracts.token());
        log.info("Local chain ready: chain {} token {} batch settler {} treasury {} relayer {}", chainId,
                contracts.token(), contracts.batchSettler(), custody.treasury().address(), custody.relayer().address());
    }

    private ContractRegistry.Contracts deploy(TransactionManager tm) {
        try {
            TestUSDC token = TestUSDC.deploy(web3j, tm, new DefaultGasProvider(), TOKEN_NAME).send();
            BatchSettler settler = BatchSettler.deploy(web3j, tm, new DefaultGasProvider()).send();
            ContractRegistry.Contracts deployed = new ContractRegistry.Contracts(
                    org.web3j.crypto.Keys.toChecksumAddress(token.getContractAddress()),
                    org.web3j.crypto.Keys.toChecksumAddress(settler.getContractAddress()));
            remember(deployed);
            log.info("Deployed TestUSDC at {} and BatchSettler at {}", deployed.token(), deployed.batchSettler());
            return deployed;
        } catch (Exception e) {
            throw new IllegalStateException("deploying the local contracts failed: " + e.getMessage(), e);
        }
    }

    private Optional<ContractRegistry.Contracts> rememberedAndStillDeployed() {
        Path file = rememberedFile();
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException e) {
            log.warn("Ignoring unreadable {}: {}", file, e.getMessage());
            return Optional.empty();
        }
        ContractRegistry.Contracts remembered =
                new ContractRegistry.Contracts(p.getProperty("token"), p.getProperty("batch_settler"));
        if (remembered.token() == null || remembered.batchSettler() == null
                || !hasCode(remembered.token()) || !hasCode(remembered.batchSettler())) {
            log.warn("The contracts remembered in {} are not on this chain (was the chain reset?); deploying anew", file);
            return Optional.empty();
        }
        log.info("Reusing TestUSDC at {} and BatchSettler at {} remembered in {}", remembered.token(),
                remembered.batchSettler(), file);
        return Optional.of(remembered);
    }

    private boolean hasCode(String address) {
        try {
            String code = web3j.ethGetCode(address, DefaultBlockParameterName.LATEST).send().getCode();
            return code != null && code.length() > 2;
        } catch (IOException e) {
            throw new IllegalStateException("eth_getCode failed: " + e.getMessage(), e);
        }
    }

    private void remember(ContractRegistry.Contracts contracts) throws IOException {
        Path file = rememberedFile();
        Files.createDirectories(file.getParent());
        Properties p = new Properties();
        p.setProperty("token", contracts.token());
        p.setProperty("batch_settler", contracts.batchSettler());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            p.store(out, "Contracts deployed by Purser's local profile on chain " + settings.chainId());
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private Path rememberedFile() {
        return properties.dataDir().toAbsolutePath().resolve(REMEMBERED_FILE_PREFIX + settings.chainId() + ".properties");
    }

    private void fundRelayer(Credentials funder) throws Exception {
        String relayer = custody.relayer().address();
        BigInteger balance = web3j.ethGetBalance(relayer, DefaultBlockParameterName.LATEST).send().getBalance();
        if (balance.compareTo(RELAYER_ETH_MIN) < 0) {
            Transfer.sendFunds(web3j, funder, relayer, RELAYER_ETH_TOP_UP, Convert.Unit.ETHER).send();
            log.info("Sent {} ETH to the relayer {}", RELAYER_ETH_TOP_UP, relayer);
        }
    }

    private void mintToTreasury(TransactionManager tm, String tokenAddress) throws Exception {
        TestUSDC token = TestUSDC.load(tokenAddress, web3j, tm, new DefaultGasProvider());
        String treasury = custody.treasury().address();
        BigInteger balance = token.balanceOf(treasury).send();
        if (balance.compareTo(TREASURY_USDC_MIN_MICROS) < 0) {
            token.mint(treasury, TREASURY_USDC_MINT_MICROS).send();
            log.info("Minted {} TestUSDC to the treasury {}", TREASURY_USDC_MINT_MICROS.divide(BigInteger.valueOf(1_000_000)),
                    treasury);
        }
    }
}

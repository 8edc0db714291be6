package dev.purser.settlement.bench;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.purser.contracts.BatchSettler;
import dev.purser.contracts.testing.DeployedContracts;
import dev.purser.contracts.testing.Eip3009TestSigning;
import dev.purser.contracts.testing.Eip3009TestSigning.Authorization;
import dev.purser.contracts.testing.Eip3009TestSigning.Domain;
import dev.purser.contracts.testing.GanacheNode;
import dev.purser.settlement.PurserApplication;
import dev.purser.settlement.custody.Custody;
import dev.purser.settlement.indexer.LogQueries;
import dev.purser.settlement.storage.EmbeddedPostgresServer;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import okhttp3.OkHttpClient;
import org.slf4j.LoggerFactory;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.web3j.abi.EventEncoder;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;
import org.web3j.utils.Numeric;

/**
 * Measures the chain indexer: how fast Purser's service, started in-process against an embedded
 * PostgreSQL and a private Ganache, indexes a block range holding N token Transfers into the
 * treasury (default 100,000), and how that compares with the bare {@code eth_getLogs} calls over
 * the same range in the same run. Run it with {@code scripts/bench-indexer.sh}; it is not a test.
 *
 * <p>Method. The service is started once to create its wallet seed (the treasury address comes
 * from its {@link Custody}) and let its local-chain set-up fund the relayer and the treasury, then
 * closed. The events are generated with the service down: {@code BatchSettler.settle} transactions
 * of 100 EIP-3009 items each, sent one at a time, every item paying the treasury, so that every
 * Transfer is one the indexer keeps (each item also emits AuthorizationUsed, which the indexer
 * fetches but does not keep because the payers are not Purser wallets, and ItemSettled, which it
 * keeps). Then the index tables are emptied and the service is started again on the same database
 * (same master key, so the same treasury) with {@code purser.indexer.start-block} at the first
 * generated block. The benchmark holds the indexer's advisory lock while the service starts, so
 * that start-up work does not count, and releases it: indexing time runs from the moment the
 * indexer takes the lock until its cursor has passed the last generated block (both observed by
 * polling PostgreSQL every few milliseconds). The benchmark then waits for the indexer's follow-up
 * work on those rows (statuses, outflow checks) and reports how long that took.
 *
 * <p>If the cursor stops moving for {@code --stall-timeout}, that indexing is reported as stalled
 * and, unless {@code --fallback-rpc-timeout=none}, the same range is indexed once more by a fresh
 * service whose {@code purser.chain.rpc-timeout} is the fallback value.
 *
 * <p>The bare baseline runs the indexer's own {@code eth_getLogs} calls ({@link LogQueries}) over the
 * same block range, no processing beyond web3j's JSON decoding: once before indexing, with the
 * ranges a fresh cursor walks (100 blocks, doubling up to 5,000), and once after, with exactly the
 * ranges the indexer completed (the ends it recorded in {@code indexed_blocks}). The ratio is taken
 * against the faster of the two passes. While indexing, the stack of the service's
 * {@code indexer} thread is sampled to show where the time goes.
 */
public final class IndexerBenchmark {

    private static final String INDEXER_LOCK = "purser.indexer." + GanacheNode.CHAIN_ID;
    private static final String INDEXER_LOGGER = "dev.purser.settlement.indexer.ChainIndexer";
    private static final String MASTER_KEY = Base64.getEncoder().encodeToString(
            "purser-indexer-benchmark-key-32b".getBytes(StandardCharsets.US_ASCII));
    private static final String ADMIN = "psr_admin_IndexerBenchmarkOnlyIndexerBenchmarkOnly0123";
    private static final int FRESH_CURSOR_RANGE = 100;
    private static final int RANGE_MAX = 5_000;
    private static final long VALUE_MICROS = 1;
    private static final byte[] TRANSFER_TYPEHASH = Hash.sha3(("TransferWithAuthorization(address from,address to,"
            + "uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)").getBytes(StandardCharsets.US_ASCII));
    private static final String ITEM_SETTLED_TOPIC = EventEncoder.encode(BatchSettler.ITEMSETTLED_EVENT);
    private static final Duration POLL = Duration.ofMillis(20);

    private final Options options;
    private final Resources resources;
    private GanacheNode node;
    private DeployedContracts contracts;
    private Web3j rpc;
    private String treasury;
    private long firstBlock;
    private long lastBlock;
    private boolean indexerLockHeld;

    private IndexerBenchmark(Options options, Resources resources) {
        this.options = options;
        this.resources = resources;
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        Resources resources = new Resources();
        // A signal ends the JVM without running finally blocks; the hook still stops what we started.
        Runtime.getRuntime().addShutdownHook(new Thread(resources::close, "stop-benchmark"));
        int status = 0;
        try {
            new IndexerBenchmark(options, resources).run();
        } catch (Exception e) {
            System.err.println("Benchmark failed: " + e);
            e.printStackTrace();
            status = 1;
        } finally {
            resources.close();
        }
        // Spring, OkHttp and zonky leave non-daemon threads behind; the figures are printed.
        System.exit(status);
    }

    private void run() throws Exception {
        say("Starting Ganache and deploying TestUSDC and BatchSettler");
        node = resources.ganache(GanacheNode.start());
        contracts = DeployedContracts.deploy(node);
        OkHttpClient patient = new OkHttpClient.Builder()
                .connectTimeout(Duration.ofSeconds(10))
                .readTimeout(Duration.ofMinutes(5))
                .callTimeout(Duration.ofMinutes(10))
                .build();
        rpc = resources.web3j(Web3j.build(new HttpService(node.rpcUrl(), patient)));

        Path dir = resources.tempDir(Files.createTempDirectory("purser-bench-indexer-"));
        EmbeddedPostgresServer postgres = resources.postgres(EmbeddedPostgresServer.start(dir.resolve("postgres")));
        Connection db = resources.connection(DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(), ""));

        // First start: the service creates its seed; read the treasury; let it fund itself.
        holdIndexerLock(db);
        say("Starting the service once to learn its treasury address");
        ConfigurableApplicationContext first = resources.context(startService(postgres, dir, 0, options.rpcTimeout()));
        Custody custody = first.getBean(Custody.class);
        treasury = custody.treasury().address();
        String relayer = custody.relayer().address();
        awaitUntil("the service's local chain set-up (treasury TestUSDC, relayer ETH)", Duration.ofMinutes(3), () ->
                contracts.balanceOf(treasury) > 0
                        && rpc.ethGetBalance(relayer, DefaultBlockParameterName.LATEST).send().getBalance().signum() > 0);
        resources.closeContext();
        say("Treasury " + treasury + "; service closed");

        Generation generation = generate();

        List<long[]> nominal = nominalRanges(firstBlock, lastBlock);
        say("Bare eth_getLogs pass 1 (ranges of a fresh cursor: " + describe(nominal) + ")");
        BarePass bareBefore = bare(nominal);

        List<Attempt> attempts = new ArrayList<>();
        attempts.add(attempt(1, options.rpcTimeout(), db, postgres, dir));
        if (!attempts.getLast().indexing().reachedHead() && options.fallbackRpcTimeout() != null) {
            say("The indexer did not reach the head; indexing the same range again with purser.chain.rpc-timeout="
                    + options.fallbackRpcTimeout());
            attempts.add(attempt(2, options.fallbackRpcTimeout(), db, postgres, dir));
        }
        Attempt measured = attempts.getLast();
        List<long[]> actual = measured.ranges().isEmpty() ? nominal : measured.ranges();
        say("Bare eth_getLogs pass 2 (the indexer's own ranges: " + describe(actual) + ")");
        BarePass bareAfter = bare(actual);

        print(generation, attempts, bareBefore, bareAfter, nominal, actual);
    }

    /** One indexing of the generated range by a freshly started service, from empty index tables. */
    private record Attempt(int number, Duration rpcTimeout, Indexing indexing, Counts counts, Followup followup,
            List<long[]> ranges, List<String> warnings, IndexerSampler sampler) {}

    private Attempt attempt(int number, Duration rpcTimeout, Connection db, EmbeddedPostgresServer postgres, Path dir)
            throws Exception {
        if (!indexerLockHeld) {
            holdIndexerLock(db);
        }
        try (Statement s = db.createStatement()) {
            s.executeUpdate("DELETE FROM chain_events");
            s.executeUpdate("DELETE FROM indexed_blocks");
            s.executeUpdate("DELETE FROM indexer_cursor");
        }
        say("Starting the service with purser.indexer.start-block=" + firstBlock + ", purser.chain.rpc-timeout="
                + (rpcTimeout == null ? "(default)" : rpcTimeout) + " (indexer held back)");
        resources.context(startService(postgres, dir, firstBlock, rpcTimeout));
        String capture = "indexer-benchmark-" + number;
        List<String> warnings = captureIndexerLog(capture);
        Thread.sleep(2_000); // let start-up and the local-chain check finish before the clock starts
        IndexerSampler sampler = new IndexerSampler("0. before the indexer took its lock");
        Indexing indexing;
        Counts counts;
        Followup followup = null;
        try {
            indexing = index(db, sampler);
            sampler.phase("2. follow-up, until every row is finalized and outflow-checked");
            counts = counts(db);
            if (indexing.reachedHead()) {
                followup = followup(db);
            }
        } finally {
            sampler.close();
        }
        resources.closeContext();
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(capture);
        return new Attempt(number, rpcTimeout, withRows(db, indexing), counts, followup, indexedRanges(db), warnings, sampler);
    }

    // ---------------------------------------------------------------- the service

    private ConfigurableApplicationContext startService(EmbeddedPostgresServer postgres, Path dir, long startBlock,
            Duration rpcTimeout) {
        List<String> args = new ArrayList<>(List.of(
                "--server.port=0",
                "--spring.application.name=purser-indexer-benchmark",
                "--purser.profile=local",
                "--purser.data-dir=" + dir.resolve("service"),
                "--purser.db.url=" + postgres.jdbcUrl(),
                "--purser.db.user=" + postgres.user(),
                "--purser.db.password=",
                "--purser.master-key=" + MASTER_KEY,
                "--purser.bootstrap-admin-secret=" + ADMIN,
                "--purser.chain.rpc-url=" + node.rpcUrl(),
                "--purser.chain.token-address=" + contracts.token().getContractAddress(),
                "--purser.chain.batch-settler-address=" + contracts.batchSettler().getContractAddress(),
                "--purser.indexer.start-block=" + startBlock,
                "--logging.level.root=WARN",
                "--logging.level.dev.purser=INFO"));
        if (rpcTimeout != null) {
            args.add("--purser.chain.rpc-timeout=" + rpcTimeout);
        }
        // Command-line arguments, not default properties: application.yml maps every purser.*
        // property from the environment and would override defaults.
        return new SpringApplicationBuilder(PurserApplication.class).run(args.toArray(String[]::new));
    }

    private void holdIndexerLock(Connection db) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement("SELECT pg_advisory_lock(hashtext(?))")) {
            ps.setString(1, INDEXER_LOCK);
            ps.execute();
        }
        indexerLockHeld = true;
    }

    /**
     * Records what the indexer logs: its own logger, and whatever its thread logs through the
     * classes it runs on (its tick loop logs a repeated problem once, so this is a lower bound).
     */
    private static List<String> captureIndexerLog(String name) {
        List<String> lines = new CopyOnWriteArrayList<>();
        AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
                if (e.getLoggerName().equals(INDEXER_LOGGER) || "indexer".equals(e.getThreadName())) {
                    lines.add(LocalTime.now().truncatedTo(ChronoUnit.MILLIS) + " " + e.getLevel() + " "
                            + e.getFormattedMessage());
                }
            }
        };
        ch.qos.logback.classic.Logger root =
                (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        appender.setName(name);
        appender.setContext(root.getLoggerContext());
        appender.start();
        root.addAppender(appender);
        return lines;
    }

    // ---------------------------------------------------------------- generating the events

    private record Generation(int transactions, int transfers, double seconds, long firstBlock, long lastBlock) {}

    private Generation generate() throws Exception {
        int items = options.itemsPerTransaction();
        int batches = options.transfers() / items;
        Domain domain = Domain.of(contracts);
        byte[] domainSeparator = Eip3009TestSigning.domainSeparator(domain);
        long validBefore = node.latestBlockTimestamp() + Duration.ofDays(30).toSeconds();

        List<Credentials> payers = new ArrayList<>();
        long perPayer = ((long) batches * items / options.payers() + items) * VALUE_MICROS;
        say("Minting TestUSDC to " + options.payers() + " payers");
        for (int i = 0; i < options.payers(); i++) {
            Credentials payer = GanacheNode.newAccount();
            contracts.mint(payer.getAddress(), perPayer);
            payers.add(payer);
        }
        // The fast digest below must be the EIP-712 digest the token checks.
        Authorization probe = new Authorization(payers.getFirst().getAddress(), treasury, BigInteger.ONE, BigInteger.ZERO,
                BigInteger.valueOf(validBefore), Eip3009TestSigning.randomNonce());
        if (!Arrays.equals(transferDigest(domainSeparator, probe), Eip3009TestSigning.transferDigest(domain, probe))) {
            throw new IllegalStateException("the benchmark's EIP-712 digest disagrees with Eip3009TestSigning");
        }

        firstBlock = rpc.ethBlockNumber().send().getBlockNumber().longValueExact() + 1;
        say(String.format(Locale.ROOT, "Generating %,d Transfers to the treasury: %,d BatchSettler.settle transactions of "
                + "%d items, signed by %d threads, sent one at a time", batches * items, batches, items, options.signers()));
        // Ganache is sent one transaction at a time: concurrent eth_sendRawTransaction calls in its
        // eager instamine mode were seen to hang (ganache#4165 and kin). Signing runs ahead in parallel.
        java.util.concurrent.BlockingQueue<List<BatchSettler.Item>> signed = new java.util.concurrent.ArrayBlockingQueue<>(16);
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Exception> failure = new AtomicReference<>();
        Instant started = Instant.now();
        Instant deadline = started.plus(options.generateTimeout());
        ExecutorService signers = Executors.newFixedThreadPool(options.signers(), r -> Thread.ofPlatform().daemon().unstarted(r));
        try {
            for (int t = 0; t < options.signers(); t++) {
                signers.submit(() -> {
                    for (int b = next.getAndIncrement(); b < batches && failure.get() == null; b = next.getAndIncrement()) {
                        List<BatchSettler.Item> batch = new ArrayList<>(items);
                        for (int i = 0; i < items; i++) {
                            Credentials payer = payers.get((b * items + i) % payers.size());
                            Authorization a = new Authorization(payer.getAddress(), treasury, BigInteger.valueOf(VALUE_MICROS),
                                    BigInteger.ZERO, BigInteger.valueOf(validBefore), Eip3009TestSigning.randomNonce());
                            Eip3009TestSigning.Signature sig = Eip3009TestSigning.sign(
                                    transferDigest(domainSeparator, a), payer.getEcKeyPair());
                            batch.add(new BatchSettler.Item(a.from(), a.to(), a.value(), a.validAfter(), a.validBefore(),
                                    a.nonce(), sig.v(), sig.r(), sig.s()));
                        }
                        try {
                            while (!signed.offer(batch, 1, TimeUnit.SECONDS)) {
                                if (failure.get() != null) {
                                    return;
                                }
                            }
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
            }
            Credentials sender = node.fundedAccount();
            RawTransactionManager tm = new RawTransactionManager(rpc, sender, GanacheNode.CHAIN_ID,
                    new PollingTransactionReceiptProcessor(rpc, 100, 3_000));
            BatchSettler settler = BatchSettler.load(contracts.batchSettler().getContractAddress(), rpc, tm,
                    DeployedContracts.GAS);
            for (int n = 1; n <= batches; n++) {
                List<BatchSettler.Item> batch = null;
                while (batch == null) {
                    if (Instant.now().isAfter(deadline)) {
                        throw new IllegalStateException("generation took longer than " + options.generateTimeout() + " ("
                                + (n - 1) + " of " + batches + " transactions); try fewer --transfers");
                    }
                    batch = signed.poll(1, TimeUnit.SECONDS);
                }
                TransactionReceipt receipt = settler.settle(contracts.token().getContractAddress(), batch).send();
                long settled = receipt.getLogs().stream()
                        .filter(l -> !l.getTopics().isEmpty() && ITEM_SETTLED_TOPIC.equals(l.getTopics().getFirst()))
                        .count();
                if (!receipt.isStatusOK() || settled != items) {
                    throw new IllegalStateException("transaction " + receipt.getTransactionHash() + " settled " + settled
                            + " of " + items + " items (status " + receipt.getStatus() + ")");
                }
                if (n % Math.max(1, batches / 20) == 0 || n == batches) {
                    double s = secondsSince(started);
                    say(String.format(Locale.ROOT, "  %,d / %,d transactions, %,d Transfers, %.0f s (%.0f Transfers/s)",
                            n, batches, (long) n * items, s, n * items / s));
                }
            }
        } catch (Exception e) {
            failure.compareAndSet(null, e);
            throw e;
        } finally {
            failure.compareAndSet(null, new IllegalStateException("done"));
            signers.shutdownNow();
        }
        double seconds = secondsSince(started);
        lastBlock = rpc.ethBlockNumber().send().getBlockNumber().longValueExact();
        say(String.format(Locale.ROOT, "Generated %,d Transfers in blocks %,d to %,d in %.0f s", batches * items,
                firstBlock, lastBlock, seconds));
        return new Generation(batches, batches * items, seconds, firstBlock, lastBlock);
    }

    /** The EIP-712 digest of TransferWithAuthorization, computed directly (it is the hot loop). */
    private static byte[] transferDigest(byte[] domainSeparator, Authorization a) {
        ByteBuffer struct = ByteBuffer.allocate(7 * 32);
        struct.put(TRANSFER_TYPEHASH);
        struct.put(Numeric.toBytesPadded(Numeric.toBigInt(a.from()), 32));
        struct.put(Numeric.toBytesPadded(Numeric.toBigInt(a.to()), 32));
        struct.put(Numeric.toBytesPadded(a.value(), 32));
        struct.put(Numeric.toBytesPadded(a.validAfter(), 32));
        struct.put(Numeric.toBytesPadded(a.validBefore(), 32));
        struct.put(a.nonce());
        ByteBuffer message = ByteBuffer.allocate(2 + 32 + 32);
        message.put((byte) 0x19).put((byte) 0x01).put(domainSeparator).put(Hash.sha3(struct.array()));
        return Hash.sha3(message.array());
    }

    // ---------------------------------------------------------------- indexing

    /** A change of the cursor seen by polling: when, where it points, with which range size. */
    private record CursorStep(double atSeconds, long nextBlock, int rangeSize, long rowsStored) {}

    /** How an indexing went: whether it reached the head (or why not), how long it took, the cursor as polled. */
    private record Indexing(boolean reachedHead, String stopped, double seconds, List<CursorStep> steps) {}

    private Indexing index(Connection db, IndexerSampler sampler) throws Exception {
        try (PreparedStatement ps = db.prepareStatement("SELECT pg_advisory_unlock(hashtext(?))")) {
            ps.setString(1, INDEXER_LOCK);
            ps.execute();
        }
        indexerLockHeld = false;
        Instant released = Instant.now();
        say("Released the indexer's lock; waiting for the indexer to take it");
        long lockTaken;
        try (PreparedStatement ps = db.prepareStatement("""
                SELECT count(*) FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() AND objsubid = 1
                  AND objid::bigint = (hashtext(?)::bigint & 4294967295)
                """)) {
            ps.setString(1, INDEXER_LOCK);
            Instant giveUp = released.plusSeconds(60);
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        lockTaken = System.nanoTime();
                        sampler.phase("1. indexing, until the cursor passed the last block");
                        break;
                    }
                }
                if (Instant.now().isAfter(giveUp)) {
                    throw new IllegalStateException("the indexer did not take its lock within 60 s");
                }
                Thread.sleep(2);
            }
        }
        say(String.format(Locale.ROOT, "Indexer started %.2f s after the release; indexing blocks %,d to %,d",
                secondsSince(released), firstBlock, lastBlock));
        List<CursorStep> steps = new ArrayList<>();
        long deadline = lockTaken + options.indexTimeout().toNanos();
        long lastReport = lockTaken;
        long lastMove = lockTaken;
        try (PreparedStatement ps = db.prepareStatement("SELECT next_block, range_size FROM indexer_cursor WHERE chain_id = ?")) {
            ps.setLong(1, GanacheNode.CHAIN_ID);
            while (true) {
                long now = System.nanoTime();
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        long nextBlock = rs.getLong(1);
                        int size = rs.getInt(2);
                        CursorStep last = steps.isEmpty() ? null : steps.getLast();
                        if (last == null || last.nextBlock() != nextBlock || last.rangeSize() != size) {
                            steps.add(new CursorStep((now - lockTaken) / 1e9, nextBlock, size, 0));
                            lastMove = now;
                        }
                        if (nextBlock > lastBlock) {
                            double seconds = (now - lockTaken) / 1e9;
                            say(String.format(Locale.ROOT, "Indexer reached block %,d after %.2f s", lastBlock, seconds));
                            return new Indexing(true, null, seconds, steps);
                        }
                    }
                }
                if (now > deadline) {
                    say("Indexer did not reach the head within " + options.indexTimeout());
                    return new Indexing(false, "not at the head after " + options.indexTimeout(), (now - lockTaken) / 1e9, steps);
                }
                if (now - lastMove > options.stallTimeout().toNanos()) {
                    CursorStep last = steps.isEmpty() ? null : steps.getLast();
                    String where = last == null ? "cursor never created" : String.format(Locale.ROOT,
                            "cursor stuck at block %,d with range %,d", last.nextBlock(), last.rangeSize());
                    say("Indexer stalled: " + where + " for " + options.stallTimeout());
                    return new Indexing(false, where + " for " + options.stallTimeout(), (now - lockTaken) / 1e9, steps);
                }
                if (now - lastReport > TimeUnit.SECONDS.toNanos(30)) {
                    lastReport = now;
                    CursorStep last = steps.isEmpty() ? null : steps.getLast();
                    say(String.format(Locale.ROOT, "  %.0f s: cursor %s", (now - lockTaken) / 1e9,
                            last == null ? "not created yet" : "at block " + last.nextBlock() + ", range " + last.rangeSize()));
                }
                Thread.sleep(POLL);
            }
        }
    }

    /** The cursor steps with the rows each one stored (counted now, before the tables are emptied again). */
    private Indexing withRows(Connection db, Indexing indexing) throws SQLException {
        List<CursorStep> steps = new ArrayList<>();
        long prevNext = firstBlock;
        for (CursorStep step : indexing.steps()) {
            long rows = step.nextBlock() > prevNext
                    ? scalar(db, "SELECT count(*) FROM chain_events WHERE block_number >= " + prevNext + " AND block_number < "
                            + step.nextBlock())
                    : 0;
            steps.add(new CursorStep(step.atSeconds(), step.nextBlock(), step.rangeSize(), rows));
            prevNext = Math.max(prevNext, step.nextBlock());
        }
        return new Indexing(indexing.reachedHead(), indexing.stopped(), indexing.seconds(), steps);
    }

    private record Counts(long transfers, long total, Map<String, Long> byEvent) {}

    private Counts counts(Connection db) throws SQLException {
        Map<String, Long> byEvent = new LinkedHashMap<>();
        long total = 0;
        try (PreparedStatement ps = db.prepareStatement("""
                SELECT event, count(*) FROM chain_events WHERE block_number BETWEEN ? AND ? GROUP BY event ORDER BY event
                """)) {
            ps.setLong(1, firstBlock);
            ps.setLong(2, lastBlock);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    byEvent.put(rs.getString(1), rs.getLong(2));
                    total += rs.getLong(2);
                }
            }
        }
        return new Counts(byEvent.getOrDefault("Transfer", 0L), total, byEvent);
    }

    /** What the indexer's later work on these rows costs: statuses advanced and every Transfer outflow-checked. */
    private record Followup(boolean drained, double seconds, long uncheckedLeft, Map<String, Long> statuses) {}

    private Followup followup(Connection db) throws Exception {
        say("Waiting for the indexer's follow-up work (statuses, outflow checks) on these rows");
        long started = System.nanoTime();
        long deadline = started + options.followupTimeout().toNanos();
        long lastReport = started;
        long unchecked;
        while (true) {
            unchecked = scalar(db, "SELECT count(*) FROM chain_events WHERE event = 'Transfer' AND NOT outflow_checked");
            long open = scalar(db, "SELECT count(*) FROM chain_events WHERE status = 'pending'");
            long now = System.nanoTime();
            if (unchecked == 0 && open == 0) {
                break;
            }
            if (now > deadline) {
                say("Follow-up not done within " + options.followupTimeout() + ": " + unchecked
                        + " Transfers not outflow-checked, " + open + " rows pending");
                break;
            }
            if (now - lastReport > TimeUnit.SECONDS.toNanos(30)) {
                lastReport = now;
                say(String.format(Locale.ROOT, "  %.0f s: %,d Transfers not outflow-checked yet, %,d rows pending",
                        (now - started) / 1e9, unchecked, open));
            }
            Thread.sleep(200);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        Map<String, Long> statuses = new LinkedHashMap<>();
        try (Statement s = db.createStatement();
                ResultSet rs = s.executeQuery("SELECT status, count(*) FROM chain_events GROUP BY status ORDER BY status")) {
            while (rs.next()) {
                statuses.put(rs.getString(1), rs.getLong(2));
            }
        }
        return new Followup(unchecked == 0, seconds, unchecked, statuses);
    }

    /** The ranges the indexer completed, from the range ends it keeps in indexed_blocks. */
    private List<long[]> indexedRanges(Connection db) throws SQLException {
        List<long[]> ranges = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement(
                "SELECT number FROM indexed_blocks WHERE chain_id = ? AND number >= ? ORDER BY number")) {
            ps.setLong(1, GanacheNode.CHAIN_ID);
            ps.setLong(2, firstBlock);
            long from = firstBlock;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long to = rs.getLong(1);
                    if (to > lastBlock) {
                        break;
                    }
                    ranges.add(new long[] {from, to});
                    from = to + 1;
                }
            }
        }
        return ranges;
    }

    /** The ranges a fresh cursor walks when nothing fails: 100 blocks, doubling up to 5,000. */
    private static List<long[]> nominalRanges(long first, long last) {
        List<long[]> ranges = new ArrayList<>();
        int size = FRESH_CURSOR_RANGE;
        for (long from = first; from <= last; ) {
            long to = Math.min(last, from + size - 1);
            ranges.add(new long[] {from, to});
            from = to + 1;
            size = Math.min(RANGE_MAX, size * 2);
        }
        return ranges;
    }

    // ---------------------------------------------------------------- the bare baseline

    private record BarePass(double seconds, long logs, List<Double> perRange, int errors) {}

    private BarePass bare(List<long[]> ranges) throws IOException {
        List<Double> perRange = new ArrayList<>();
        long logs = 0;
        int errors = 0;
        long total = 0;
        for (long[] r : ranges) {
            long t = System.nanoTime();
            try {
                // The indexer's own calls for this range: BatchSettler's logs, and the token's
                // naming a Purser wallet (here the treasury, the only one with events).
                logs += LogQueries.fetch(rpc, r[0], r[1], contracts.token().getContractAddress(),
                        contracts.batchSettler().getContractAddress(), List.of(treasury.toLowerCase(Locale.ROOT))).size();
            } catch (LogQueries.Refused refused) {
                errors++;
                say("  eth_getLogs " + r[0] + ".." + r[1] + " answered an error: " + refused.getMessage());
            }
            long elapsed = System.nanoTime() - t;
            total += elapsed;
            perRange.add(elapsed / 1e9);
        }
        BarePass pass = new BarePass(total / 1e9, logs, perRange, errors);
        say(String.format(Locale.ROOT, "  %,d logs in %.2f s", pass.logs(), pass.seconds()));
        return pass;
    }

    // ---------------------------------------------------------------- report

    private void print(Generation g, List<Attempt> attempts, BarePass before, BarePass after, List<long[]> nominal,
            List<long[]> actual) {
        double bareBest = Math.min(before.seconds(), after.seconds() > 0 ? after.seconds() : Double.MAX_VALUE);
        String f = "  %-46s %s%n";
        System.out.println();
        System.out.println("Indexer benchmark (private Ganache, embedded PostgreSQL, the service in-process)");
        System.out.printf(Locale.ROOT, f, "generated", String.format(Locale.ROOT, "%,d Transfers to the treasury in %,d "
                + "BatchSettler transactions, blocks %,d-%,d, %.0f s", g.transfers(), g.transactions(), g.firstBlock(),
                g.lastBlock(), g.seconds()));
        System.out.printf(Locale.ROOT, f, "logs in the range (token + BatchSettler)", String.format(Locale.ROOT, "%,d", before.logs()));
        System.out.printf(Locale.ROOT, f, "bare eth_getLogs, fresh-cursor ranges", String.format(Locale.ROOT,
                "%.2f s over %d ranges (%s) %s", before.seconds(), nominal.size(), describe(nominal), fmt(before.perRange())));
        System.out.printf(Locale.ROOT, f, "bare eth_getLogs, the indexer's ranges", String.format(Locale.ROOT,
                "%.2f s over %d ranges (%s) %s", after.seconds(), actual.size(), describe(actual), fmt(after.perRange())));
        for (Attempt a : attempts) {
            Indexing indexing = a.indexing();
            Counts counts = a.counts();
            System.out.println();
            System.out.println("Indexing " + a.number() + ", purser.chain.rpc-timeout "
                    + (a.rpcTimeout() == null ? "at the service's default" : a.rpcTimeout()));
            System.out.printf(Locale.ROOT, f, "indexer reached the head", indexing.reachedHead() ? "yes" : "NO: " + indexing.stopped());
            System.out.printf(Locale.ROOT, f, "Transfer events stored", String.format(Locale.ROOT, "%,d", counts.transfers()));
            System.out.printf(Locale.ROOT, f, "chain_events rows stored", String.format(Locale.ROOT, "%,d %s", counts.total(),
                    counts.byEvent()));
            System.out.printf(Locale.ROOT, f, indexing.reachedHead() ? "indexing time" : "time until given up",
                    String.format(Locale.ROOT, "%.2f s", indexing.seconds()));
            if (indexing.reachedHead()) {
                System.out.printf(Locale.ROOT, f, "Transfer events per second", String.format(Locale.ROOT, "%,.0f",
                        counts.transfers() / indexing.seconds()));
                System.out.printf(Locale.ROOT, f, "rows stored per second", String.format(Locale.ROOT, "%,.0f",
                        counts.total() / indexing.seconds()));
                System.out.printf(Locale.ROOT, f, "logs fetched per second", String.format(Locale.ROOT, "%,.0f",
                        before.logs() / indexing.seconds()));
                System.out.printf(Locale.ROOT, f, "ratio indexer / bare eth_getLogs (best pass)", String.format(Locale.ROOT,
                        "%.2f", indexing.seconds() / bareBest));
            }
            if (a.followup() != null) {
                Followup fu = a.followup();
                System.out.printf(Locale.ROOT, f, "follow-up (outflow checks, statuses)", String.format(Locale.ROOT,
                        "%s after %.0f s more; statuses %s", fu.drained() ? "done" : fu.uncheckedLeft()
                                + " Transfers still unchecked", fu.seconds(), fu.statuses()));
            }
            System.out.println("  Cursor as polled (every " + POLL.toMillis() + " ms):");
            System.out.printf(Locale.ROOT, "    %10s %14s %10s %12s%n", "at s", "next block", "range", "rows stored");
            for (CursorStep step : indexing.steps()) {
                System.out.printf(Locale.ROOT, "    %10.2f %,14d %,10d %,12d%n", step.atSeconds(), step.nextBlock(),
                        step.rangeSize(), step.rowsStored());
            }
            if (!a.warnings().isEmpty()) {
                System.out.println("  The indexer logged (it logs a repeated problem once):");
                a.warnings().stream().limit(50).forEach(w -> System.out.println("    " + w));
            }
            a.sampler().print();
        }
    }

    private static String describe(List<long[]> ranges) {
        StringBuilder sb = new StringBuilder();
        for (long[] r : ranges) {
            if (!sb.isEmpty()) {
                sb.append(", ");
            }
            sb.append(r[1] - r[0] + 1);
        }
        return ranges.isEmpty() ? "none" : sb + " blocks";
    }

    private static String fmt(List<Double> values) {
        return values.stream().map(v -> String.format(Locale.ROOT, "%.2f", v)).toList().toString();
    }

    private static long scalar(Connection db, String sql) throws SQLException {
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static double secondsSince(Instant start) {
        return Duration.between(start, Instant.now()).toMillis() / 1000.0;
    }

    private static void say(String line) {
        System.out.println(LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + " " + line);
    }

    @FunctionalInterface
    private interface Check {
        boolean ok() throws Exception;
    }

    private static void awaitUntil(String what, Duration timeout, Check check) throws Exception {
        Instant giveUp = Instant.now().plus(timeout);
        while (!check.ok()) {
            if (Instant.now().isAfter(giveUp)) {
                throw new IllegalStateException("timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(300);
        }
    }

    // ---------------------------------------------------------------- where the indexer thread spends its time

    /**
     * Samples the stack of the service's {@code indexer} thread (in this JVM) every few
     * milliseconds and files each sample under the ChainIndexer method it is in and what that
     * method is doing at the time (waiting for the node, for PostgreSQL, decoding...). A poor
     * man's profiler, but enough to see where indexing time goes.
     */
    private static final class IndexerSampler implements AutoCloseable {
        private static final long EVERY_MILLIS = 5;
        private static final List<String[]> CATEGORIES = List.of(
                new String[] {"org.postgresql.", "PostgreSQL round trips"},
                new String[] {"com.zaxxer.hikari.", "connection pool"},
                new String[] {"okhttp3.", "JSON-RPC (waiting for the node)"},
                new String[] {"okio.", "JSON-RPC (waiting for the node)"},
                new String[] {"com.fasterxml.jackson.", "web3j JSON parsing"},
                new String[] {"tools.jackson.", "args to JSON (Jackson 3)"},
                new String[] {"org.web3j.abi.", "ABI decoding"},
                new String[] {"org.web3j.crypto.", "checksum addresses (keccak)"},
                new String[] {"org.bouncycastle.", "checksum addresses (keccak)"},
                new String[] {"org.springframework.jdbc.", "Spring JDBC"},
                new String[] {"org.springframework.transaction.", "transaction management"});
        private static final String INDEXER_CLASS = "dev.purser.settlement.indexer.ChainIndexer";

        private final Map<String, Map<String, Long>> samples = new java.util.concurrent.ConcurrentHashMap<>();
        private final Thread sampler;
        private volatile String phase;
        private volatile boolean running = true;

        IndexerSampler(String firstPhase) {
            this.phase = firstPhase;
            this.sampler = Thread.ofPlatform().name("indexer-sampler").daemon().start(this::loop);
        }

        void phase(String next) {
            phase = next;
        }

        private void loop() {
            Thread target = null;
            while (running) {
                if (target == null || !target.isAlive()) {
                    target = Thread.getAllStackTraces().keySet().stream()
                            .filter(t -> t.getName().equals("indexer")).findFirst().orElse(null);
                }
                if (target != null) {
                    String key = classify(target.getStackTrace());
                    samples.computeIfAbsent(phase, p -> new java.util.concurrent.ConcurrentHashMap<>()).merge(key, 1L, Long::sum);
                }
                try {
                    Thread.sleep(EVERY_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private static String classify(StackTraceElement[] stack) {
            String method = null;
            for (StackTraceElement frame : stack) {
                if (frame.getClassName().equals(INDEXER_CLASS)) {
                    method = frame.getMethodName();
                    if (method.startsWith("lambda$")) {
                        method = "lambda in " + method.substring("lambda$".length(), method.lastIndexOf('$'));
                    }
                    break;
                }
            }
            if (method == null) {
                return "(between ticks, or standing by)\t";
            }
            for (StackTraceElement frame : stack) {
                if (frame.getClassName().startsWith("org.springframework.")) {
                    if (frame.getMethodName().equals("doCommit")) {
                        return method + "\ttransaction commit (PostgreSQL)";
                    }
                    if (frame.getMethodName().equals("doBegin")) {
                        return method + "\ttransaction begin";
                    }
                }
            }
            for (StackTraceElement frame : stack) {
                String cls = frame.getClassName();
                if (cls.equals(INDEXER_CLASS)) {
                    return method + "\tChainIndexer's own code";
                }
                for (String[] c : CATEGORIES) {
                    if (cls.startsWith(c[0])) {
                        return method + "\t" + c[1];
                    }
                }
                if (cls.equals("dev.purser.settlement.indexer.LogDecoder")) {
                    return method + "\tLogDecoder";
                }
            }
            return method + "\tother";
        }

        void print() {
            for (Map.Entry<String, Map<String, Long>> p : samples.entrySet().stream()
                    .sorted(Map.Entry.comparingByKey()).toList()) {
                long total = p.getValue().values().stream().mapToLong(Long::longValue).sum();
                System.out.println();
                System.out.printf(Locale.ROOT, "Indexer thread, %s (%,d samples every %d ms):%n", p.getKey(), total, EVERY_MILLIS);
                System.out.printf(Locale.ROOT, "  %-34s %-36s %7s%n", "ChainIndexer method", "doing", "share");
                p.getValue().entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(20)
                        .forEach(e -> {
                            String[] parts = e.getKey().split("\t", -1);
                            System.out.printf(Locale.ROOT, "  %-34s %-36s %6.1f%%%n", parts[0], parts[1],
                                    100.0 * e.getValue() / total);
                        });
            }
        }

        @Override
        public void close() {
            running = false;
            sampler.interrupt();
        }
    }

    // ---------------------------------------------------------------- options and resources

    private record Options(int transfers, int itemsPerTransaction, int signers, int payers, Duration generateTimeout,
            Duration indexTimeout, Duration stallTimeout, Duration followupTimeout, Duration rpcTimeout,
            Duration fallbackRpcTimeout) {

        static Options parse(String[] args) {
            Map<String, String> given = new LinkedHashMap<>();
            for (String arg : args) {
                if (!arg.startsWith("--") || !arg.contains("=")) {
                    throw new IllegalArgumentException("options are --name=value; got " + arg + "\n" + usage());
                }
                given.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
            }
            Options o = new Options(
                    Integer.parseInt(given.getOrDefault("transfers", "100000")),
                    Integer.parseInt(given.getOrDefault("items-per-tx", "100")),
                    Integer.parseInt(given.getOrDefault("signers", "2")),
                    Integer.parseInt(given.getOrDefault("payers", "10")),
                    Duration.parse(given.getOrDefault("generate-timeout", "PT60M")),
                    Duration.parse(given.getOrDefault("index-timeout", "PT30M")),
                    Duration.parse(given.getOrDefault("stall-timeout", "PT5M")),
                    Duration.parse(given.getOrDefault("followup-timeout", "PT15M")),
                    given.containsKey("rpc-timeout") ? Duration.parse(given.get("rpc-timeout")) : null,
                    given.getOrDefault("fallback-rpc-timeout", "PT2M").equals("none")
                            ? null : Duration.parse(given.getOrDefault("fallback-rpc-timeout", "PT2M")));
            List<String> known = List.of("transfers", "items-per-tx", "signers", "payers", "generate-timeout",
                    "index-timeout", "stall-timeout", "followup-timeout", "rpc-timeout", "fallback-rpc-timeout");
            for (String name : given.keySet()) {
                if (!known.contains(name)) {
                    throw new IllegalArgumentException("unknown option --" + name + "\n" + usage());
                }
            }
            if (o.itemsPerTransaction() < 1 || o.itemsPerTransaction() > 100) {
                throw new IllegalArgumentException("--items-per-tx must be 1 to 100 (the gas limit of a test transaction)");
            }
            if (o.transfers() < o.itemsPerTransaction() || o.transfers() % o.itemsPerTransaction() != 0) {
                throw new IllegalArgumentException("--transfers must be a positive multiple of --items-per-tx");
            }
            if (o.signers() < 1 || o.signers() > 32 || o.payers() < 1 || o.payers() > 1_000) {
                throw new IllegalArgumentException("--signers must be 1 to 32 and --payers 1 to 1000");
            }
            return o;
        }

        static String usage() {
            return "usage: bench-indexer.sh [--transfers=100000] [--items-per-tx=100] [--signers=2] [--payers=10]"
                    + " [--generate-timeout=PT60M] [--index-timeout=PT30M] [--stall-timeout=PT5M] [--followup-timeout=PT15M]"
                    + " [--rpc-timeout=PT5S (the service's purser.chain.rpc-timeout; its default when absent)]"
                    + " [--fallback-rpc-timeout=PT2M|none (index again with it when the first indexing stalls)]";
        }
    }

    /** Everything the benchmark starts, stopped once, in reverse order, also from the shutdown hook. */
    private static final class Resources {
        private final Deque<AutoCloseable> stack = new ArrayDeque<>();
        private final AtomicBoolean closed = new AtomicBoolean();
        private ConfigurableApplicationContext context;

        synchronized GanacheNode ganache(GanacheNode node) {
            stack.push(node);
            return node;
        }

        synchronized Web3j web3j(Web3j web3j) {
            stack.push(web3j::shutdown);
            return web3j;
        }

        synchronized EmbeddedPostgresServer postgres(EmbeddedPostgresServer server) {
            stack.push(server);
            return server;
        }

        synchronized Connection connection(Connection c) {
            stack.push(c);
            return c;
        }

        synchronized Path tempDir(Path dir) {
            stack.push(() -> deleteTree(dir));
            return dir;
        }

        synchronized ConfigurableApplicationContext context(ConfigurableApplicationContext c) {
            context = c;
            return c;
        }

        synchronized void closeContext() {
            if (context != null) {
                context.close();
                context = null;
            }
        }

        void close() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            synchronized (this) {
                try {
                    closeContext();
                } catch (RuntimeException e) {
                    System.err.println("closing the service: " + e);
                }
                while (!stack.isEmpty()) {
                    try {
                        stack.pop().close();
                    } catch (Exception e) {
                        System.err.println("stopping: " + e);
                    }
                }
            }
        }

        private static void deleteTree(Path dir) throws IOException {
            if (!Files.exists(dir)) {
                return;
            }
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}

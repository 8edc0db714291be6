package dev.purser.settlement.bench;

import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.ServiceProcess;
import dev.purser.settlement.support.SettlementRig;
import dev.purser.settlement.support.SpendDriver;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * What a settled authorization costs on-chain, and how long it takes to be confirmed, in each
 * settlement shape: one transferWithAuthorization per transaction, BatchSettler batches of 10, 50
 * and 100 settlements, and aggregated settlements of 100 authorizations each. A real Purser runs
 * as a child JVM over an embedded PostgreSQL and a private Ganache (one service start per shape).
 *
 * <p>Gas: the settler is held off (this process owns its advisory lock, as a leading instance
 * would) while the settles arrive, then let go, so every batch is as full as the shape allows; the
 * gas is each batch transaction's receipt gasUsed divided by the authorizations it paid. Latency:
 * a paced stream of settles against the running service, from each settle's 200 to the first
 * GET /v1/settlements/{id} that shows it confirmed (polled every 50 ms). The service runs with its
 * defaults (tick 500 ms, 1 confirmation) except where the shape says otherwise.
 *
 * <p>Run through {@code scripts/bench-settlement.sh}.
 */
public final class SettlementBenchmark {

    private record Shape(String name, Map<String, String> properties, int batchSettles, int latencySettles,
            Duration latencyPace) {}

    private record Row(Shape shape, int transactions, int authorizations, long gasTotal, double itemsPerTx, long p50Ms,
            long p95Ms, long maxMs) {}

    private static final long FUNDED_MICROS = 1_000_000L * 1_000_000;
    private static final int SETTLE_THREADS = 4;
    private static final java.util.concurrent.atomic.AtomicInteger SERVER_ERRORS = new java.util.concurrent.atomic.AtomicInteger();

    private SettlementBenchmark() {}

    public static void main(String[] args) throws Exception {
        List<Shape> shapes = List.of(
                new Shape("immediate, 1 per tx", Map.of("purser.settlement.max-batch-items", "1"), 20, 30,
                        Duration.ofMillis(150)),
                new Shape("immediate, batch 10", Map.of("purser.settlement.max-batch-items", "10"), 30, 30,
                        Duration.ofMillis(150)),
                new Shape("immediate, batch 50", Map.of("purser.settlement.max-batch-items", "50"), 100, 30,
                        Duration.ofMillis(150)),
                new Shape("immediate, batch 100", Map.of("purser.settlement.max-batch-items", "100"), 200, 30,
                        Duration.ofMillis(150)),
                new Shape("aggregated, 100 per settlement", Map.of("purser.settlement.mode", "aggregated",
                        "purser.settlement.aggregation-max-items", "100", "purser.settlement.aggregation-window", "PT10S",
                        "purser.settlement.max-batch-items", "100"), 200, 30, Duration.ofMillis(150)));

        SettlementRig rig = SettlementRig.start("bench-settlement");
        Thread stopRig = new Thread(rig::close, "bench-rig-stop");
        Runtime.getRuntime().addShutdownHook(stopRig);
        List<Row> rows = new ArrayList<>();
        try {
            String relayer = warmUp(rig);
            for (Shape shape : shapes) {
                rows.add(run(rig, relayer, shape));
                print(rows);
            }
        } finally {
            rig.close();
            Runtime.getRuntime().removeShutdownHook(stopRig);
        }
        System.out.println();
        System.out.println("Settlement benchmark (private Ganache 7.9.2, shanghai; embedded PostgreSQL; one Purser child JVM per shape)");
        print(rows);
        System.out.println("HTTP 5xx answers retried during the run: " + SERVER_ERRORS.get());
        System.out.println("gas/auth = sum of the batch transactions' gasUsed / authorizations they paid (merchant already holds USDC).");
        System.out.println("latency = settle 200 -> GET /v1/settlements/{id} shows confirmed; settles paced every 150 ms; tick 500 ms,"
                + " 1 confirmation, Ganache mines at once; aggregated closes by its 10 s window in that stream.");
    }

    /** Starts the service once so that it funds its relayer and treasury, and learns the relayer's address. */
    private static String warmUp(SettlementRig rig) {
        ServiceProcess service = service(rig, "warm-up", Map.of());
        try {
            service.launch().awaitAnswering(Duration.ofSeconds(180));
            SettlementRig.awaitTrue(Duration.ofSeconds(120), () -> service.log().contains("Local chain ready"),
                    "the service funds its relayer and treasury");
            return com.jayway.jsonpath.JsonPath.read(service.health().orElseThrow(), "$.components.relayer.details.address");
        } finally {
            service.stop(); // a clean stop also writes the class-data archive the next starts use
        }
    }

    private static ServiceProcess service(SettlementRig rig, String name, Map<String, String> extra) {
        Map<String, String> properties = rig.serviceProperties("bench", rig.node().rpcUrl());
        properties.putAll(extra);
        return ServiceProcess.configure("purser-bench-" + name, ServiceProcess.freePort(),
                rig.dir().resolve("service-" + name.replaceAll("[^a-z0-9]+", "-") + ".log"), properties);
    }

    private static Row run(SettlementRig rig, String relayer, Shape shape) throws Exception {
        System.out.println("== " + shape.name());
        ServiceProcess service = service(rig, shape.name(), shape.properties());
        Connection lock = rig.db();
        try {
            holdLock(lock, relayer);
            service.launch().awaitAnswering(Duration.ofSeconds(180));
            Api api = service.api();
            SettlementRig.Agent agent = rig.fundedAgent(api, "bench-" + UUID.randomUUID(), FUNDED_MICROS);
            String merchant = SettlementRig.freshAddress();
            rig.contracts().mint(merchant, 1); // an existing holder, as a merchant usually is

            // Gas: everything settled while the settler is held off, then sent in full batches.
            List<SpendDriver.Settled> settled = settleAll(api, agent, merchant, shape.batchSettles());
            lock.close();
            List<String> settlementIds = settled.stream().map(SpendDriver.Settled::settlementId).distinct().toList();
            awaitConfirmed(api, settlementIds, Duration.ofSeconds(180));
            Map<String, Integer> authorizationsByTx = new LinkedHashMap<>();
            for (String id : settlementIds) {
                Api.Response s = api.get("/v1/settlements/" + id, SettlementRig.ADMIN);
                authorizationsByTx.merge(s.string("$.data.tx_hash"), s.<List<String>>json("$.data.authorization_ids").size(),
                        Integer::sum);
            }
            long gas = 0;
            for (String tx : authorizationsByTx.keySet()) {
                TransactionReceipt r = rig.node().web3j().ethGetTransactionReceipt(tx).send().getTransactionReceipt().orElseThrow();
                gas += r.getGasUsed().longValueExact();
            }
            int authorizations = authorizationsByTx.values().stream().mapToInt(Integer::intValue).sum();
            if (authorizations != settled.size()) {
                throw new IllegalStateException(authorizations + " authorizations on-chain for " + settled.size() + " settles");
            }

            // Latency: a paced stream against the leading settler.
            List<Long> latencies = latencies(api, agent, merchant, shape.latencySettles(), shape.latencyPace());
            Collections.sort(latencies);
            return new Row(shape, authorizationsByTx.size(), authorizations, gas,
                    (double) authorizations / authorizationsByTx.size(), percentile(latencies, 50), percentile(latencies, 95),
                    latencies.getLast());
        } finally {
            lock.close();
            service.stop();
        }
    }

    private static void holdLock(Connection c, String relayer) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(hashtext(?))")) {
            ps.setString(1, "purser.settler." + relayer.toLowerCase());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || !rs.getBoolean(1)) {
                    throw new IllegalStateException("the settler's lock is taken: is another Purser running on this database?");
                }
            }
        }
    }

    private static List<SpendDriver.Settled> settleAll(Api api, SettlementRig.Agent agent, String merchant, int count)
            throws Exception {
        List<SpendDriver.Settled> settled = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(SETTLE_THREADS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                long micros = 10_000 + i;
                done.add(pool.submit(() -> settled.add(settleOne(api, agent, merchant, micros))));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return List.copyOf(settled);
    }

    private static SpendDriver.Settled settleOne(Api api, SettlementRig.Agent agent, String merchant, long micros) {
        Api.Response a = answered(api, agent, "/v1/authorizations",
                "{\"amount\":\"" + SpendDriver.usdc(micros) + "\",\"merchant\":\"" + merchant + "\"}");
        if (a.status() != 201) {
            throw new IllegalStateException("pre-authorize: " + a);
        }
        String id = a.string("$.data.id");
        Api.Response s = answered(api, agent, "/v1/authorizations/" + id + "/settle", "{}");
        if (s.status() != 200) {
            throw new IllegalStateException("settle: " + s);
        }
        return new SpendDriver.Settled(agent.wallet(), id, s.string("$.data.settlement.id"), merchant, micros, Instant.now());
    }

    /**
     * POSTs with one Idempotency-Key until the answer is not a 5xx (a 5xx changed nothing), at most
     * a few times; the retries are counted and printed, since each one is a failure a client saw.
     */
    private static Api.Response answered(Api api, SettlementRig.Agent agent, String path, String body) {
        String key = UUID.randomUUID().toString();
        Api.Response r = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            r = api.postWithKey(path, agent.secret(), body, key);
            if (r.status() < 500) {
                return r;
            }
            SERVER_ERRORS.incrementAndGet();
            System.out.println("retrying after " + r.status() + " on POST " + path + ": " + r.body());
            SettlementRig.sleep(Duration.ofMillis(100));
        }
        return r;
    }

    private static List<Long> latencies(Api api, SettlementRig.Agent agent, String merchant, int count, Duration pace)
            throws Exception {
        Map<String, Instant> answered = new ConcurrentHashMap<>();
        Map<String, Long> latencyMs = new ConcurrentHashMap<>();
        Map<String, List<String>> settlementOf = new ConcurrentHashMap<>();
        ExecutorService poller = Executors.newSingleThreadExecutor();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(180));
        Future<?> polling = poller.submit(() -> {
            while (!Thread.currentThread().isInterrupted() && Instant.now().isBefore(deadline)) {
                for (var e : new HashMap<>(settlementOf).entrySet()) {
                    if (e.getValue().stream().allMatch(latencyMs::containsKey)) {
                        continue;
                    }
                    String status = api.get("/v1/settlements/" + e.getKey(), SettlementRig.ADMIN).string("$.data.status");
                    if (status.equals("confirmed") || status.equals("finalized")) {
                        Instant now = Instant.now();
                        for (String authorization : e.getValue()) {
                            latencyMs.putIfAbsent(authorization, Duration.between(answered.get(authorization), now).toMillis());
                        }
                    }
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException stop) {
                    return;
                }
            }
        });
        try {
            for (int i = 0; i < count; i++) {
                Instant next = Instant.now().plus(pace);
                SpendDriver.Settled s = settleOne(api, agent, merchant, 20_000 + i);
                answered.put(s.authorizationId(), s.answeredAt());
                settlementOf.computeIfAbsent(s.settlementId(), k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                        .add(s.authorizationId());
                long wait = Duration.between(Instant.now(), next).toMillis();
                if (wait > 0) {
                    Thread.sleep(wait);
                }
            }
            while (latencyMs.size() < count && Instant.now().isBefore(deadline)) {
                Thread.sleep(100);
            }
            if (latencyMs.size() < count) {
                throw new IllegalStateException("only " + latencyMs.size() + " of " + count + " settles were confirmed in time");
            }
            return new ArrayList<>(latencyMs.values());
        } finally {
            polling.cancel(true);
            poller.shutdownNow();
        }
    }

    private static void awaitConfirmed(Api api, List<String> settlementIds, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        List<String> waiting = new ArrayList<>(settlementIds);
        while (!waiting.isEmpty()) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(waiting.size() + " settlements not confirmed within " + timeout);
            }
            waiting.removeIf(id -> {
                String status = api.get("/v1/settlements/" + id, SettlementRig.ADMIN).string("$.data.status");
                return status.equals("confirmed") || status.equals("finalized");
            });
            SettlementRig.sleep(Duration.ofMillis(200));
        }
    }

    private static long percentile(List<Long> sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    private static void print(List<Row> rows) {
        System.out.printf("%-32s %6s %6s %8s %12s %10s %9s %9s %9s%n", "shape", "txs", "auths", "auths/tx", "gas/tx",
                "gas/auth", "p50 ms", "p95 ms", "max ms");
        for (Row r : rows) {
            System.out.printf("%-32s %6d %6d %8.1f %12d %10d %9d %9d %9d%n", r.shape().name(), r.transactions(), r.authorizations(),
                    r.itemsPerTx(), r.gasTotal() / r.transactions(), Math.round((double) r.gasTotal() / r.authorizations()),
                    r.p50Ms(), r.p95Ms(), r.maxMs());
        }
    }
}

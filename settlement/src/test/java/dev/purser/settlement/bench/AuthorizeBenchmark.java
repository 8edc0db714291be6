package dev.purser.settlement.bench;

import com.jayway.jsonpath.JsonPath;
import dev.purser.contracts.TestUSDC;
import dev.purser.contracts.testing.GanacheNode;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.gas.StaticGasProvider;

/**
 * A load generator for {@code POST /v1/authorizations} against an already running Purser (run it
 * through scripts/bench-authorize.sh). It creates agents and credentials with caps far above what
 * the run can use, funds the agents by minting TestUSDC on the local chain, and then, for a fixed
 * duration, pre-authorizes with N concurrent clients in two shapes:
 *
 * <ul>
 *   <li>A: many credentials (1,000 over 100 agents by default), each request on a random one;
 *   <li>B: one hot credential that every request uses.
 * </ul>
 *
 * It prints throughput, p50/p99/max latency and answers by status, and one machine-readable
 * {@code RESULT} line per scenario. Not a test: nothing here asserts.
 *
 * <p>Configuration (environment): PURSER_URL (http://127.0.0.1:8080), PURSER_ADMIN_SECRET (else
 * the file $PURSER_DATA_DIR/admin-secret, default .purser/admin-secret), PURSER_RPC_URL
 * (http://127.0.0.1:8545), BENCH_DURATION_S (20), BENCH_WARMUP_S (3), BENCH_CLIENTS (32),
 * BENCH_CREDENTIALS (1000), BENCH_AGENTS (100), BENCH_SCENARIOS (A,B), BENCH_FUNDER_KEY (Ganache's
 * deterministic account 0, the local TestUSDC minter).
 */
public final class AuthorizeBenchmark {

    private static final String GANACHE_ACCOUNT_0_KEY = "0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";
    private static final String MERCHANT = "0x1dF62f291b2E969fB0849d99D9Ce41e2F137006e";
    /** Every agent gets a million USDC: the run can never be bound by funds. */
    private static final BigInteger FUNDS_MICROS = BigInteger.valueOf(1_000_000L * 1_000_000L);
    private static final String CAPS = "{\"per_transaction_limit\":\"1\",\"daily_limit\":\"1000000\"}";
    private static final String AMOUNT = "0.01";
    /** Bounds: duration, clients, setup size, samples kept per scenario. */
    private static final int DURATION_S_MAX = 300;
    private static final int CLIENTS_MAX = 256;
    private static final int CREDENTIALS_MAX = 5_000;
    private static final int SAMPLES_MAX = 5_000_000;
    private static final int SETUP_THREADS = 8;
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration FUNDS_VISIBLE_TIMEOUT = Duration.ofSeconds(30);
    private static final int BLOCKS_TO_BURY_DEPOSITS = 12;

    private final String baseUrl;
    private final String admin;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private AuthorizeBenchmark(String baseUrl, String admin) {
        this.baseUrl = baseUrl;
        this.admin = admin;
    }

    public static void main(String[] args) throws Exception {
        String url = env("PURSER_URL", "http://127.0.0.1:8080");
        String admin = adminSecret();
        String rpcUrl = env("PURSER_RPC_URL", "http://127.0.0.1:8545");
        int durationS = bounded("BENCH_DURATION_S", 20, 1, DURATION_S_MAX);
        int warmupS = bounded("BENCH_WARMUP_S", 3, 0, 60);
        int clients = bounded("BENCH_CLIENTS", 32, 1, CLIENTS_MAX);
        int credentials = bounded("BENCH_CREDENTIALS", 1000, 1, CREDENTIALS_MAX);
        int agents = bounded("BENCH_AGENTS", 100, 1, credentials);
        List<String> scenarios = Arrays.stream(env("BENCH_SCENARIOS", "A,B").split(",")).map(String::trim).toList();

        AuthorizeBenchmark bench = new AuthorizeBenchmark(url, admin);
        String health = bench.send("GET", "/actuator/health", null, null).body();
        String token = JsonPath.read(health, "$.components.chain.details.token");
        System.out.printf(Locale.ROOT, "Purser at %s, token %s, chain %s; %d clients, %d s (+%d s warm-up) per scenario%n",
                url, token, rpcUrl, clients, durationS, warmupS);
        Minter minter = new Minter(rpcUrl, token, env("BENCH_FUNDER_KEY", GANACHE_ACCOUNT_0_KEY));
        try {
            for (String scenario : scenarios) {
                List<String> secrets = switch (scenario) {
                    case "A" -> bench.setUp(agents, credentials, minter);
                    case "B" -> bench.setUp(1, 1, minter);
                    default -> throw new IllegalArgumentException("unknown scenario " + scenario + " (A or B)");
                };
                String shape = scenario.equals("A")
                        ? secrets.size() + " credentials over " + agents + " agents"
                        : "one hot credential";
                bench.run(scenario, shape, secrets, clients, warmupS, durationS);
            }
        } finally {
            minter.close();
        }
    }

    /** Creates agents, funds each on-chain and issues credentials round-robin over them; returns the secrets. */
    private List<String> setUp(int agentCount, int credentialCount, Minter minter) throws Exception {
        long started = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(SETUP_THREADS);
        try {
            List<Future<String[]>> created = new ArrayList<>();
            for (int i = 0; i < agentCount; i++) {
                int n = i;
                created.add(pool.submit(() -> {
                    HttpResponse<String> r = expect(201, send("POST", "/v1/agents", admin,
                            "{\"name\":\"bench-" + n + "-" + System.nanoTime() + "\"}"));
                    return new String[] {JsonPath.read(r.body(), "$.data.id"), JsonPath.read(r.body(), "$.data.wallet_address")};
                }));
            }
            List<String[]> agents = new ArrayList<>();
            for (Future<String[]> f : created) {
                agents.add(f.get(60, TimeUnit.SECONDS));
            }
            for (String[] agent : agents) {
                minter.mint(agent[1], FUNDS_MICROS); // one sender, so one nonce sequence: sequential
            }
            // Deposits count once they are deep enough: bury the mints, then wait until the service
            // sees every agent's funds, so that the run measures holds and not a balance cache.
            minter.mineBlocks(BLOCKS_TO_BURY_DEPOSITS);
            for (String[] agent : agents) {
                awaitFunded(agent[0]);
            }
            List<Future<String>> issued = new ArrayList<>();
            for (int i = 0; i < credentialCount; i++) {
                String agentId = agents.get(i % agentCount)[0];
                issued.add(pool.submit(() -> JsonPath.read(
                        expect(201, send("POST", "/v1/agents/" + agentId + "/credentials", admin, CAPS)).body(),
                        "$.data.secret")));
            }
            List<String> secrets = new ArrayList<>();
            for (Future<String> f : issued) {
                secrets.add(f.get(60, TimeUnit.SECONDS));
            }
            System.out.printf(Locale.ROOT, "set up %d agents (funded) and %d credentials in %.1f s%n", agentCount,
                    credentialCount, (System.nanoTime() - started) / 1e9);
            return secrets;
        } finally {
            pool.shutdownNow();
        }
    }

    private void awaitFunded(String agentId) throws Exception {
        long deadline = System.nanoTime() + FUNDS_VISIBLE_TIMEOUT.toNanos();
        while (true) {
            HttpResponse<String> r = expect(200, send("GET", "/v1/agents/" + agentId, admin, null));
            String onchain = JsonPath.read(r.body(), "$.data.balance.onchain");
            if (new java.math.BigDecimal(onchain).movePointRight(6).toBigIntegerExact().compareTo(FUNDS_MICROS) >= 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("agent " + agentId + " still shows " + onchain + " USDC on-chain after "
                        + FUNDS_VISIBLE_TIMEOUT);
            }
            Thread.sleep(500);
        }
    }

    private void run(String scenario, String shape, List<String> secrets, int clients, int warmupS, int durationS)
            throws Exception {
        if (warmupS > 0) {
            load(secrets, clients, Duration.ofSeconds(warmupS), 0);
        }
        Result r = load(secrets, clients, Duration.ofSeconds(durationS), SAMPLES_MAX);
        long[] latencies = r.latenciesMicros();
        Arrays.sort(latencies);
        double seconds = r.elapsedNanos() / 1e9;
        double rps = r.requests() / seconds;
        double okRps = r.authorized() / seconds;
        System.out.printf(Locale.ROOT, "%nScenario %s (%s), %d clients, %.1f s:%n", scenario, shape, clients, seconds);
        System.out.printf(Locale.ROOT, "  throughput  %.1f req/s (%.1f authorized/s)%n", rps, okRps);
        System.out.printf(Locale.ROOT, "  latency     p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                percentile(latencies, 50) / 1000.0, percentile(latencies, 99) / 1000.0,
                latencies.length == 0 ? 0 : latencies[latencies.length - 1] / 1000.0);
        System.out.printf(Locale.ROOT, "  answers     %s%n", r.outcomes());
        System.out.printf(Locale.ROOT, "RESULT scenario=%s clients=%d seconds=%.1f requests=%d rps=%.1f authorized_rps=%.1f"
                        + " p50_ms=%.2f p99_ms=%.2f%n", scenario, clients, seconds, r.requests(), rps, okRps,
                percentile(latencies, 50) / 1000.0, percentile(latencies, 99) / 1000.0);
    }

    private record Result(long requests, long authorized, long elapsedNanos, long[] latenciesMicros, Map<String, Long> outcomes) {}

    /** N clients pre-authorize back to back until the deadline; each request has its own Idempotency-Key. */
    private Result load(List<String> secrets, int clients, Duration duration, int samplesMax) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
        String body = "{\"amount\":\"" + AMOUNT + "\",\"merchant\":\"" + MERCHANT + "\"}";
        int perClientSamples = Math.max(1, samplesMax / clients);
        long start = System.nanoTime();
        long deadline = start + duration.toNanos();
        try {
            List<Future<long[]>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                futures.add(pool.submit(() -> {
                    long[] samples = new long[Math.min(perClientSamples, 1024)];
                    int n = 0;
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    while (System.nanoTime() < deadline) {
                        String secret = secrets.get(random.nextInt(secrets.size()));
                        long t0 = System.nanoTime();
                        String outcome;
                        try {
                            HttpResponse<String> r = send("POST", "/v1/authorizations", secret, body,
                                    UUID.randomUUID().toString());
                            outcome = r.statusCode() == 201 ? "201" : r.statusCode() + " " + errorCode(r.body());
                        } catch (IOException | RuntimeException e) {
                            outcome = "no answer (" + e.getClass().getSimpleName() + ")";
                        }
                        long micros = (System.nanoTime() - t0) / 1000;
                        outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
                        if (n < perClientSamples) {
                            if (n == samples.length) {
                                samples = Arrays.copyOf(samples, Math.min(perClientSamples, samples.length * 2));
                            }
                            samples[n++] = micros;
                        }
                    }
                    return Arrays.copyOf(samples, n);
                }));
            }
            List<long[]> all = new ArrayList<>();
            for (Future<long[]> f : futures) {
                all.add(f.get(duration.toSeconds() + 60, TimeUnit.SECONDS));
            }
            long elapsed = System.nanoTime() - start;
            long[] merged = all.stream().flatMapToLong(Arrays::stream).toArray();
            Map<String, Long> counts = new TreeMap<>();
            outcomes.forEach((k, v) -> counts.put(k, v.sum()));
            long requests = counts.values().stream().mapToLong(Long::longValue).sum();
            return new Result(requests, counts.getOrDefault("201", 0L), elapsed, merged, counts);
        } finally {
            pool.shutdownNow();
        }
    }

    private static long percentile(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static String errorCode(String body) {
        try {
            return JsonPath.read(body, "$.error.code");
        } catch (RuntimeException e) {
            return "(not the error envelope)";
        }
    }

    private HttpResponse<String> send(String method, String path, String secret, String body) throws IOException {
        return send(method, path, secret, body, null);
    }

    private HttpResponse<String> send(String method, String path, String secret, String body, String idempotencyKey)
            throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(REQUEST_TIMEOUT);
        if (secret != null) {
            b.header("Authorization", "Bearer " + secret);
        }
        if (idempotencyKey != null) {
            b.header("Idempotency-Key", idempotencyKey);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static HttpResponse<String> expect(int status, HttpResponse<String> r) {
        if (r.statusCode() != status) {
            throw new IllegalStateException(r.request().method() + " " + r.request().uri().getPath() + " answered "
                    + r.statusCode() + " " + r.body());
        }
        return r;
    }

    private static String adminSecret() throws IOException {
        String configured = System.getenv("PURSER_ADMIN_SECRET");
        if (configured != null && !configured.isBlank()) {
            return configured.trim();
        }
        Path file = Path.of(env("PURSER_DATA_DIR", ".purser")).resolve("admin-secret");
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("set PURSER_ADMIN_SECRET, or PURSER_DATA_DIR to where admin-secret is (" + file + ")");
        }
        return Files.readString(file, StandardCharsets.US_ASCII).trim();
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    private static int bounded(String name, int fallback, int min, int max) {
        int v = Integer.parseInt(env(name, Integer.toString(fallback)));
        if (v < min || v > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max);
        }
        return v;
    }

    /** Mints TestUSDC from the token's minter (Ganache's account 0 on the local chain). */
    private static final class Minter implements AutoCloseable {
        private final HttpService rpc;
        private final Web3j web3j;
        private final TestUSDC token;

        Minter(String rpcUrl, String tokenAddress, String key) throws IOException {
            this.rpc = new HttpService(rpcUrl);
            this.web3j = Web3j.build(rpc);
            long chainId = web3j.ethChainId().send().getChainId().longValueExact();
            this.token = TestUSDC.load(tokenAddress, web3j,
                    new RawTransactionManager(web3j, Credentials.create(key), chainId),
                    new StaticGasProvider(BigInteger.valueOf(20_000_000_000L), BigInteger.valueOf(200_000)));
        }

        void mint(String to, BigInteger micros) throws Exception {
            var receipt = token.mint(to, micros).send();
            if (!receipt.isStatusOK()) {
                throw new IllegalStateException("mint to " + to + " failed: " + receipt.getStatus());
            }
        }

        /** Mines empty blocks on Ganache (evm_mine), so that earlier transactions are that deep. */
        void mineBlocks(int count) throws IOException {
            for (int i = 0; i < count; i++) {
                var response = new org.web3j.protocol.core.Request<>("evm_mine", List.of(), rpc,
                        GanacheNode.GenericResponse.class).send();
                if (response.hasError()) {
                    throw new IOException("evm_mine failed: " + response.getError().getMessage());
                }
            }
        }

        @Override
        public void close() {
            web3j.shutdown();
        }
    }
}

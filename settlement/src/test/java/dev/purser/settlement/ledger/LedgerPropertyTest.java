package dev.purser.settlement.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.jayway.jsonpath.JsonPath;
import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Invariant 1 (no overspend) under randomized interleavings: several agents and credentials with
 * small random caps and funds, and a few hundred random operations from several threads at once
 * (pre-authorize random amounts, settle fully or partly, void, approve or decline, lower a daily
 * limit, move the clock past expiries so the sweeper expires holds). While it runs, and at every
 * checkpoint, PostgreSQL's books are checked against the authorizations they summarize; at each
 * checkpoint the hash-chained audit log, whose order is the order in which the changes
 * committed, is replayed to check every hold against the caps and funds in force when it was made.
 *
 * <p>Replay a failure with {@code -Dpurser.seed=N} (every assertion message names the seed; the
 * thread interleaving itself is not reproducible, the operations and amounts are).
 */
class LedgerPropertyTest extends PurserTestBase {

    private static final long SEED = Long.getLong("purser.seed", System.nanoTime());
    private static final int AGENTS = 3;
    private static final int THREADS = 6;
    private static final int ROUNDS = 4;
    private static final int OPERATIONS_PER_THREAD_PER_ROUND = 20;
    private static final long MICROS = 1_000_000;

    /** A credential under test; perTx never changes, the daily limit only goes down. */
    private record Cred(String id, String agentId, String secret, long perTxMicros, long initialDailyMicros,
            Long approvalThresholdMicros) {}

    private record AgentUnderTest(String id, long fundedMicros) {}

    /** A hold the service granted: which credential, how much, and the status it was created in. */
    private record Hold(String id, Cred cred, long amountMicros, String createdStatus) {}

    @Autowired
    private PlatformTransactionManager transactions;

    private final List<Cred> creds = new ArrayList<>();
    private final List<AgentUnderTest> agents = new ArrayList<>();
    private final List<Hold> holds = new CopyOnWriteArrayList<>();
    private final Map<String, Long> currentDailyLimit = new ConcurrentHashMap<>();
    private final Queue<String> failures = new ConcurrentLinkedQueue<>();
    /** 5xx answers: bugs too, but kept apart so that the books are still checked after one. */
    private final Queue<String> serverErrors = new ConcurrentLinkedQueue<>();
    private final AtomicInteger operations = new AtomicInteger();
    private final AtomicInteger invariantChecks = new AtomicInteger();
    private final Map<String, AtomicInteger> outcomeCounts = new ConcurrentHashMap<>();

    private static String seedNote() {
        return "seed " + SEED + " (replay with -Dpurser.seed=" + SEED + ")";
    }

    @Test
    void randomConcurrentOperationsNeverBreakTheCapsOrTheBooks() throws Exception {
        System.out.println("LedgerPropertyTest " + seedNote());
        Random setup = new Random(SEED);
        createAgentsAndCredentials(setup);

        AtomicBoolean running = new AtomicBoolean(true);
        Thread checker = Thread.ofPlatform().name("invariant-checker").start(() -> {
            while (running.get()) {
                try {
                    checkBooks("during the run");
                } catch (RuntimeException e) {
                    failures.add("the invariant check failed to run: " + e + ", " + seedNote());
                }
                sleep(50);
            }
        });
        try {
            for (int round = 0; round < ROUNDS; round++) {
                runRound(round);
                assertThat(failures).as("unexpected answers or invariant violations in round %d, %s", round, seedNote()).isEmpty();
                checkBooks("after round " + round);
                replayAuditLog("after round " + round);
                assertThat(failures).as("invariant violations after round %d, %s", round, seedNote()).isEmpty();
                // Push the clock past the shortest expiries between rounds too.
                clock.advance(Duration.ofSeconds(61 + setup.nextInt(120)));
            }
        } finally {
            running.set(false);
            checker.join(10_000);
        }

        // Whatever is due must be expired by the sweeper on its own, and the books still agree.
        clock.advance(Duration.ofMinutes(61)); // past the longest expires_in of the run
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                assertThat(openHoldsDue()).as("open holds past expiry, %s", seedNote()).isZero());
        checkBooks("at the end");
        Map<String, Long> replayed = replayAuditLog("at the end");
        assertThat(failures).as("invariant violations, %s", seedNote()).isEmpty();
        // With every hold expired, the replayed usage is what was settled, and the books agree.
        for (Cred c : creds) {
            long settled = jdbc.sql("SELECT coalesce(sum(settled_micros), 0) FROM daily_spend WHERE credential_id = :id")
                    .param("id", c.id()).query(Long.class).single();
            long held = jdbc.sql("SELECT coalesce(sum(held_micros), 0) FROM daily_spend WHERE credential_id = :id")
                    .param("id", c.id()).query(Long.class).single();
            assertThat(held).as("credential %s holds nothing after all expiries, %s", c.id(), seedNote()).isZero();
            assertThat(replayed.getOrDefault(c.id(), 0L)).as("replayed usage of %s, %s", c.id(), seedNote()).isEqualTo(settled);
        }
        System.out.printf("LedgerPropertyTest %s: %d operations, %d live invariant checks, %d holds, outcomes %s%n",
                seedNote(), operations.get(), invariantChecks.get(), holds.size(), new java.util.TreeMap<>(outcomeCounts));
        // The run must actually have exercised the interesting paths, or it proves nothing.
        assertThat(outcomeCounts).as("outcomes, %s", seedNote())
                .containsKeys("preauthorize 201", "settle 200", "void 200", "patch 200");
        assertThat(outcomeCounts.keySet()).as("some holds are declined for caps or funds, %s", seedNote())
                .anyMatch(k -> k.startsWith("preauthorize 402 daily_limit_exceeded")
                        || k.startsWith("preauthorize 402 insufficient_funds"));
        assertThat(jdbc.sql("SELECT count(*) FROM authorizations WHERE status = 'expired' AND agent_id IN (:ids)")
                .param("ids", agents.stream().map(AgentUnderTest::id).toList()).query(Long.class).single())
                .as("some holds expired, %s", seedNote()).isPositive();
        // Last, because the books above are worth checking even then: no operation may fail.
        assertThat(serverErrors).as("server errors (%d of %d operations), %s", serverErrors.size(), operations.get(),
                seedNote()).isEmpty();
    }

    private void createAgentsAndCredentials(Random r) {
        for (int i = 0; i < AGENTS; i++) {
            long funded = (2 + r.nextInt(10)) * MICROS + r.nextInt(100) * 10_000L;
            Agent agent = createAgent("property-" + i + "-" + SEED);
            mintToAgent(agent.id(), agent.wallet(), funded);
            agents.add(new AgentUnderTest(agent.id(), funded));
            int credentialCount = 1 + r.nextInt(3);
            for (int c = 0; c < credentialCount; c++) {
                long perTx = (50 + r.nextInt(350)) * 10_000L; // 0.5 to 4 USDC
                long daily = perTx + r.nextInt(1200) * 10_000L; // up to 12 USDC more
                Long threshold = r.nextInt(3) == 0 ? (long) (20 + r.nextInt((int) (perTx / 10_000L))) * 10_000L : null;
                String caps = "\"per_transaction_limit\":\"" + usdc(perTx) + "\",\"daily_limit\":\"" + usdc(daily) + "\""
                        + (threshold == null ? "" : ",\"approval_threshold\":\"" + usdc(threshold) + "\"");
                Api.Response issued = api().post("/v1/agents/" + agent.id() + "/credentials", ADMIN, "{" + caps + "}");
                assertThat(issued.status()).as(issued.toString()).isEqualTo(201);
                Cred cred = new Cred(issued.string("$.data.id"), agent.id(), issued.string("$.data.secret"), perTx, daily,
                        threshold);
                creds.add(cred);
                currentDailyLimit.put(cred.id(), daily);
            }
        }
    }

    private void runRound(int round) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        CountDownLatch gate = new CountDownLatch(1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                Random r = new Random(SEED * 1_000_003L + round * 101L + t);
                futures.add(pool.submit(() -> {
                    gate.await();
                    for (int i = 0; i < OPERATIONS_PER_THREAD_PER_ROUND; i++) {
                        randomOperation(r);
                        operations.incrementAndGet();
                    }
                    return null;
                }));
            }
            gate.countDown();
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private void randomOperation(Random r) {
        int dice = r.nextInt(100);
        if (dice < 50) {
            preAuthorize(r);
        } else if (dice < 65) {
            settle(r);
        } else if (dice < 75) {
            voidHold(r);
        } else if (dice < 82) {
            decide(r);
        } else if (dice < 87) {
            lowerDailyLimit(r);
        } else if (dice < 89) {
            clock.advance(Duration.ofSeconds(61 + r.nextInt(140)));
            count("advance clock");
        } else {
            readMe(r);
        }
    }

    private void preAuthorize(Random r) {
        Cred c = creds.get(r.nextInt(creds.size()));
        long amount = Math.max(10_000L, (r.nextLong(c.perTxMicros() * 5 / 4) / 10_000L) * 10_000L);
        if (r.nextInt(10) == 0) {
            amount = 1 + r.nextLong(c.perTxMicros() * 5 / 4); // odd micro amounts too
        }
        int expiresIn = List.of(60, 600, 3600).get(r.nextInt(3));
        String body = "{\"amount\":\"" + usdc(amount) + "\",\"merchant\":\"" + MERCHANT + "\",\"expires_in\":" + expiresIn + "}";
        String key = UUID.randomUUID().toString();
        Api.Response resp = api().postWithKey("/v1/authorizations", c.secret(), body, key);
        String what = "pre-authorize " + usdc(amount) + " on " + c.id() + " (per_tx " + usdc(c.perTxMicros()) + ")";
        if (resp.status() == 201) {
            count("preauthorize 201");
            String status = resp.string("$.data.status");
            expect(amount <= c.perTxMicros(), what + " was granted above the per-transaction limit: " + resp);
            boolean needsApproval = c.approvalThresholdMicros() != null && amount > c.approvalThresholdMicros();
            expect(status.equals(needsApproval ? "pending_approval" : "authorized"), what + " has status " + status);
            expect(resp.string("$.data.amount").equals(usdc(amount)), what + " answered amount " + resp.string("$.data.amount"));
            holds.add(new Hold(resp.string("$.data.id"), c, amount, status));
        } else if (resp.status() == 402) {
            String code = resp.string("$.error.code");
            count("preauthorize 402 " + code);
            if (amount > c.perTxMicros()) {
                expect(code.equals("per_transaction_limit_exceeded"), what + " declined with " + resp);
            } else {
                expect(code.equals("daily_limit_exceeded") || code.equals("insufficient_funds"), what + " declined with " + resp);
            }
        } else {
            unexpected(what, resp);
            return;
        }
        if (r.nextInt(10) == 0) {
            // A retry with the same key replays the first answer and changes nothing.
            Api.Response again = api().postWithKey("/v1/authorizations", c.secret(), body, key);
            count("preauthorize replay");
            expect(again.status() == resp.status() && again.body().equals(resp.body())
                    && "true".equals(again.header("Idempotent-Replayed")), what + " replayed as " + again + " after " + resp);
        }
    }

    private void settle(Random r) {
        Hold h = randomHold(r);
        if (h == null) {
            return;
        }
        String body;
        Long requested = null;
        int kind = r.nextInt(10);
        if (kind < 4) {
            body = "{}";
        } else if (kind < 9) {
            requested = 1 + r.nextLong(h.amountMicros());
            body = "{\"amount\":\"" + usdc(requested) + "\"}";
        } else {
            requested = h.amountMicros() + 1 + r.nextInt(1_000_000);
            body = "{\"amount\":\"" + usdc(requested) + "\"}";
        }
        Api.Response resp = api().post("/v1/authorizations/" + h.id() + "/settle", h.cred().secret(), body);
        String what = "settle " + body + " of " + h.id() + " (" + usdc(h.amountMicros()) + ")";
        if (resp.status() == 200) {
            count("settle 200");
            long settled = requested == null ? h.amountMicros() : requested;
            expect(settled <= h.amountMicros(), what + " settled above the authorization: " + resp);
            expect(resp.string("$.data.settled_amount").equals(usdc(settled)), what + " answered " + resp);
        } else if (resp.status() == 409) {
            count("settle 409 " + resp.string("$.error.details.status"));
            expect("authorization_not_settleable".equals(resp.string("$.error.code")), what + " answered " + resp);
        } else if (resp.status() == 422) {
            count("settle 422");
            expect(requested != null && requested > h.amountMicros(), what + " answered " + resp);
        } else {
            unexpected(what, resp);
        }
    }

    private void voidHold(Random r) {
        Hold h = randomHold(r);
        if (h == null) {
            return;
        }
        Api.Response resp = api().post("/v1/authorizations/" + h.id() + "/void", h.cred().secret(), null);
        if (resp.status() == 200) {
            count("void 200");
            expect("voided".equals(resp.string("$.data.status")), "void of " + h.id() + " answered " + resp);
        } else if (resp.status() == 409) {
            count("void 409 " + resp.string("$.error.details.status"));
        } else {
            unexpected("void of " + h.id(), resp);
        }
    }

    /** An operator approves or declines a hold that (at least once) waited for approval. */
    private void decide(Random r) {
        List<Hold> pending = holds.stream().filter(h -> h.createdStatus().equals("pending_approval")).toList();
        if (pending.isEmpty()) {
            readMe(r);
            return;
        }
        Hold h = pending.get(r.nextInt(pending.size()));
        boolean approve = r.nextBoolean();
        Api.Response resp = approve
                ? api().post("/v1/authorizations/" + h.id() + "/approve", ADMIN, null)
                : api().post("/v1/authorizations/" + h.id() + "/decline", ADMIN, "{\"reason\":\"property test\"}");
        String op = approve ? "approve" : "decline";
        if (resp.status() == 200) {
            count(op + " 200");
        } else if (resp.status() == 409) {
            count(op + " 409 " + resp.string("$.error.details.status"));
        } else {
            unexpected(op + " of " + h.id(), resp);
        }
    }

    private void lowerDailyLimit(Random r) {
        Cred c = creds.get(r.nextInt(creds.size()));
        synchronized (c) {
            long current = currentDailyLimit.get(c.id());
            long lowered = Math.max(10_000L, (current * (60 + r.nextInt(36)) / 100) / 10_000L * 10_000L);
            Api.Response resp = api().patch("/v1/credentials/" + c.id(), ADMIN, "{\"daily_limit\":\"" + usdc(lowered) + "\"}");
            if (resp.status() == 200) {
                count("patch 200");
                currentDailyLimit.put(c.id(), lowered);
                expect(resp.string("$.data.daily_limit").equals(usdc(lowered)), "PATCH of " + c.id() + " answered " + resp);
            } else {
                unexpected("PATCH daily_limit " + usdc(lowered) + " of " + c.id(), resp);
            }
        }
    }

    private void readMe(Random r) {
        Cred c = creds.get(r.nextInt(creds.size()));
        Api.Response me = api().get("/v1/me", c.secret());
        if (me.status() != 200) {
            unexpected("GET /v1/me", me);
            return;
        }
        count("me 200");
        BigDecimal available = new BigDecimal(me.string("$.data.agent.balance.available"));
        expect(available.signum() >= 0, "available went negative: " + me);
    }

    /** Mostly one of the latest holds (likely still open), sometimes any hold at all. */
    private Hold randomHold(Random r) {
        int n = holds.size();
        if (n == 0) {
            return null;
        }
        return r.nextInt(10) < 7 ? holds.get(Math.max(0, n - 1 - r.nextInt(8))) : holds.get(r.nextInt(n));
    }

    // ---- the invariants, read straight from PostgreSQL ------------------------------------------

    /**
     * The books, each read in one statement (one snapshot), so they hold at every instant even
     * while operations run: daily_spend and agent_funds equal the sums of the authorizations they
     * summarize, no credential/day is above the highest limit it ever had, and no agent can hold
     * more than its wallet covers.
     */
    private void checkBooks(String when) {
        invariantChecks.incrementAndGet();
        List<String> credIds = creds.stream().map(Cred::id).toList();
        List<String> agentIds = agents.stream().map(AgentUnderTest::id).toList();
        for (Map<String, Object> row : jdbc.sql("""
                SELECT coalesce(d.credential_id, a.credential_id) AS credential_id, coalesce(d.day, a.day) AS day,
                       d.held_micros, d.settled_micros, a.open_micros, a.settled_sum_micros
                FROM (SELECT * FROM daily_spend WHERE credential_id IN (:ids)) d
                FULL JOIN (SELECT credential_id, day,
                                  coalesce(sum(amount_micros) FILTER (WHERE status IN ('authorized', 'pending_approval')), 0)
                                      AS open_micros,
                                  coalesce(sum(settled_amount_micros) FILTER (WHERE status = 'settled'), 0) AS settled_sum_micros
                           FROM authorizations WHERE credential_id IN (:ids) GROUP BY credential_id, day) a
                  ON a.credential_id = d.credential_id AND a.day = d.day
                """).param("ids", credIds).query().listOfRows()) {
            long held = longOf(row.get("held_micros"));
            long settled = longOf(row.get("settled_micros"));
            long open = longOf(row.get("open_micros"));
            long settledSum = longOf(row.get("settled_sum_micros"));
            String credentialId = (String) row.get("credential_id");
            if (row.get("held_micros") == null || held != open || settled != settledSum) {
                failures.add(when + ": daily_spend of " + credentialId + " on " + row.get("day") + " disagrees with its"
                        + " authorizations: " + row + ", " + seedNote());
            }
            long initial = creds.stream().filter(c -> c.id().equals(credentialId)).findFirst().orElseThrow().initialDailyMicros();
            if (held + settled > initial) {
                failures.add(when + ": held + settled " + (held + settled) + " of " + credentialId + " on " + row.get("day")
                        + " is above every daily limit it ever had (" + initial + "), " + seedNote());
            }
        }
        for (Map<String, Object> row : jdbc.sql("""
                SELECT f.agent_id, f.onchain_micros, f.held_micros, f.pending_settlement_micros,
                       (SELECT coalesce(sum(amount_micros), 0) FROM authorizations a
                        WHERE a.agent_id = f.agent_id AND a.status IN ('authorized', 'pending_approval')) AS open_micros,
                       (SELECT coalesce(sum(settled_amount_micros), 0) FROM authorizations a
                        WHERE a.agent_id = f.agent_id AND a.status = 'settled') AS settled_sum_micros
                FROM agent_funds f WHERE f.agent_id IN (:ids)
                """).param("ids", agentIds).query().listOfRows()) {
            String agentId = (String) row.get("agent_id");
            long funded = agents.stream().filter(a -> a.id().equals(agentId)).findFirst().orElseThrow().fundedMicros();
            long onchain = longOf(row.get("onchain_micros"));
            long held = longOf(row.get("held_micros"));
            long pending = longOf(row.get("pending_settlement_micros"));
            long open = longOf(row.get("open_micros"));
            long settledSum = longOf(row.get("settled_sum_micros"));
            if (held != open) {
                failures.add(when + ": agent_funds.held of " + agentId + " is not the sum of its open holds: " + row + ", "
                        + seedNote());
            }
            // What the service counts as available (onchain - pending - held) must never exceed what
            // the wallet really covers: the minted funds less everything held or ever settled. Once
            // the settler pays on-chain, onchain (refreshed from the chain) drops before pending does,
            // so held + pending <= onchain alone may fail for a moment without any overspend.
            if (onchain - pending > funded - settledSum || held + settledSum > funded) {
                failures.add(when + ": agent " + agentId + " could hold more than its wallet covers (funded " + funded
                        + "): " + row + ", " + seedNote());
            }
            if (pending > settledSum || onchain > funded) {
                failures.add(when + ": funds of " + agentId + " do not add up (funded " + funded + "): " + row + ", "
                        + seedNote());
            }
        }
    }

    /**
     * Replays the audit log of the agents under test in its hash-chain order, which is the order
     * the changes committed in (every ledger change appends under one advisory lock held until
     * commit, after taking the row locks of the budget and funds it changes). Checks each hold
     * against the caps in force and the funds left at that point; returns each credential's
     * replayed usage (held + settled, all days).
     */
    private Map<String, Long> replayAuditLog(String when) {
        // One snapshot for the log and the books, so that a sweep committing in between cannot
        // make them disagree.
        TransactionTemplate snapshot = new TransactionTemplate(transactions);
        snapshot.setIsolationLevel(TransactionDefinition.ISOLATION_REPEATABLE_READ);
        snapshot.setReadOnly(true);
        return snapshot.execute(status -> replayAuditLogInSnapshot(when));
    }

    private Map<String, Long> replayAuditLogInSnapshot(String when) {
        List<String> agentIds = agents.stream().map(AgentUnderTest::id).toList();
        Map<String, Long> funded = new HashMap<>();
        agents.forEach(a -> funded.put(a.id(), a.fundedMicros()));
        Map<String, Long> dailyLimit = new HashMap<>();
        Map<String, Long> perTxLimit = new HashMap<>();
        Map<String, Long> usedByCredentialDay = new HashMap<>();
        Map<String, Long> usedByAgent = new HashMap<>();
        Map<String, Long> usedByCredential = new HashMap<>();
        List<Map<String, Object>> events = jdbc.sql("""
                SELECT e.seq, e.type, e.subject, e.data_json, a.credential_id, a.agent_id, a.day, a.amount_micros,
                       a.settled_amount_micros
                FROM audit_events e LEFT JOIN authorizations a ON a.id = e.subject
                WHERE e.agent_id IN (:ids) ORDER BY e.seq
                """).param("ids", agentIds).query().listOfRows();
        for (Map<String, Object> e : events) {
            String type = (String) e.get("type");
            String data = (String) e.get("data_json");
            switch (type) {
                case "credential.issued", "credential.caps_changed" -> {
                    dailyLimit.put((String) e.get("subject"), micros(JsonPath.read(data, "$.daily_limit")));
                    perTxLimit.put((String) e.get("subject"), micros(JsonPath.read(data, "$.per_transaction_limit")));
                }
                case "authorization.authorized", "authorization.pending_approval" -> {
                    String credentialId = (String) e.get("credential_id");
                    String key = credentialId + "/" + e.get("day");
                    long amount = longOf(e.get("amount_micros"));
                    long used = usedByCredentialDay.merge(key, amount, Long::sum);
                    long agentUsed = usedByAgent.merge((String) e.get("agent_id"), amount, Long::sum);
                    usedByCredential.merge(credentialId, amount, Long::sum);
                    if (amount > perTxLimit.get(credentialId)) {
                        failures.add(when + ": audit seq " + e.get("seq") + " held " + amount + " above the per-transaction"
                                + " limit " + perTxLimit.get(credentialId) + " of " + credentialId + ", " + seedNote());
                    }
                    if (used > dailyLimit.get(credentialId)) {
                        failures.add(when + ": audit seq " + e.get("seq") + " took " + key + " to " + used
                                + " above the daily limit in force " + dailyLimit.get(credentialId) + ", " + seedNote());
                    }
                    if (agentUsed > funded.get((String) e.get("agent_id"))) {
                        failures.add(when + ": audit seq " + e.get("seq") + " took agent " + e.get("agent_id")
                                + " to held + settled " + agentUsed + " above its funds " + funded.get(e.get("agent_id"))
                                + ", " + seedNote());
                    }
                }
                case "authorization.settled" -> {
                    long released = micros(JsonPath.read(data, "$.amount")) - micros(JsonPath.read(data, "$.settled_amount"));
                    release(e, released, usedByCredentialDay, usedByAgent, usedByCredential);
                }
                case "authorization.voided", "authorization.expired", "authorization.declined_by_operator" ->
                        release(e, longOf(e.get("amount_micros")), usedByCredentialDay, usedByAgent, usedByCredential);
                default -> {
                    // agent.created, authorization.declined (nothing held), approved, settlement.* ...
                }
            }
        }
        // The replay must land exactly on the books (read after the log, at rest between rounds).
        for (Map<String, Object> row : jdbc.sql("""
                SELECT credential_id, day, held_micros + settled_micros AS used FROM daily_spend WHERE credential_id IN (:ids)
                """).param("ids", creds.stream().map(Cred::id).toList()).query().listOfRows()) {
            String key = row.get("credential_id") + "/" + row.get("day");
            long replayed = usedByCredentialDay.getOrDefault(key, 0L);
            if (replayed != longOf(row.get("used"))) {
                failures.add(when + ": replaying the audit log gives " + replayed + " used on " + key + " but daily_spend says "
                        + row.get("used") + ", " + seedNote());
            }
        }
        return usedByCredential;
    }

    private void release(Map<String, Object> e, long released, Map<String, Long> byCredentialDay,
            Map<String, Long> byAgent, Map<String, Long> byCredential) {
        byCredentialDay.merge(e.get("credential_id") + "/" + e.get("day"), -released, Long::sum);
        byAgent.merge((String) e.get("agent_id"), -released, Long::sum);
        byCredential.merge((String) e.get("credential_id"), -released, Long::sum);
    }

    private long openHoldsDue() {
        return jdbc.sql("""
                SELECT count(*) FROM authorizations
                WHERE status IN ('authorized', 'pending_approval') AND expires_at <= :now AND agent_id IN (:ids)
                """)
                .param("now", Timestamp.from(clock.instant()))
                .param("ids", agents.stream().map(AgentUnderTest::id).toList())
                .query(Long.class)
                .single();
    }

    // ---- small helpers -------------------------------------------------------------------------

    private void expect(boolean condition, String message) {
        if (!condition) {
            failures.add(message + ", " + seedNote());
        }
    }

    private void unexpected(String what, Api.Response resp) {
        count("unexpected " + resp.status());
        (resp.status() >= 500 ? serverErrors : failures).add(what + " answered " + resp + ", " + seedNote());
    }

    private void count(String outcome) {
        outcomeCounts.computeIfAbsent(outcome, k -> new AtomicInteger()).incrementAndGet();
    }

    private static long longOf(Object o) {
        return o == null ? 0 : ((Number) o).longValue();
    }

    private static long micros(String usdc) {
        return new BigDecimal(usdc).movePointRight(6).longValueExact();
    }

    private static String usdc(long micros) {
        return BigDecimal.valueOf(micros, 6).stripTrailingZeros().toPlainString();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

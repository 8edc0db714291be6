package dev.purser.settlement.support;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * An agent that keeps pre-authorizing and settling over HTTP against a service that may die at
 * any instant. Every request is retried with the same Idempotency-Key until the service gives a
 * definitive answer (a connection error, a 5xx, or 409 idempotency_key_in_use is no answer), so
 * that when the driver stops, no settle is left in doubt: each one it started is recorded with
 * the 200 it finally got (first-hand or replayed). Anything else is recorded as unexpected.
 */
public final class SpendDriver implements Runnable {

    /** One settle the service answered 200. */
    public record Settled(String agentWallet, String authorizationId, String settlementId, String merchant, long micros,
            Instant answeredAt) {}

    private static final Duration ANSWER_WITHIN = Duration.ofSeconds(180);

    private final Supplier<Api> api;
    private final SettlementRig.Agent agent;
    private final List<String> merchants;
    private final Random random;
    private final long maxMicros;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final List<Settled> settled = Collections.synchronizedList(new ArrayList<>());
    private final List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
    private volatile int retries;
    private Thread thread;

    public SpendDriver(Supplier<Api> api, SettlementRig.Agent agent, List<String> merchants, long seed, long maxMicros) {
        this.api = api;
        this.agent = agent;
        this.merchants = List.copyOf(merchants);
        this.random = new Random(seed);
        this.maxMicros = maxMicros;
    }

    public SpendDriver start(String name) {
        thread = Thread.ofPlatform().name(name).daemon().start(this);
        return this;
    }

    /** Lets the operation under way finish (it waits for a definitive answer), then stops. */
    public void stopAndJoin(Duration timeout) throws InterruptedException {
        stopping.set(true);
        if (thread != null && !thread.join(timeout)) {
            throw new AssertionError("the driver of " + agent.wallet() + " did not finish its last request within " + timeout);
        }
    }

    @Override
    public void run() {
        while (!stopping.get()) {
            try {
                once();
            } catch (RuntimeException e) {
                unexpected.add("driver failure: " + e);
                return;
            }
        }
    }

    private void once() {
        String merchant = merchants.get(random.nextInt(merchants.size()));
        long authorizedMicros = 1 + random.nextLong(maxMicros);
        long settledMicros = 1 + random.nextLong(authorizedMicros);
        Api.Response authorized = untilAnswered("/v1/authorizations",
                "{\"amount\":\"" + usdc(authorizedMicros) + "\",\"merchant\":\"" + merchant + "\"}");
        if (authorized.status() != 201) {
            unexpected.add("pre-authorize: " + authorized);
            return;
        }
        String authorizationId = authorized.string("$.data.id");
        Api.Response answer = untilAnswered("/v1/authorizations/" + authorizationId + "/settle",
                "{\"amount\":\"" + usdc(settledMicros) + "\"}");
        if (answer.status() != 200) {
            unexpected.add("settle: " + answer);
            return;
        }
        settled.add(new Settled(agent.wallet(), authorizationId, answer.string("$.data.settlement.id"), merchant,
                settledMicros, Instant.now()));
    }

    private Api.Response untilAnswered(String path, String body) {
        String key = UUID.randomUUID().toString();
        Instant deadline = Instant.now().plus(ANSWER_WITHIN);
        while (Instant.now().isBefore(deadline)) {
            try {
                Api.Response r = api.get().postWithKey(path, agent.secret(), body, key);
                boolean noAnswerYet = r.status() >= 500
                        || (r.status() == 409 && r.body().contains("idempotency_key_in_use"));
                if (!noAnswerYet) {
                    return r;
                }
            } catch (IllegalStateException connectionFailed) {
                // The service is down or was killed mid-request: the same key tells it apart on retry.
            }
            retries++;
            SettlementRig.sleep(Duration.ofMillis(100));
        }
        throw new IllegalStateException("no definitive answer to POST " + path + " within " + ANSWER_WITHIN);
    }

    public static String usdc(long micros) {
        return BigDecimal.valueOf(micros, 6).stripTrailingZeros().toPlainString();
    }

    public List<Settled> settled() {
        synchronized (settled) {
            return List.copyOf(settled);
        }
    }

    public List<String> unexpected() {
        synchronized (unexpected) {
            return List.copyOf(unexpected);
        }
    }

    public int retries() {
        return retries;
    }

    public SettlementRig.Agent agent() {
        return agent;
    }
}

package dev.purser.settlement.ledger;

import dev.purser.settlement.support.Api;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;

/**
 * Fires many requests at once from a bounded thread pool behind a start gate, so that the first
 * {@code threads} requests leave together and the rest follow as soon as a thread is free: the
 * service sees as much contention as the pool allows.
 */
final class Concurrently {

    /** No single concurrency run may take longer than this. */
    static final long RUN_TIMEOUT_SECONDS = 120;
    static final int THREADS_MAX = 64;
    static final int REQUESTS_MAX = 10_000;

    private Concurrently() {}

    /** Runs {@code call(i)} for i in [0, requests) on {@code threads} threads; answers in request order. */
    static List<Api.Response> run(int requests, int threads, IntFunction<Api.Response> call) {
        if (threads < 1 || threads > THREADS_MAX || requests < 1 || requests > REQUESTS_MAX) {
            throw new IllegalArgumentException("requests 1.." + REQUESTS_MAX + ", threads 1.." + THREADS_MAX);
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch gate = new CountDownLatch(1);
        try {
            List<Future<Api.Response>> futures = new ArrayList<>(requests);
            for (int i = 0; i < requests; i++) {
                int n = i;
                futures.add(pool.submit(() -> {
                    gate.await();
                    try {
                        return call.apply(n);
                    } catch (RuntimeException e) {
                        // No answer at all (a timeout, a reset connection) is an outcome the test counts.
                        return new Api.Response(0, "no answer: " + e.getCause(), null);
                    }
                }));
            }
            gate.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RUN_TIMEOUT_SECONDS);
            List<Api.Response> responses = new ArrayList<>(requests);
            for (Future<Api.Response> f : futures) {
                responses.add(f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            }
            return responses;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("a concurrent request failed or did not finish in " + RUN_TIMEOUT_SECONDS + " s", e);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Counts answers by outcome: {@code "201 authorized"} for a hold (with its status), otherwise
     * the HTTP status and the error code, e.g. {@code "402 daily_limit_exceeded"}; status 0 is no
     * answer at all.
     */
    static Map<String, Long> outcomes(List<Api.Response> responses) {
        Map<String, Long> counts = new TreeMap<>();
        for (Api.Response r : responses) {
            counts.merge(outcome(r), 1L, Long::sum);
        }
        return counts;
    }

    static String outcome(Api.Response r) {
        try {
            if (r.status() == 201 || r.status() == 200) {
                return r.status() + " " + r.string("$.data.status");
            }
            return r.status() + " " + r.string("$.error.code");
        } catch (RuntimeException notTheEnvelope) {
            return r.status() + " " + r.body();
        }
    }

    static Map<String, Long> expect(Object... outcomeAndCount) {
        Map<String, Long> map = new LinkedHashMap<>();
        for (int i = 0; i < outcomeAndCount.length; i += 2) {
            map.put((String) outcomeAndCount[i], ((Number) outcomeAndCount[i + 1]).longValue());
        }
        return map;
    }
}

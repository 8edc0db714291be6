package dev.purser.settlement.storage;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Background work that exactly one instance does at a time (the settler of a relayer key, the
 * indexer of a chain): one thread runs {@link #whileLeading()} every tick while this instance
 * holds the work's {@link SessionLock}, and stands by otherwise. A failing pass is logged once per
 * distinct problem and retried on the next tick; nothing here ever blocks a request thread.
 */
public abstract class LeaderLoop implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(LeaderLoop.class);

    private final DataSource dataSource;
    private final String lockName;
    private final String threadName;
    private final Duration tick;
    private ScheduledExecutorService executor;
    private SessionLock lock;
    private volatile boolean running;
    private String lastProblem;

    protected LeaderLoop(DataSource dataSource, String lockName, String threadName, Duration tick) {
        this.dataSource = dataSource;
        this.lockName = lockName;
        this.threadName = threadName;
        this.tick = tick;
    }

    /** One pass of the work, run only while this instance holds the lock. */
    protected abstract void whileLeading() throws Exception;

    /** Called on each tick where another instance holds the lock. */
    protected void whileStandingBy() {}

    /** Called after a failed pass, with what failed. */
    protected void afterFailure(Exception e) {}

    /** Called once when the loop stops, before the lock is given back. */
    protected void beforeRelease() {}

    /** Runs one tick now, on the caller's thread (the scheduler calls it every {@code tick}). */
    public void tick() {
        try {
            if (!lock.holdOrAcquire()) {
                whileStandingBy();
                return;
            }
            whileLeading();
            lastProblem = null;
        } catch (Exception e) {
            String problem = e.getClass().getSimpleName() + ": " + e.getMessage();
            if (!problem.equals(lastProblem)) {
                log.warn("{} paused ({}); retrying every {} ms", threadName, problem, tick.toMillis());
                lastProblem = problem;
            }
            afterFailure(e);
        }
    }

    @Override
    public void start() {
        lock = new SessionLock(dataSource, lockName);
        executor = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name(threadName).daemon().unstarted(r));
        executor.scheduleWithFixedDelay(this::tick, 1000, tick.toMillis(), TimeUnit.MILLISECONDS);
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        executor.shutdown();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        beforeRelease();
        lock.close();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        // Starts after the web server and the data source, stops before them.
        return Integer.MAX_VALUE - 1000;
    }
}

package dev.purser.settlement.settlements;

import static org.assertj.core.api.Assertions.assertThat;

import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.ExactlyOnce;
import dev.purser.settlement.support.ServiceProcess;
import dev.purser.settlement.support.SettlementRig;
import dev.purser.settlement.support.SpendDriver;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * DESIGN.md "Scaling out": two service instances share one PostgreSQL; exactly one of them
 * submits settlements (it holds the settler's advisory lock) and the other stands by. When the
 * leader is killed with SIGKILL, PostgreSQL ends its session, the lock passes within seconds, and
 * the other instance carries on: settlements keep landing, each paid exactly once, and its indexer
 * carries the index on without a gap.
 */
class SettlerTakeoverTest {

    /** What an instance logs when it takes the settler's advisory lock (older and newer wording). */
    private static final java.util.regex.Pattern LEADING =
            java.util.regex.Pattern.compile("now submits settlements|now owns purser\\.settler\\.");
    private static final long FUNDED_MICROS = 1_000_000L * 1_000_000;
    private static final Duration TAKEOVER_WITHIN = Duration.ofSeconds(5);
    private static final Duration PAID_AFTER_KILL_WITHIN = Duration.ofSeconds(60);

    @Test
    void whenTheLeadingInstanceIsKilledTheOtherTakesOverWithinSecondsAndEverythingIsPaidOnce() throws Exception {
        try (SettlementRig rig = SettlementRig.start("takeover")) {
            ServiceProcess a = instance(rig, "a");
            ServiceProcess b = instance(rig, "b");
            SpendDriver driver = null;
            try {
                a.launch().awaitAnswering(Duration.ofSeconds(120));
                SettlementRig.awaitTrue(Duration.ofSeconds(60), () -> a.log().contains("Local chain ready"),
                        "the first instance funds its relayer and treasury from account 0");
                SettlementRig.awaitTrue(Duration.ofSeconds(30), () -> leads(a), "the first instance leads");
                b.launch().awaitAnswering(Duration.ofSeconds(120));
                List<String> merchants = List.of(SettlementRig.freshAddress(), SettlementRig.freshAddress());
                SettlementRig.Agent agent = rig.fundedAgent(b.api(), "takeover", FUNDED_MICROS);

                // The agent talks to whichever instance is alive, as behind a load balancer.
                SpendDriver started = new SpendDriver(() -> (a.alive() ? a : b).api(), agent, merchants, 42, 1_000_000)
                        .start("takeover-driver");
                driver = started;
                SettlementRig.awaitTrue(Duration.ofSeconds(60), () -> confirmedCount(b.api(), started) >= 5,
                        "settlements land while the first instance leads");
                assertThat(leads(b)).as("the second instance stands by").isFalse();

                a.kill9();
                Instant killedAt = Instant.now();
                int settledBeforeKill = driver.settled().size();
                SettlementRig.awaitTrue(TAKEOVER_WITHIN, () -> leads(b),
                        "the second instance takes the settler's lock within " + TAKEOVER_WITHIN + " of the kill");
                long takeoverMillis = Duration.between(killedAt, Instant.now()).toMillis();
                // What the first instance had sent but not yet seen mined, the second resolves
                // first: a settle made after the kill waits behind that backlog, whose size is the
                // driver's lead over Ganache on this machine, not a property of the takeover.
                Optional<SpendDriver.Settled> firstAfterKill = Optional.empty();
                Instant deadline = killedAt.plus(PAID_AFTER_KILL_WITHIN);
                while (Instant.now().isBefore(deadline) && firstAfterKill.isEmpty()) {
                    List<SpendDriver.Settled> sofar = driver.settled();
                    List<SpendDriver.Settled> after = sofar.subList(settledBeforeKill, sofar.size());
                    firstAfterKill = after.stream().filter(s -> isConfirmed(b.api(), s.settlementId())).findFirst();
                    SettlementRig.sleep(Duration.ofMillis(200));
                }
                assertThat(firstAfterKill).as("a settle made after the kill is confirmed within " + PAID_AFTER_KILL_WITHIN)
                        .isPresent();
                System.out.printf("takeover: lock taken %d ms after the kill, first post-kill settlement confirmed %d ms"
                        + " after it%n", takeoverMillis, Duration.between(killedAt, Instant.now()).toMillis());

                SettlementRig.sleep(Duration.ofSeconds(3)); // keep going under the new leader for a while
                driver.stopAndJoin(Duration.ofSeconds(60));
                assertThat(driver.unexpected()).isEmpty();
                List<SpendDriver.Settled> settled = driver.settled();
                ExactlyOnce.awaitConfirmed(b.api(), settled.stream().map(SpendDriver.Settled::settlementId).toList(),
                        Duration.ofSeconds(60));
                ExactlyOnce.assertPaidExactlyOnce(rig, b.api(), settled, merchants, Map.of(agent.wallet(), FUNDED_MICROS));
                ExactlyOnce.assertIndexMatchesChain(rig, List.of(agent.wallet()), Duration.ofSeconds(60));
            } catch (Throwable t) {
                System.out.println("instance a:\n" + a.logTail(60) + "\ninstance b:\n" + b.logTail(60));
                throw t;
            } finally {
                if (driver != null) {
                    try {
                        driver.stopAndJoin(Duration.ofSeconds(5));
                    } catch (AssertionError | InterruptedException ignored) {
                        // The driver is a daemon thread; the services are going away.
                    }
                }
                a.stop();
                b.stop();
            }
        }
    }

    private static boolean leads(ServiceProcess instance) {
        return LEADING.matcher(instance.log()).find();
    }

    private ServiceProcess instance(SettlementRig rig, String name) {
        Map<String, String> properties = rig.serviceProperties(name, rig.node().rpcUrl());
        properties.put("purser.settlement.tick", "PT0.2S");
        properties.put("purser.settlement.max-batch-items", "5");
        return ServiceProcess.configure("purser-" + name, ServiceProcess.freePort(), rig.dir().resolve(name + ".log"), properties);
    }

    private long confirmedCount(Api api, SpendDriver driver) {
        return driver.settled().stream().filter(s -> isConfirmed(api, s.settlementId())).count();
    }

    private static boolean isConfirmed(Api api, String settlementId) {
        try {
            String status = api.get("/v1/settlements/" + settlementId, SettlementRig.ADMIN).string("$.data.status");
            return status.equals("confirmed") || status.equals("finalized");
        } catch (RuntimeException e) {
            return false;
        }
    }
}

package dev.purser.settlement.settlements;

import static org.assertj.core.api.Assertions.assertThat;

import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.ExactlyOnce;
import dev.purser.settlement.support.ServiceProcess;
import dev.purser.settlement.support.SettlementRig;
import dev.purser.settlement.support.SpendDriver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * DESIGN.md invariants 2 and 3 under kill -9: the service runs as a child JVM over a PostgreSQL
 * and a Ganache of the test's own; two agents keep pre-authorizing and settling over HTTP while
 * the service is killed with SIGKILL at random instants (during start-up, while forming, signing,
 * sending, resolving) and started again, at least 20 times. Afterwards every settle that answered
 * 200 must be paid once and only once, as the token records it, and the index must hold every
 * token log of the agents' wallets exactly once.
 *
 * <p>Replay a run with {@code -Dpurser.seed=<seed printed at the start>}.
 */
class SettlerKillNineTest {

    private static final int KILLS = 20;
    private static final long FUNDED_MICROS = 1_000_000L * 1_000_000; // 1,000,000 USDC per agent
    private static final long MAX_AUTHORIZATION_MICROS = 2_000_000; // 2 USDC

    @Test
    void everySettleThatAnswered200IsPaidExactlyOnceAcrossTwentyKillNines() throws Exception {
        long seed = Long.getLong("purser.seed", System.nanoTime());
        System.out.println("SettlerKillNineTest seed " + seed + " (replay with -Dpurser.seed=" + seed + ")");
        Random random = new Random(seed);

        try (SettlementRig rig = SettlementRig.start("kill9")) {
            Map<String, String> properties = rig.serviceProperties("a", rig.node().rpcUrl());
            properties.put("purser.settlement.tick", "PT0.2S");
            properties.put("purser.settlement.max-batch-items", "5");
            ServiceProcess service = ServiceProcess.configure("purser-kill9", ServiceProcess.freePort(),
                    rig.dir().resolve("service.log"), properties);
            List<SpendDriver> drivers = new ArrayList<>();
            try {
                service.launch().awaitAnswering(Duration.ofSeconds(120));
                SettlementRig.awaitTrue(Duration.ofSeconds(60), () -> service.log().contains("Local chain ready"),
                        "the service funds its relayer and treasury from account 0");
                Api api = service.api();
                List<String> merchants = List.of(SettlementRig.freshAddress(), SettlementRig.freshAddress(),
                        SettlementRig.freshAddress());
                Map<String, Long> funded = new LinkedHashMap<>();
                for (int i = 0; i < 2; i++) {
                    SettlementRig.Agent agent = rig.fundedAgent(api, "kill9-agent-" + i, FUNDED_MICROS);
                    funded.put(agent.wallet(), FUNDED_MICROS);
                    drivers.add(new SpendDriver(service::api, agent, merchants, seed + i + 1, MAX_AUTHORIZATION_MICROS));
                }
                // The relayer's first transaction (nonce 0) lands before any kill: Ganache 7.9.2 accepts a
                // rebroadcast of an already mined nonce-0 transaction and executes it again (a node bug no
                // real chain has), which a restart's byte-for-byte rebroadcast would trigger.
                SettlementRig.Agent warmUp = rig.fundedAgent(api, "kill9-warm-up", 10_000_000);
                String warmUpAuthorization = api.post("/v1/authorizations", warmUp.secret(),
                        "{\"amount\":\"1\",\"merchant\":\"" + merchants.getFirst() + "\"}").string("$.data.id");
                Api.Response warmUpSettle = api.post("/v1/authorizations/" + warmUpAuthorization + "/settle", warmUp.secret(), "{}");
                assertThat(warmUpSettle.status()).as(warmUpSettle.toString()).isEqualTo(200);
                ExactlyOnce.awaitConfirmed(api, List.of(warmUpSettle.string("$.data.settlement.id")), Duration.ofSeconds(60));
                List<SpendDriver.Settled> warmUpSettled = List.of(new SpendDriver.Settled(warmUp.wallet(), warmUpAuthorization,
                        warmUpSettle.string("$.data.settlement.id"), merchants.getFirst(), 1_000_000, Instant.now()));
                funded.put(warmUp.wallet(), 10_000_000L);
                // A clean stop once, so that the JVM writes its class-data archive and every restart is quicker.
                service.stop();

                drivers.forEach(d -> d.start("driver-" + d.agent().id()));
                int killedStarting = 0;
                Instant started = Instant.now();
                for (int kill = 1; kill <= KILLS; kill++) {
                    service.launch();
                    boolean duringStartUp = random.nextInt(4) == 0;
                    if (duringStartUp) {
                        SettlementRig.sleep(Duration.ofMillis(500 + random.nextInt(5_000)));
                        if (service.health().isEmpty()) {
                            killedStarting++;
                        }
                    } else {
                        service.awaitAnswering(Duration.ofSeconds(120));
                        SettlementRig.sleep(Duration.ofMillis(300 + random.nextInt(3_200)));
                    }
                    service.kill9();
                    int settles = drivers.stream().mapToInt(d -> d.settled().size()).sum();
                    System.out.printf("kill %d at %d ms (%s): %d settles answered 200 so far%n", kill,
                            Duration.between(started, Instant.now()).toMillis(), duringStartUp ? "start-up" : "running",
                            settles);
                }

                service.launch().awaitAnswering(Duration.ofSeconds(120));
                for (SpendDriver d : drivers) {
                    d.stopAndJoin(Duration.ofSeconds(60));
                }
                List<SpendDriver.Settled> settled = new ArrayList<>();
                drivers.forEach(d -> settled.addAll(d.settled()));
                settled.addAll(warmUpSettled);
                List<String> unexpected = new ArrayList<>();
                drivers.forEach(d -> unexpected.addAll(d.unexpected()));
                System.out.printf("%d kills (%d before the service answered), %d settles answered 200, %d retried requests%n",
                        KILLS, killedStarting, settled.size(), drivers.stream().mapToInt(SpendDriver::retries).sum());

                assertThat(unexpected).as("answers other than 201/200 (seed " + seed + ")").isEmpty();
                assertThat(settled).as("the drivers got settles through between the kills").hasSizeGreaterThan(KILLS);
                assertThat(settled.stream().map(SpendDriver.Settled::settlementId).distinct().count())
                        .as("immediate mode: one settlement per settled authorization").isEqualTo(settled.size());

                ExactlyOnce.awaitConfirmed(api, settled.stream().map(SpendDriver.Settled::settlementId).toList(),
                        Duration.ofSeconds(120));
                ExactlyOnce.assertPaidExactlyOnce(rig, api, settled, merchants, funded);
                // The indexer was killed as often as the settler: it resumed from its cursor each time.
                ExactlyOnce.assertIndexMatchesChain(rig, funded.keySet(), Duration.ofSeconds(60));
            } catch (Throwable t) {
                System.out.println("seed " + seed + "; service log tail:\n" + service.logTail(150));
                throw t;
            } finally {
                for (SpendDriver d : drivers) {
                    try {
                        d.stopAndJoin(Duration.ofSeconds(5));
                    } catch (AssertionError | InterruptedException ignored) {
                        // The service is going away; the driver is a daemon thread.
                    }
                }
                service.stop();
            }
        }
    }
}

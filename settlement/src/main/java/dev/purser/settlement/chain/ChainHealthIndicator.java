package dev.purser.settlement.chain;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import dev.purser.settlement.config.PurserProperties;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;
import org.web3j.protocol.Web3j;

/**
 * The {@code chain} component of /actuator/health: UP when the RPC endpoint answers with the
 * configured chain id. The answer is cached for a couple of seconds so that health probes cannot
 * turn into an RPC load of their own.
 */
@Component("chain")
class ChainHealthIndicator implements HealthIndicator {

    private final Web3j web3j;
    private final ChainSettings settings;
    private final ContractRegistry contracts;
    private final Clock clock;
    private final Duration ttl;
    private final AtomicReference<Cached> cache = new AtomicReference<>();

    ChainHealthIndicator(Web3j web3j, ChainSettings settings, ContractRegistry contracts, Clock clock,
            PurserProperties properties) {
        this.web3j = web3j;
        this.settings = settings;
        this.contracts = contracts;
        this.clock = clock;
        this.ttl = properties.chain().healthCacheTtl();
    }

    private record Cached(Health health, Instant at) {}

    @Override
    public Health health() {
        Instant now = clock.instant();
        Cached cached = cache.get();
        if (cached != null && cached.at().plus(ttl).isAfter(now)) {
            return cached.health();
        }
        Health fresh = probe();
        cache.set(new Cached(fresh, now));
        return fresh;
    }

    private Health probe() {
        Health.Builder builder;
        try {
            long chainId = web3j.ethChainId().send().getChainId().longValueExact();
            long head = web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
            builder = chainId == settings.chainId()
                    ? Health.up()
                    : Health.down().withDetail("error", "the RPC endpoint serves chain " + chainId
                            + ", not the configured " + settings.chainId());
            builder.withDetail("head_block", head);
        } catch (Exception e) {
            builder = Health.down().withDetail("error", "the RPC endpoint does not answer");
        }
        builder.withDetail("chain_id", settings.chainId());
        var deployed = contracts.current();
        if (deployed.isPresent()) {
            builder.withDetail("token", deployed.get().token()).withDetail("batch_settler", deployed.get().batchSettler());
        } else {
            builder.withDetail("contracts", "not yet deployed");
        }
        return builder.build();
    }
}

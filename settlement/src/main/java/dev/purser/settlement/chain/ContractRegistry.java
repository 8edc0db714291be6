package dev.purser.settlement.chain;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.stereotype.Component;

/**
 * The addresses of the token and BatchSettler this instance works with. Known at start when
 * configured; in the local profile they become known once {@link LocalChainBootstrap} has found
 * or deployed the contracts.
 */
@Component
public class ContractRegistry {

    /** The two contract addresses, EIP-55. */
    public record Contracts(String token, String batchSettler) {}

    private final AtomicReference<Contracts> contracts = new AtomicReference<>();

    ContractRegistry(ChainSettings settings) {
        if (settings.configuredToken() != null && settings.configuredBatchSettler() != null) {
            contracts.set(new Contracts(settings.configuredToken(), settings.configuredBatchSettler()));
        }
    }

    public Optional<Contracts> current() {
        return Optional.ofNullable(contracts.get());
    }

    void publish(Contracts deployed) {
        contracts.set(deployed);
    }
}

package dev.purser.settlement.config;

import java.util.Arrays;
import java.util.Locale;

/**
 * Where Purser runs. The local profile may generate its own master key, run an embedded
 * PostgreSQL and deploy its own contracts; the Base profiles refuse to start without what
 * production needs.
 */
public enum DeploymentProfile {
    LOCAL("local", 1337, null),
    BASE_SEPOLIA("base-sepolia", 84532, "0x036CbD53842c5426634e7929541eC2318f3dCF7e"),
    BASE("base", 8453, "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913");

    private final String id;
    private final long chainId;
    private final String usdcAddress;

    DeploymentProfile(String id, long chainId, String usdcAddress) {
        this.id = id;
        this.chainId = chainId;
        this.usdcAddress = usdcAddress;
    }

    public static DeploymentProfile fromId(String id) {
        String wanted = id == null ? "" : id.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values())
                .filter(p -> p.id.equals(wanted))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(
                        "PURSER_PROFILE must be one of local, base-sepolia, base; got '" + id + "'"));
    }

    public String id() {
        return id;
    }

    /** The chain id the RPC endpoint must answer with. */
    public long chainId() {
        return chainId;
    }

    /** Circle's USDC on this chain, or null where Purser deploys its own test token. */
    public String usdcAddress() {
        return usdcAddress;
    }

    public boolean isLocal() {
        return this == LOCAL;
    }
}

package dev.purser.settlement.config;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Purser's configuration, bound from {@code purser.*} (application.yml maps the PURSER_*
 * environment variables of the README onto these). Secrets here never print themselves.
 */
@ConfigurationProperties("purser")
public record PurserProperties(
        @DefaultValue("local") String profile,
        @DefaultValue("./.purser") Path dataDir,
        Db db,
        Chain chain,
        String masterKey,
        String bootstrapAdminSecret,
        Settlement settlement) {

    public PurserProperties {
        db = db == null ? new Db(null, null, null) : db;
        chain = chain == null ? new Chain(null, null, null, null, null, 1, null, null) : chain;
        settlement = settlement == null ? new Settlement(null, null, null, null, null, null, null, null, null, null, null, null) : settlement;
        DeploymentProfile.fromId(profile); // fail fast on a typo
    }

    public DeploymentProfile deploymentProfile() {
        return DeploymentProfile.fromId(profile);
    }

    /** Whether an external PostgreSQL is configured; otherwise the embedded one runs. */
    public boolean externalDatabase() {
        return db.url() != null && !db.url().isBlank();
    }

    public record Db(String url, String user, String password) {
        @Override
        public String toString() {
            return "Db[url=" + url + ", user=" + user + ", password=" + (password == null ? "unset" : "<redacted>") + "]";
        }
    }

    /**
     * The chain: its JSON-RPC endpoint, the expected chain id (from the profile unless set), the
     * contract addresses (deployed by the local profile when unset), the local funder key, and
     * confirmation depth.
     */
    public record Chain(
            String rpcUrl,
            Long chainId,
            String tokenAddress,
            String batchSettlerAddress,
            String localFunderKey,
            @DefaultValue("1") int confirmations,
            Duration rpcTimeout,
            Duration healthCacheTtl) {

        public Chain {
            rpcTimeout = rpcTimeout == null ? Duration.ofSeconds(5) : rpcTimeout;
            healthCacheTtl = healthCacheTtl == null ? Duration.ofSeconds(2) : healthCacheTtl;
            if (confirmations < 0 || confirmations > 10_000) {
                throw new IllegalArgumentException("PURSER_CONFIRMATIONS must be between 0 and 10000");
            }
        }

        @Override
        public String toString() {
            return "Chain[rpcUrl=" + rpcUrl + ", chainId=" + chainId + ", token=" + tokenAddress
                    + ", batchSettler=" + batchSettlerAddress + ", localFunderKey="
                    + (localFunderKey == null ? "unset" : "<redacted>") + ", confirmations=" + confirmations + "]";
        }
    }

    /**
     * How settled authorizations become on-chain payments: {@code immediate} (one settlement each)
     * or {@code aggregated} per (agent, merchant), closed by window, amount or count; batches of at
     * most {@code maxBatchItems} per BatchSettler transaction; the relayer's fee ceiling and the
     * ETH balance below which health warns; and {@code nonceLookbackBlocks}, how far below a batch
     * the settler searches for the log of whoever spent a nonce the token refused as used or
     * canceled (each 5,000 blocks cost one eth_getLogs).
     */
    public record Settlement(
            String mode,
            Duration aggregationWindow,
            String aggregationMaxAmount,
            Integer aggregationMaxItems,
            Integer maxBatchItems,
            Duration authorizationValidity,
            Integer finalityDepth,
            java.math.BigInteger relayerMaxFeeGwei,
            String relayerLowBalanceEth,
            Duration relayerStuckAfter,
            Duration tick,
            Long nonceLookbackBlocks) {

        public Settlement {
            mode = mode == null || mode.isBlank() ? "immediate" : mode.trim();
            if (!mode.equals("immediate") && !mode.equals("aggregated")) {
                throw new IllegalArgumentException("PURSER_SETTLEMENT_MODE must be immediate or aggregated, got " + mode);
            }
            aggregationWindow = aggregationWindow == null ? Duration.ofSeconds(60) : aggregationWindow;
            aggregationMaxAmount = aggregationMaxAmount == null ? "1000" : aggregationMaxAmount;
            aggregationMaxItems = aggregationMaxItems == null ? 100 : aggregationMaxItems;
            maxBatchItems = maxBatchItems == null ? 100 : maxBatchItems;
            authorizationValidity = authorizationValidity == null ? Duration.ofHours(1) : authorizationValidity;
            finalityDepth = finalityDepth == null ? 12 : finalityDepth;
            relayerMaxFeeGwei = relayerMaxFeeGwei == null ? java.math.BigInteger.valueOf(200) : relayerMaxFeeGwei;
            relayerLowBalanceEth = relayerLowBalanceEth == null ? "0.05" : relayerLowBalanceEth;
            relayerStuckAfter = relayerStuckAfter == null ? Duration.ofSeconds(30) : relayerStuckAfter;
            tick = tick == null ? Duration.ofMillis(500) : tick;
            nonceLookbackBlocks = nonceLookbackBlocks == null ? 50_000L : nonceLookbackBlocks;
            if (aggregationMaxItems < 1 || aggregationMaxItems > 10_000) {
                throw new IllegalArgumentException("aggregation max items must be 1 to 10000");
            }
            if (maxBatchItems < 1 || maxBatchItems > 200) {
                throw new IllegalArgumentException("max batch items must be 1 to 200");
            }
            if (nonceLookbackBlocks < 0 || nonceLookbackBlocks > 1_000_000) {
                throw new IllegalArgumentException("nonce lookback blocks must be 0 to 1000000");
            }
        }

        public boolean aggregated() {
            return mode.equals("aggregated");
        }
    }

    @Override
    public String toString() {
        return "PurserProperties[profile=" + profile + ", dataDir=" + dataDir + ", db=" + db + ", chain=" + chain
                + ", masterKey=" + (masterKey == null ? "unset" : "<redacted>")
                + ", bootstrapAdminSecret=" + (bootstrapAdminSecret == null ? "unset" : "<redacted>")
                + ", settlement=" + settlement + "]";
    }
}

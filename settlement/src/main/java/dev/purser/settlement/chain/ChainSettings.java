package dev.purser.settlement.chain;

import dev.purser.settlement.config.DeploymentProfile;
import dev.purser.settlement.config.PurserProperties;
import org.web3j.crypto.Keys;

/**
 * What Purser expects of its chain: the chain id the RPC must answer with, and the contract
 * addresses given by configuration (null where the local profile deploys its own).
 */
public record ChainSettings(DeploymentProfile profile, long chainId, String rpcUrl, String configuredToken,
        String configuredBatchSettler, int confirmations) {

    static ChainSettings from(PurserProperties properties) {
        DeploymentProfile profile = properties.deploymentProfile();
        PurserProperties.Chain chain = properties.chain();
        long chainId = chain.chainId() != null ? chain.chainId() : profile.chainId();
        String token = blankToNull(chain.tokenAddress());
        if (token == null) {
            token = profile.usdcAddress();
        }
        String batchSettler = blankToNull(chain.batchSettlerAddress());
        if (!profile.isLocal() && batchSettler == null) {
            throw new IllegalStateException("PURSER_BATCH_SETTLER_ADDRESS is required with PURSER_PROFILE="
                    + profile.id() + "; only the local profile deploys its own BatchSettler");
        }
        return new ChainSettings(profile, chainId, chain.rpcUrl(), checksummed(token, "PURSER_TOKEN_ADDRESS"),
                checksummed(batchSettler, "PURSER_BATCH_SETTLER_ADDRESS"), chain.confirmations());
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static String checksummed(String address, String variable) {
        if (address == null) {
            return null;
        }
        if (!address.matches("0x[0-9a-fA-F]{40}")) {
            throw new IllegalStateException(variable + " must be 0x followed by 40 hex digits");
        }
        String checksummed = Keys.toChecksumAddress(address);
        boolean mixedCase = !address.equals(address.toLowerCase()) && !address.substring(2).equals(address.substring(2).toUpperCase());
        if (mixedCase && !checksummed.equals(address)) {
            throw new IllegalStateException(variable + " fails its EIP-55 checksum");
        }
        return checksummed;
    }
}

package dev.purser.wallet.eip3009;

import dev.purser.wallet.Addresses;
import java.util.Objects;

/**
 * The EIP-712 domain of a FiatToken-style token: {@code EIP712Domain(string name,string version,
 * uint256 chainId,address verifyingContract)}. Read name and version from the token
 * ({@link TokenDomains#read}) rather than hard-coding them: USDC is "USD Coin" on Base mainnet and
 * "USDC" on Base Sepolia.
 *
 * @param name the token's EIP-712 name, 1 to 64 characters
 * @param version the token's EIP-712 version, 1 to 16 characters ("2" for FiatToken v2.x)
 * @param chainId the chain id, positive
 * @param verifyingContract the token address; stored EIP-55 checksummed
 */
public record Eip712Domain(String name, String version, long chainId, String verifyingContract) {

    private static final int MAX_NAME_LENGTH = 64;
    private static final int MAX_VERSION_LENGTH = 16;

    public Eip712Domain {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        if (name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("domain name must be 1 to " + MAX_NAME_LENGTH + " characters");
        }
        if (version.isEmpty() || version.length() > MAX_VERSION_LENGTH) {
            throw new IllegalArgumentException("domain version must be 1 to " + MAX_VERSION_LENGTH + " characters");
        }
        if (chainId <= 0) {
            throw new IllegalArgumentException("chain id must be positive, got " + chainId);
        }
        verifyingContract = Addresses.checksummed(verifyingContract, "verifying contract");
    }

    /** The domain separator, {@code hashStruct(EIP712Domain)}, as the token computes it. */
    public Bytes32 separator() {
        return Eip3009.domainSeparator(this);
    }
}

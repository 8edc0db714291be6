package dev.purser.wallet.keys;

import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.Sign;

/**
 * Something that signs for one Ethereum address without showing its key. {@link LocalSigner}
 * holds the key in memory; a KMS or HSM signer can implement the same contract.
 *
 * <p>Implementations are thread-safe and never reveal key material, neither through accessors
 * nor in {@code toString}, logs or exception messages.
 */
public interface Signer {

    /** The signer's address, EIP-55 checksummed ({@code 0x} and 40 hex digits). */
    String address();

    /**
     * Signs a 32-byte digest as it is, without the {@code "\x19Ethereum Signed Message"} prefix:
     * the caller passes a finished EIP-712 digest. The signature is deterministic (RFC 6979),
     * canonical (low s) and has {@code v} = 27 or 28, as {@code ecrecover} expects.
     *
     * @throws IllegalArgumentException if {@code digest32} is not exactly 32 bytes
     */
    Sign.SignatureData signDigest(byte[] digest32);

    /**
     * Signs a transaction and returns the raw bytes to broadcast with
     * {@code eth_sendRawTransaction}. A legacy transaction is signed with EIP-155 replay
     * protection for {@code chainId}; a typed (EIP-1559) transaction must carry that same chain id.
     *
     * @throws IllegalArgumentException if a typed transaction names another chain id
     */
    byte[] signTransaction(RawTransaction transaction, long chainId);
}

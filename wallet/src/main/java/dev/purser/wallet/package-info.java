/**
 * Purser's wallet: a plain Java library (no Spring) that keeps the deployment's HD seed
 * encrypted at rest ({@link dev.purser.wallet.keys}), signs EIP-3009 authorizations
 * ({@link dev.purser.wallet.eip3009}) and sends the relayer's transactions with a persisted,
 * gap-free nonce and crash-safe rebroadcast ({@link dev.purser.wallet.tx}).
 *
 * <p>Private keys never leave this module: callers hold a {@link dev.purser.wallet.keys.Signer},
 * never key bytes, and every type that holds a key, seed, mnemonic or master key redacts itself
 * in {@code toString}.
 */
package dev.purser.wallet;

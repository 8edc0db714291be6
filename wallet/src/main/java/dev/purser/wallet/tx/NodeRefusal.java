package dev.purser.wallet.tx;

import java.util.Locale;

/**
 * What a node's refusal of {@code eth_sendRawTransaction} means for the sender. Clients word these
 * differently (geth and op-geth, Nethermind, Besu, Erigon, Ganache), so the match is on the
 * phrases they share, lowercased with underscores read as spaces.
 */
enum NodeRefusal {
    /** The node already has this very transaction: as good as accepted. */
    ALREADY_KNOWN,
    /** The chain is past this nonce: one of our attempts mined, or something else used the nonce. */
    NONCE_TOO_LOW,
    /** An earlier attempt at the nonce is in the pool with fees this one does not beat enough. */
    REPLACEMENT_UNDERPRICED,
    /** The fees are below what the node takes now (its minimum, or the current base fee). */
    FEES_TOO_LOW,
    /** The relayer cannot pay for gas: an operator must fund it; the sender keeps retrying. */
    INSUFFICIENT_FUNDS,
    /** Anything else: probably a transaction the node will never take (bad gas limit, oversize). */
    OTHER;

    static NodeRefusal of(String message) {
        String m = message.toLowerCase(Locale.ROOT).replace('_', ' ');
        if (m.contains("already known") || m.contains("known transaction") || m.contains("alreadyknown")
                || m.contains("already imported") || m.contains("already in the pool")
                || m.contains("already exists")) {
            return ALREADY_KNOWN;
        }
        // Ganache 7 words it "the tx doesn't have the correct nonce. account has nonce of: 6 tx has nonce
        // of: 1", and only for a nonce below the account's (a higher one is queued, not refused).
        if (m.contains("nonce too low") || m.contains("oldnonce") || m.contains("nonce has already been used")
                || m.contains("nonce is too low") || m.contains("correct nonce")) {
            return NONCE_TOO_LOW;
        }
        if (m.contains("replacement") && m.contains("underpriced")) {
            return REPLACEMENT_UNDERPRICED;
        }
        if (m.contains("underpriced") || m.contains("less than block base fee") || m.contains("fee cap less than")
                || m.contains("feetoolow") || m.contains("gas price too low") || m.contains("max fee per gas less than")) {
            return FEES_TOO_LOW;
        }
        if (m.contains("insufficient funds")) {
            return INSUFFICIENT_FUNDS;
        }
        return OTHER;
    }
}

package dev.purser.wallet.tx;

import java.util.Objects;

/** A node's answer to {@code eth_sendRawTransaction}. */
public sealed interface BroadcastResult {

    /** The node took the transaction. */
    record Accepted(String txHash) implements BroadcastResult {
        public Accepted {
            Objects.requireNonNull(txHash, "txHash");
        }
    }

    /** The node answered with a JSON-RPC error, e.g. "nonce too low" or "already known". */
    record Rejected(String message) implements BroadcastResult {
        public Rejected {
            Objects.requireNonNull(message, "message");
            message = message.length() > 1000 ? message.substring(0, 1000) : message;
        }
    }
}

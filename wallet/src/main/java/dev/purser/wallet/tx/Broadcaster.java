package dev.purser.wallet.tx;

import java.io.IOException;

/**
 * Hands signed transactions to the network. {@link Web3jBroadcaster} is the real one; the seam
 * exists so that tests can simulate a crash between storing a transaction and broadcasting it.
 *
 * <p>A broadcaster that throws an {@link Error} halts the {@link TransactionSender} at once, as if
 * the process had died there: nothing more is stored or broadcast, and callers still waiting get
 * an exception. Tests use this to crash a sender between storing and broadcasting.
 */
@FunctionalInterface
public interface Broadcaster {

    /**
     * Sends {@code signedRaw} with {@code eth_sendRawTransaction}.
     *
     * @return the node's answer: accepted with a hash, or refused with the node's message
     * @throws IOException if the node could not be reached or did not answer (the sender retries)
     */
    BroadcastResult broadcast(byte[] signedRaw) throws IOException;
}

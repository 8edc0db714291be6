package dev.purser.wallet.tx;

/**
 * A snapshot of a sender for health checks and metrics.
 *
 * @param relayer the relayer address
 * @param queued requests waiting to be stored
 * @param inFlight stored transactions not yet resolved
 * @param running false once closed or halted
 */
public record SenderStatus(String relayer, int queued, int inFlight, boolean running) {}

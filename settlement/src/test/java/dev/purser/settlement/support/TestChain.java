package dev.purser.settlement.support;

import dev.purser.contracts.testing.GanacheNode;

/**
 * One Ganache for the service tests of a JVM, started on first use and stopped when the JVM
 * exits. Tests that rewind the chain or stop its miner start their own {@link GanacheNode}.
 */
public final class TestChain {

    private static GanacheNode node;

    private TestChain() {}

    public static synchronized GanacheNode shared() {
        if (node == null) {
            node = GanacheNode.start();
            Runtime.getRuntime().addShutdownHook(new Thread(node::close, "ganache-stop"));
        }
        return node;
    }
}

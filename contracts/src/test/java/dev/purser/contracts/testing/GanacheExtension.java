package dev.purser.contracts.testing;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that gives a test a running Ganache node ({@link GanacheNode}) and the
 * contracts deployed on it ({@link DeployedContracts}), as constructor or method parameters.
 *
 * <p>One node is shared by every test class of a run (started on first use, stopped when the run
 * ends) because starting Ganache costs seconds. Tests on the shared node must not rewind it or
 * stop its miner; those start a private {@link GanacheNode} instead.
 */
public final class GanacheExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(GanacheExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == GanacheNode.class || type == DeployedContracts.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Shared shared = context.getRoot().getStore(NAMESPACE)
                .computeIfAbsent(Shared.class, k -> Shared.start(), Shared.class);
        return parameter.getParameter().getType() == GanacheNode.class ? shared.node : shared.contracts;
    }

    /** The shared node and its contracts; the root store closes it when the run ends. */
    private static final class Shared implements AutoCloseable {
        final GanacheNode node;
        final DeployedContracts contracts;

        private Shared(GanacheNode node, DeployedContracts contracts) {
            this.node = node;
            this.contracts = contracts;
        }

        static Shared start() {
            GanacheNode node = GanacheNode.start();
            try {
                return new Shared(node, DeployedContracts.deploy(node));
            } catch (RuntimeException e) {
                node.close();
                throw e;
            }
        }

        @Override
        public void close() {
            node.close();
        }
    }
}

package dev.purser.contracts.testing;

import dev.purser.contracts.BatchSettler;
import dev.purser.contracts.TestUSDC;
import java.math.BigInteger;
import org.web3j.crypto.Credentials;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.TransactionManager;
import org.web3j.tx.gas.StaticGasProvider;

/**
 * TestUSDC and BatchSettler deployed on a {@link GanacheNode} by its account 0, which is
 * therefore TestUSDC's minter.
 */
public record DeployedContracts(GanacheNode node, TestUSDC token, BatchSettler batchSettler, Credentials deployer) {

    /** Gas settings for test transactions: enough for a BatchSettler call of 100 items. */
    public static final StaticGasProvider GAS =
            new StaticGasProvider(BigInteger.valueOf(20_000_000_000L), BigInteger.valueOf(12_000_000));

    /** EIP-712 domain name of the local token (the same as USDC on Base mainnet). */
    public static final String TOKEN_NAME = "USD Coin";

    public static DeployedContracts deploy(GanacheNode node) {
        Credentials deployer = node.account(0);
        TransactionManager tm = transactionManager(node, deployer);
        try {
            TestUSDC token = TestUSDC.deploy(node.web3j(), tm, GAS, TOKEN_NAME).send();
            BatchSettler settler = BatchSettler.deploy(node.web3j(), tm, GAS).send();
            return new DeployedContracts(node, token, settler, deployer);
        } catch (Exception e) {
            throw new IllegalStateException("could not deploy the contracts on Ganache:\n" + node.logTail(), e);
        }
    }

    /** A transaction manager for a Ganache account (tests only: it asks the node for nonces). */
    public static TransactionManager transactionManager(GanacheNode node, Credentials credentials) {
        return new RawTransactionManager(node.web3j(), credentials, GanacheNode.CHAIN_ID);
    }

    /** The token contract as seen by another sender. */
    public TestUSDC tokenAs(Credentials sender) {
        return TestUSDC.load(token.getContractAddress(), node.web3j(), transactionManager(node, sender), GAS);
    }

    /** BatchSettler as seen by another sender. */
    public BatchSettler batchSettlerAs(Credentials sender) {
        return BatchSettler.load(batchSettler.getContractAddress(), node.web3j(), transactionManager(node, sender), GAS);
    }

    /** Mints {@code micros} of TestUSDC (6 decimals) to {@code to}, waiting for the receipt. */
    public void mint(String to, long micros) {
        try {
            token.mint(to, BigInteger.valueOf(micros)).send();
        } catch (Exception e) {
            throw new IllegalStateException("mint failed", e);
        }
    }

    public long balanceOf(String address) {
        try {
            return token.balanceOf(address).send().longValueExact();
        } catch (Exception e) {
            throw new IllegalStateException("balanceOf failed", e);
        }
    }
}

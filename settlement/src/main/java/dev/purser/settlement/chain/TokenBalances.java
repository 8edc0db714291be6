package dev.purser.settlement.chain;

import dev.purser.contracts.TestUSDC;
import java.math.BigInteger;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.DefaultGasProvider;

/**
 * Reads USDC balances from the chain (balanceOf through the token's ABI, identical for TestUSDC
 * and Circle's USDC) at the newest block that is {@code confirmations} deep, so that a deposit is
 * credited once it is confirmed, not while a reorg could still take it back. Empty when the chain
 * or the token is not reachable: callers keep the last known balance rather than fail a request.
 */
@Component
public class TokenBalances {

    private static final Logger log = LoggerFactory.getLogger(TokenBalances.class);
    private static final String ANY_SENDER = "0x0000000000000000000000000000000000000000";

    private final Web3j web3j;
    private final ContractRegistry registry;
    private final ChainSettings settings;

    TokenBalances(Web3j web3j, ContractRegistry registry, ChainSettings settings) {
        this.web3j = web3j;
        this.registry = registry;
        this.settings = settings;
    }

    /** The balance in micro-USDC at the confirmed depth, or empty when it cannot be read now. */
    public Optional<BigInteger> balanceOf(String address) {
        try {
            long head = web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
            return balanceOf(address, Math.max(0, head - Math.max(settings.confirmations(), 1) + 1));
        } catch (Exception e) {
            log.debug("eth_blockNumber failed: {}", e.getMessage());
            return Optional.empty();
        }
    }

    /** The balance in micro-USDC at {@code block}, or empty when it cannot be read. */
    public Optional<BigInteger> balanceOf(String address, long block) {
        var contracts = registry.current();
        if (contracts.isEmpty()) {
            return Optional.empty();
        }
        try {
            TestUSDC token = TestUSDC.load(contracts.get().token(), web3j,
                    new ReadonlyTransactionManager(web3j, ANY_SENDER), new DefaultGasProvider());
            token.setDefaultBlockParameter(DefaultBlockParameter.valueOf(BigInteger.valueOf(block)));
            return Optional.of(token.balanceOf(address).send());
        } catch (Exception e) {
            log.debug("balanceOf({}) at {} failed: {}", address, block, e.getMessage());
            return Optional.empty();
        }
    }
}

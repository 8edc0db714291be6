package dev.purser.settlement.indexer;

import dev.purser.settlement.agents.AgentFunds;
import dev.purser.settlement.agents.AgentService;
import dev.purser.settlement.audit.AuditLog;
import dev.purser.settlement.chain.TokenBalances;
import dev.purser.settlement.common.Money;
import java.io.IOException;
import java.math.BigInteger;
import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.response.EthBlock;

/**
 * Cross-checks the indexed balances with the token's balanceOf at the block up to which the index
 * is complete: every agent whose balance moved in this pass, and a few more each pass, longest
 * unchecked first, so that every wallet is visited in turn. A disagreement is recorded on the
 * agent's funds row and reported once ({@code wallet.balance_mismatch}). When the chain holds
 * less than the index says, the agent is also frozen: the funds cap would otherwise promise
 * money the wallet does not have. When it holds more (a deposit before the indexer's start
 * block), the cap keeps using the lower, indexed figure.
 */
@Component
class BalanceCrossCheck {

    private static final Logger log = LoggerFactory.getLogger(BalanceCrossCheck.class);
    /** Agents checked per pass besides those whose balance moved. */
    static final int ROUND_ROBIN_PER_PASS = 20;
    /** At most this many moved agents are checked in one pass; the rest come round in turn. */
    static final int MOVED_PER_PASS_MAX = 200;

    private final Web3j web3j;
    private final TokenBalances balances;
    private final AgentFunds funds;
    private final AgentService agents;
    private final AuditLog audit;
    private final TransactionTemplate tx;
    private final Clock clock;

    BalanceCrossCheck(Web3j web3j, TokenBalances balances, AgentFunds funds, AgentService agents, AuditLog audit,
            TransactionTemplate tx, Clock clock) {
        this.web3j = web3j;
        this.balances = balances;
        this.funds = funds;
        this.agents = agents;
        this.audit = audit;
        this.tx = tx;
        this.clock = clock;
    }

    /**
     * Checks {@code moved} (up to a limit) and the agents checked longest ago, at {@code block};
     * {@code wallets} maps wallet address to agent id.
     */
    void check(Set<String> moved, long block, Map<String, String> wallets) throws IOException {
        Map<String, String> walletOf = new HashMap<>();
        wallets.forEach((wallet, agent) -> walletOf.put(agent, wallet));
        Set<String> due = new LinkedHashSet<>();
        moved.stream().sorted().limit(MOVED_PER_PASS_MAX).forEach(due::add);
        due.addAll(funds.leastRecentlyChecked(ROUND_ROBIN_PER_PASS));
        String hashBefore = hash(block);
        Map<String, BigInteger> onChain = new HashMap<>();
        for (String agent : due) {
            String wallet = walletOf.get(agent);
            if (wallet != null) {
                balances.balanceOf(wallet, block).ifPresent(b -> onChain.put(agent, b));
            }
        }
        if (hashBefore == null || !hashBefore.equals(hash(block))) {
            return; // the block was replaced while we read: the next pass reads again
        }
        onChain.forEach((agent, chainBalance) -> tx.executeWithoutResult(s -> {
            BigInteger indexed = funds.indexedBalance(agent);
            if (!funds.recordChainBalance(agent, chainBalance, block, indexed, clock.instant())) {
                return;
            }
            boolean short_ = chainBalance.compareTo(indexed) < 0;
            String chainUsdc = Money.format(chainBalance);
            String indexedUsdc = Money.format(indexed);
            if (short_) {
                agents.freeze(null, agent, "the wallet holds " + chainUsdc + " USDC on-chain at block " + block
                        + " but the index counts " + indexedUsdc);
            }
            audit.append("wallet.balance_mismatch", null, agent, walletOf.get(agent), Map.of("block_number", block,
                    "onchain_balance", chainUsdc, "indexed_balance", indexedUsdc, "frozen", short_));
            log.warn("Balance of agent {} at block {}: chain {} USDC, index {} USDC{}", agent, block, chainUsdc, indexedUsdc,
                    short_ ? "; agent frozen" : "");
        }));
    }

    private String hash(long block) throws IOException {
        EthBlock.Block b = web3j.ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(block)), false)
                .send().getBlock();
        return Optional.ofNullable(b).map(EthBlock.Block::getHash).orElse(null);
    }
}

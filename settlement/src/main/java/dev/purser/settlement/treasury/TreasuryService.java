package dev.purser.settlement.treasury;

import dev.purser.settlement.agents.Agent;
import dev.purser.settlement.agents.AgentFunds;
import dev.purser.settlement.audit.AuditLog;
import dev.purser.settlement.chain.TokenBalances;
import dev.purser.settlement.common.Money;
import dev.purser.settlement.custody.Custody;
import dev.purser.settlement.settlements.SettlementQueue;
import dev.purser.settlement.web.Caller;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * The operator's side of money: fund an agent from the treasury, withdraw from an agent's wallet.
 * Both travel the settlement pipeline (EIP-3009 signed by the payer, relayed in batches, exactly
 * once by nonce), so their status is a settlement's status.
 */
@Service
public class TreasuryService {

    private final SettlementQueue queue;
    private final AgentFunds funds;
    private final TokenBalances balances;
    private final Custody custody;
    private final AuditLog audit;
    private final Clock clock;

    TreasuryService(SettlementQueue queue, AgentFunds funds, TokenBalances balances, Custody custody, AuditLog audit, Clock clock) {
        this.queue = queue;
        this.funds = funds;
        this.balances = balances;
        this.custody = custody;
        this.audit = audit;
        this.clock = clock;
    }

    public sealed interface FundResult permits Funding, TreasuryShort {}

    public record Funding(String transferId) implements FundResult {}

    /** The treasury's on-chain balance does not cover the amount (or cannot be read now). */
    public record TreasuryShort(Money balance) implements FundResult {}

    /** Sends {@code amount} from the treasury to the agent's wallet. */
    @Transactional
    public FundResult fund(Caller operator, Agent agent, Money amount) {
        Optional<Money> treasury = balances.balanceOf(custody.treasury().address()).map(Money::fromBigInteger);
        if (treasury.isEmpty() || amount.greaterThan(treasury.get())) {
            return new TreasuryShort(treasury.orElse(Money.ZERO));
        }
        Instant now = clock.instant();
        String id = queue.enqueueTransfer("funding", agent.id(), custody.treasury().address(), agent.walletAddress(), amount, now);
        audit.append("treasury.funding", operator, agent.id(), id, Map.of("amount", amount.toString(),
                "to", agent.walletAddress()));
        return new Funding(id);
    }

    public sealed interface WithdrawResult permits Withdrawal, InsufficientAvailable {}

    public record Withdrawal(String transferId) implements WithdrawResult {}

    public record InsufficientAvailable(Money available) implements WithdrawResult {}

    /**
     * Withdraws from the agent's wallet to the treasury (or {@code to}), refused when it would
     * leave less than the agent's holds and unsettled amounts need: the amount is reserved as
     * pending in the same statement that checks it.
     */
    @Transactional
    public WithdrawResult withdraw(Caller operator, Agent agent, Money amount, String to) {
        Optional<Money> short_ = funds.tryReserveWithdrawal(agent.id(), amount);
        if (short_.isPresent()) {
            return new InsufficientAvailable(short_.get());
        }
        String destination = to != null ? to : custody.treasury().address();
        String id = queue.enqueueTransfer("withdrawal", agent.id(), agent.walletAddress(), destination, amount, clock.instant());
        audit.append("treasury.withdrawal", operator, agent.id(), id, Map.of("amount", amount.toString(), "to", destination));
        return new Withdrawal(id);
    }
}

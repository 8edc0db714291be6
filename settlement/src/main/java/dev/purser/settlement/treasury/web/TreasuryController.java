package dev.purser.settlement.treasury.web;

import dev.purser.settlement.agents.Agent;
import dev.purser.settlement.agents.AgentService;
import dev.purser.settlement.chain.ChainSettings;
import dev.purser.settlement.chain.ContractRegistry;
import dev.purser.settlement.chain.TokenBalances;
import dev.purser.settlement.common.Money;
import dev.purser.settlement.custody.Custody;
import dev.purser.settlement.settlements.SettlementService;
import dev.purser.settlement.settlements.SettlementView;
import dev.purser.settlement.treasury.TopUps;
import dev.purser.settlement.treasury.TreasuryService;
import dev.purser.settlement.web.ApiException;
import dev.purser.settlement.web.Caller;
import dev.purser.settlement.web.Envelope;
import dev.purser.settlement.web.JsonBody;
import java.math.BigDecimal;
import java.util.Map;
import java.util.Set;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.utils.Convert;
import tools.jackson.databind.JsonNode;

/** Operators fund agents, withdraw from them, and look at the treasury. */
@RestController
class TreasuryController {

    private final TreasuryService treasury;
    private final AgentService agents;
    private final SettlementService settlements;
    private final Custody custody;
    private final TokenBalances balances;
    private final ContractRegistry contracts;
    private final ChainSettings chain;
    private final Web3j web3j;
    private final TreasuryReads reads;
    private final TopUps topUps;

    TreasuryController(TreasuryService treasury, AgentService agents, SettlementService settlements,
            Custody custody, TokenBalances balances, ContractRegistry contracts, ChainSettings chain, Web3j web3j,
            TreasuryReads reads, TopUps topUps) {
        this.treasury = treasury;
        this.agents = agents;
        this.settlements = settlements;
        this.custody = custody;
        this.balances = balances;
        this.contracts = contracts;
        this.chain = chain;
        this.web3j = web3j;
        this.reads = reads;
        this.topUps = topUps;
    }

    record TopUpView(String agentId, String threshold, String amount, String dailyMax) {}

    @PutMapping("/v1/agents/{id}/top-up")
    Envelope.Success<TopUpView> configureTopUp(Caller caller, @PathVariable String id, @RequestBody(required = false) JsonNode node) {
        caller.requireAdmin();
        JsonBody body = JsonBody.of(node, Set.of("threshold", "amount", "daily_max"));
        TopUps.TopUp rule = new TopUps.TopUp(body.requiredAmount("threshold"), body.requiredAmount("amount"),
                body.requiredAmount("daily_max"));
        if (rule.amount().greaterThan(rule.dailyMax())) {
            throw ApiException.badRequest("invalid_amount", "daily_max", "'daily_max' must be at least 'amount'.");
        }
        agents.find(id).orElseThrow(() -> ApiException.notFound("agent"));
        topUps.configure(caller, id, rule);
        return Envelope.of(new TopUpView(id, rule.threshold().toString(), rule.amount().toString(), rule.dailyMax().toString()));
    }

    @DeleteMapping("/v1/agents/{id}/top-up")
    Envelope.Success<TopUpView> removeTopUp(Caller caller, @PathVariable String id) {
        caller.requireAdmin();
        agents.find(id).orElseThrow(() -> ApiException.notFound("agent"));
        TopUps.TopUp was = topUps.find(id).orElseThrow(() -> ApiException.notFound("top-up rule"));
        topUps.remove(caller, id);
        return Envelope.of(new TopUpView(id, was.threshold().toString(), was.amount().toString(), was.dailyMax().toString()));
    }

    record TransferView(String id, String kind, String from, String to, String amount, String status, String txHash) {}

    record Transfer(TransferView transfer) {}

    @PostMapping("/v1/agents/{id}/fund")
    ResponseEntity<Envelope.Success<Transfer>> fund(Caller caller, @PathVariable String id, @RequestBody(required = false) JsonNode node) {
        caller.requireAdmin();
        Money amount = JsonBody.of(node, Set.of("amount")).requiredAmount("amount");
        Agent agent = agents.find(id).orElseThrow(() -> ApiException.notFound("agent"));
        return switch (treasury.fund(caller, agent, amount)) {
            case TreasuryService.Funding f -> ResponseEntity.status(HttpStatus.CREATED).body(Envelope.of(new Transfer(transfer(f.transferId()))));
            case TreasuryService.TreasuryShort s -> throw new ApiException(409, "insufficient_treasury",
                    "The treasury does not hold enough USDC for this funding.", Map.of("treasury_balance", s.balance().toString()));
        };
    }

    @PostMapping("/v1/agents/{id}/withdraw")
    ResponseEntity<Envelope.Success<Transfer>> withdraw(Caller caller, @PathVariable String id,
            @RequestBody(required = false) JsonNode node) {
        caller.requireAdmin();
        JsonBody body = JsonBody.of(node, Set.of("amount", "to"));
        Money amount = body.requiredAmount("amount");
        String to = body.optionalAddress("to").orElse(null);
        Agent agent = agents.find(id).orElseThrow(() -> ApiException.notFound("agent"));
        if (agent.walletAddress().equalsIgnoreCase(to)) {
            throw ApiException.badRequest("invalid_address", "to", "'to' is the agent's own wallet.");
        }
        return switch (treasury.withdraw(caller, agent, amount, to)) {
            case TreasuryService.Withdrawal w -> ResponseEntity.status(HttpStatus.CREATED).body(Envelope.of(new Transfer(transfer(w.transferId()))));
            case TreasuryService.InsufficientAvailable i -> throw new ApiException(409, "insufficient_available",
                    "The withdrawal would leave less than the agent's holds and unsettled amounts need.",
                    Map.of("available", i.available().toString()));
        };
    }

    record RelayerView(String address, String ethBalance) {}

    record ChainView(long chainId, String token, String batchSettler, Long headBlock, Long indexedBlock, Long finalizedBlock) {}

    record TreasuryView(String address, String usdcBalance, RelayerView relayer, ChainView chain) {}

    @GetMapping("/v1/treasury")
    Envelope.Success<TreasuryView> treasury(Caller caller) {
        caller.requireAdmin();
        String address = custody.treasury().address();
        String usdc = balances.balanceOf(address).map(b -> Money.fromBigInteger(b).toString()).orElse(null);
        String relayer = custody.relayer().address();
        String eth = null;
        Long head = null;
        Long finalized = null;
        try {
            eth = Convert.fromWei(new BigDecimal(web3j.ethGetBalance(relayer, DefaultBlockParameterName.LATEST).send().getBalance()),
                    Convert.Unit.ETHER).stripTrailingZeros().toPlainString();
            head = web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
            var block = web3j.ethGetBlockByNumber(DefaultBlockParameterName.FINALIZED, false).send().getBlock();
            finalized = block == null ? null : block.getNumber().longValueExact();
        } catch (Exception chainDown) {
            // The chain does not answer: show what PostgreSQL knows and leave the rest null.
        }
        var deployed = contracts.current();
        return Envelope.of(new TreasuryView(address, usdc, new RelayerView(relayer, eth),
                new ChainView(chain.chainId(), deployed.map(ContractRegistry.Contracts::token).orElse(null),
                        deployed.map(ContractRegistry.Contracts::batchSettler).orElse(null), head,
                        reads.indexedBlock(chain.chainId()), finalized)));
    }

    private TransferView transfer(String id) {
        SettlementView s = settlements.find(id).orElseThrow();
        return new TransferView(s.id(), s.kind(), s.from(), s.merchant(), s.amount(), s.status(), s.txHash());
    }
}

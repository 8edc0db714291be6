package dev.purser.settlement.ledger.web;

import dev.purser.settlement.agents.Agent;
import dev.purser.settlement.agents.AgentFunds;
import dev.purser.settlement.agents.AgentService;
import dev.purser.settlement.agents.Balance;
import dev.purser.settlement.credentials.Credential;
import dev.purser.settlement.credentials.CredentialService;
import dev.purser.settlement.ledger.AuthorizationService;
import dev.purser.settlement.web.Caller;
import dev.purser.settlement.web.Envelope;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /v1/me}: an agent's own view of itself, its credential and today's budget. */
@RestController
class MeController {

    private final AgentService agents;
    private final AgentFunds funds;
    private final CredentialService credentials;
    private final AuthorizationService authorizations;
    private final Clock clock;

    MeController(AgentService agents, AgentFunds funds, CredentialService credentials, AuthorizationService authorizations,
            Clock clock) {
        this.agents = agents;
        this.funds = funds;
        this.credentials = credentials;
        this.authorizations = authorizations;
        this.clock = clock;
    }

    record Me(AgentView agent, CredentialView credential, TodayView today) {}

    record AgentView(String id, String name, String status, String frozenReason, String walletAddress,
            BalanceView balance, Instant createdAt) {}

    record BalanceView(String onchain, String held, String pendingSettlement, String available) {}

    record CredentialView(String id, String agentId, String scope, String label, String status, String perTransactionLimit,
            String dailyLimit, List<String> merchantAllowlist, String approvalThreshold, Integer maxAuthorizationsPerMinute,
            Instant expiresAt, Instant createdAt, Instant revokedAt) {}

    record TodayView(LocalDate date, String spent, String held, String remaining) {}

    @GetMapping("/v1/me")
    Envelope.Success<Me> me(Caller caller) {
        String agentId = caller.requireAgent();
        Agent a = agents.find(agentId).orElseThrow();
        Balance b = funds.balance(agentId);
        Credential c = credentials.find(caller.credentialId()).orElseThrow();
        AuthorizationService.Today today = authorizations.today(c);
        return Envelope.of(new Me(
                new AgentView(a.id(), a.name(), a.status(), a.frozenReason(), a.walletAddress(),
                        new BalanceView(b.onchain().toString(), b.held().toString(), b.pendingSettlement().toString(),
                                b.available().toString()), a.createdAt()),
                new CredentialView(c.id(), c.agentId(), c.scope().id(), c.label(), c.status(clock.instant()),
                        c.perTransactionLimit().toString(), c.dailyLimit().toString(), c.merchantAllowlist(),
                        c.approvalThreshold() == null ? null : c.approvalThreshold().toString(),
                        c.maxAuthorizationsPerMinute(), c.expiresAt(), c.createdAt(), c.revokedAt()),
                new TodayView(today.date(), today.spent().toString(), today.held().toString(), today.remaining().toString())));
    }
}

package dev.purser.settlement.agents.web;

import dev.purser.settlement.agents.Agent;
import dev.purser.settlement.agents.AgentFunds;
import dev.purser.settlement.agents.AgentService;
import dev.purser.settlement.agents.Balance;
import dev.purser.settlement.web.ApiException;
import dev.purser.settlement.web.Caller;
import dev.purser.settlement.web.Envelope;
import dev.purser.settlement.web.JsonBody;
import dev.purser.settlement.web.Pages;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import dev.purser.settlement.web.RequestBodies;
import io.swagger.v3.oas.annotations.media.Schema;
import tools.jackson.databind.JsonNode;

/** Operators create, list, read, freeze and unfreeze agents. */
@RestController
@RequestMapping("/v1/agents")
class AgentsController {

    private final AgentService agents;
    private final AgentFunds funds;

    AgentsController(AgentService agents, AgentFunds funds) {
        this.agents = agents;
        this.funds = funds;
    }

    /** The Agent of API.md. */
    record AgentView(String id, String name, String status, String frozenReason, String walletAddress,
            BalanceView balance, Instant createdAt, Map<String, String> metadata) {}

    record BalanceView(String onchain, String held, String pendingSettlement, String available) {}

    @PostMapping
    ResponseEntity<Envelope.Success<AgentView>> create(Caller caller,
            @Schema(implementation = RequestBodies.CreateAgent.class) @RequestBody(required = false) JsonNode node) {
        caller.requireAdmin();
        JsonBody body = JsonBody.of(node, Set.of("name", "metadata"));
        String name = body.requiredString("name", 200);
        Map<String, String> metadata = body.optionalFlatStringMap("metadata", 20, 100, 500).orElse(null);
        Agent agent = agents.create(caller, name, metadata);
        return ResponseEntity.status(HttpStatus.CREATED).body(Envelope.of(view(agent)));
    }

    @GetMapping
    Envelope.Success<Envelope.Page<AgentView>> list(Caller caller, @RequestParam(required = false) Integer limit,
            @RequestParam(required = false) String cursor) {
        caller.requireAdmin();
        int n = Pages.limit(limit);
        List<Agent> page = agents.list(Pages.decode(cursor), n + 1);
        List<AgentView> items = page.stream().limit(n).map(this::view).toList();
        String next = page.size() > n ? Pages.encode(page.get(n - 1).createdAt(), page.get(n - 1).id()) : null;
        return Envelope.of(new Envelope.Page<>(items, next));
    }

    @GetMapping("/{id}")
    Envelope.Success<AgentView> get(Caller caller, @PathVariable String id) {
        caller.requireAdmin();
        return Envelope.of(view(agents.find(id).orElseThrow(() -> ApiException.notFound("agent"))));
    }

    @PostMapping("/{id}/freeze")
    Envelope.Success<AgentView> freeze(Caller caller, @PathVariable String id,
            @Schema(implementation = RequestBodies.Freeze.class) @RequestBody(required = false) JsonNode node) {
        caller.requireAdmin();
        String reason = JsonBody.of(node, Set.of("reason")).requiredString("reason", 500);
        return Envelope.of(view(agents.freeze(caller, id, reason).orElseThrow(() -> ApiException.notFound("agent"))));
    }

    @PostMapping("/{id}/unfreeze")
    Envelope.Success<AgentView> unfreeze(Caller caller, @PathVariable String id, @RequestBody(required = false) JsonNode node) {
        caller.requireAdmin();
        JsonBody.of(node, Set.of());
        return Envelope.of(view(agents.unfreeze(caller, id).orElseThrow(() -> ApiException.notFound("agent"))));
    }

    private AgentView view(Agent a) {
        Balance b = funds.balance(a.id());
        return new AgentView(a.id(), a.name(), a.status(), a.frozenReason(), a.walletAddress(),
                new BalanceView(b.onchain().toString(), b.held().toString(), b.pendingSettlement().toString(),
                        b.available().toString()),
                a.createdAt(), a.metadata());
    }
}

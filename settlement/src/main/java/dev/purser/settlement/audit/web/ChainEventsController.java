package dev.purser.settlement.audit.web;

import dev.purser.settlement.audit.ChainEventReader;
import dev.purser.settlement.web.Caller;
import dev.purser.settlement.web.Envelope;
import dev.purser.settlement.web.JsonBody;
import dev.purser.settlement.web.Pages;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The chain events the indexer recorded, for auditors and operators. */
@RestController
class ChainEventsController {

    private final ChainEventReader events;
    private final JsonMapper json;

    ChainEventsController(ChainEventReader events, JsonMapper json) {
        this.events = events;
        this.json = json;
    }

    /** One indexed log as API.md shows it. */
    record ChainEventView(long chainId, long blockNumber, String blockHash, String txHash, int logIndex, String contract,
            String event, JsonNode args, String status, String settlementId) {}

    @GetMapping("/v1/chain/events")
    Envelope.Success<Envelope.Page<ChainEventView>> list(Caller caller, @RequestParam(required = false) String address,
            @RequestParam(name = "agent_id", required = false) String agentId,
            @RequestParam(name = "tx_hash", required = false) String txHash,
            @RequestParam(name = "from_block", required = false) Long fromBlock,
            @RequestParam(required = false) Integer limit, @RequestParam(required = false) String cursor) {
        caller.requireAuditReader();
        List<String> addresses = new ArrayList<>(2);
        if (address != null && !address.isEmpty()) {
            addresses.add(JsonBody.address(address, "address"));
        }
        String agent = Params.id(agentId, "agent_id");
        String tx = Params.txHash(txHash);
        Long from = Params.fromBlock(fromBlock);
        int n = Pages.limit(limit);
        ChainEventReader.Position after = Params.positionCursor(cursor);
        if (agent != null) {
            Optional<String> wallet = events.walletOf(agent);
            if (wallet.isEmpty()) {
                // Like the other lists' agent_id filter: an agent that does not exist has no events.
                return Envelope.of(new Envelope.Page<>(List.of(), null));
            }
            addresses.add(wallet.get());
        }
        List<ChainEventReader.ChainEvent> rows = events.page(new ChainEventReader.Filter(addresses, tx, from), after, n + 1);
        String next = null;
        if (rows.size() > n) {
            ChainEventReader.ChainEvent last = rows.get(n - 1);
            next = Params.positionCursor(last.chainId(), last.blockNumber(), last.logIndex(), last.txHash());
        }
        return Envelope.of(new Envelope.Page<>(rows.stream().limit(n).map(this::view).toList(), next));
    }

    private ChainEventView view(ChainEventReader.ChainEvent e) {
        return new ChainEventView(e.chainId(), e.blockNumber(), e.blockHash(), e.txHash(), e.logIndex(), e.contract(),
                e.event(), json.readTree(e.argsJson()), e.status(), e.settlementId());
    }
}

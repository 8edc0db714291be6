package dev.purser.settlement.audit.web;

import dev.purser.settlement.audit.AuditEntry;
import dev.purser.settlement.audit.AuditExport;
import dev.purser.settlement.audit.AuditReader;
import dev.purser.settlement.audit.Reconciliation;
import dev.purser.settlement.audit.verifier.SettlementProofs;
import dev.purser.settlement.web.Caller;
import dev.purser.settlement.web.Envelope;
import dev.purser.settlement.web.Pages;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;

/** The auditors' read-only view: the audit log, its verification, exports and reconciliation. */
@RestController
class AuditController {

    private static final Logger log = LoggerFactory.getLogger(AuditController.class);

    private final AuditReader audit;
    private final AuditExport export;
    private final Reconciliation reconciliation;
    private final JsonMapper json;

    AuditController(AuditReader audit, AuditExport export, Reconciliation reconciliation, JsonMapper json) {
        this.audit = audit;
        this.export = export;
        this.reconciliation = reconciliation;
        this.json = json;
    }

    record Actor(String credentialId, String scope) {}

    /** One audit log entry as API.md shows it; {@code data} is the parsed data_json. */
    record AuditEventView(long seq, String id, Instant at, String type, Actor actor, String agentId, String subject,
            JsonNode data, String prevHash, String hash) {}

    /** {@code first_invalid_reason} is one of missing_entry, prev_hash_mismatch, hash_mismatch, or null. */
    record VerificationView(boolean valid, long entries, String headHash, Long firstInvalidSeq, String firstInvalidReason) {}

    @GetMapping("/v1/audit/events")
    Envelope.Success<Envelope.Page<AuditEventView>> events(Caller caller,
            @RequestParam(name = "agent_id", required = false) String agentId, @RequestParam(required = false) String type,
            @RequestParam(required = false) String since, @RequestParam(required = false) String until,
            @RequestParam(required = false) Integer limit, @RequestParam(required = false) String cursor) {
        caller.requireAuditReader();
        Instant from = Params.time(since, "since");
        Instant to = Params.time(until, "until");
        Params.requireOrdered(from, to);
        AuditReader.Filter filter = new AuditReader.Filter(Params.id(agentId, "agent_id"), Params.type(type), from, to);
        int n = Pages.limit(limit);
        List<AuditEntry> rows = audit.page(filter, Params.seqCursor(cursor), n + 1);
        String next = rows.size() > n ? Params.seqCursor(rows.get(n - 1).seq()) : null;
        return Envelope.of(new Envelope.Page<>(rows.stream().limit(n).map(this::view).toList(), next));
    }

    @GetMapping("/v1/audit/verify")
    Envelope.Success<VerificationView> verify(Caller caller) {
        caller.requireAuditReader();
        AuditReader.Verification v = audit.verify();
        return Envelope.of(new VerificationView(v.valid(), v.entries(),
                v.headHash() == null ? null : SettlementProofs.hex(v.headHash()), v.firstInvalidSeq(),
                v.reason() == null ? null : v.reason().name().toLowerCase(Locale.ROOT)));
    }

    /**
     * Streams the export: {@code format} csv or ndjson (default), {@code kind} events (default),
     * settlements or all (NDJSON only), {@code since}/{@code until} as in the events list.
     * Written straight to the response on the request thread rather than as an asynchronous
     * StreamingResponseBody: an asynchronous response is cut off by the servlet container's async
     * timeout (30 s by default in Tomcat), and a long log takes longer than that. Every parameter
     * is checked before the first byte is written, so a refusal is still a clean error envelope.
     */
    @GetMapping("/v1/audit/export")
    void export(Caller caller, @RequestParam(required = false) String format, @RequestParam(required = false) String kind,
            @RequestParam(required = false) String since, @RequestParam(required = false) String until,
            HttpServletResponse response) {
        caller.requireAuditReader();
        AuditExport.Format f = switch (format == null || format.isEmpty() ? "ndjson" : format) {
            case "csv" -> AuditExport.Format.CSV;
            case "ndjson" -> AuditExport.Format.NDJSON;
            default -> throw Params.invalid("format", "'format' is csv or ndjson.");
        };
        AuditExport.Kind k = switch (kind == null || kind.isEmpty() ? "events" : kind) {
            case "events" -> AuditExport.Kind.EVENTS;
            case "settlements" -> AuditExport.Kind.SETTLEMENTS;
            case "all" -> AuditExport.Kind.ALL;
            default -> throw Params.invalid("kind", "'kind' is events, settlements or all.");
        };
        if (f == AuditExport.Format.CSV && k != AuditExport.Kind.EVENTS) {
            throw Params.invalid("format", "A CSV export holds audit events only; export settlements as ndjson.");
        }
        Instant from = Params.time(since, "since");
        Instant to = Params.time(until, "until");
        Params.requireOrdered(from, to);
        AuditExport.Request request = new AuditExport.Request(f, k, from, to);
        String extension = f == AuditExport.Format.CSV ? "csv" : "ndjson";
        response.setStatus(200);
        response.setContentType(f == AuditExport.Format.CSV ? "text/csv;charset=UTF-8" : "application/x-ndjson;charset=UTF-8");
        response.setHeader("Content-Disposition", "attachment; filename=\"purser-audit-" + k.name().toLowerCase(Locale.ROOT)
                + "." + extension + "\"");
        try (OutputStream out = response.getOutputStream()) {
            export.write(request, out);
        } catch (IOException clientGone) {
            // The client stopped reading: there is nobody left to answer, and nothing was changed.
            log.info("Audit export stopped: {}", clientGone.getMessage());
        }
    }

    @GetMapping("/v1/audit/reconciliation")
    Envelope.Success<Reconciliation.Report> reconciliation(Caller caller) {
        caller.requireAuditReader();
        return Envelope.of(reconciliation.reconcile());
    }

    private AuditEventView view(AuditEntry e) {
        return new AuditEventView(e.seq(), e.id(), e.at(), e.type(),
                e.actorCredentialId() == null && e.actorScope() == null ? null : new Actor(e.actorCredentialId(), e.actorScope()),
                e.agentId(), e.subject(), data(e.dataJson()), SettlementProofs.hex(e.prevHash()), SettlementProofs.hex(e.hash()));
    }

    /** The entry's data as JSON; text that does not parse (a damaged row) is shown as the string it is. */
    private JsonNode data(String dataJson) {
        try {
            return json.readTree(dataJson);
        } catch (JacksonException e) {
            return JsonNodeFactory.instance.stringNode(dataJson);
        }
    }
}

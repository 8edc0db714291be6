package dev.purser.settlement.audit.verifier;

import java.util.List;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/**
 * The lines of an NDJSON audit export ({@code GET /v1/audit/export?format=ndjson}), written by the
 * service and read by {@link AuditVerifier}. Each line is one JSON object whose {@code kind} says
 * what it is: {@code audit_event} lines in seq order, then {@code settlement} lines, then exactly
 * one {@code export_end} line that counts them (a file without it was cut short).
 *
 * <p>The mapper here, not the service's HTTP configuration, fixes the field names, so the file
 * format cannot change when the API's JSON settings do.
 */
public final class ExportFormat {

    public static final String AUDIT_EVENT = "audit_event";
    public static final String SETTLEMENT = "settlement";
    public static final String EXPORT_END = "export_end";

    public static final String PAYMENT = "payment";
    public static final String FUNDING = "funding";
    public static final String WITHDRAWAL = "withdrawal";

    /** snake_case field names, nulls written out. */
    public static final JsonMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .build();

    private ExportFormat() {}

    /**
     * One row of the audit log with every column as it was hashed: {@code at} in ISO-8601 as
     * {@code DateTimeFormatter.ISO_INSTANT} writes it, {@code data_json} the exact text, hashes as
     * {@code 0x} hex.
     */
    public record AuditEventLine(String kind, long seq, String id, String at, String type, String actorCredentialId,
            String actorScope, String agentId, String subject, String dataJson, String prevHash, String hash) {}

    /**
     * A confirmed or finalized settlement with what ties it to the chain: the transfer's
     * transaction, block and log index, and for each authorization it pays, its amount, its leaf
     * and its proof up to the nonce. Amounts are micro-USDC (1 USDC = 1,000,000).
     *
     * <p>{@code settlement_kind} is {@code payment} (agent wallet to merchant, nonce = Merkle root
     * of its authorizations), or {@code funding} (treasury to agent wallet) or {@code withdrawal}
     * (agent wallet out), which cover no authorization and whose nonce is
     * {@code keccak256(utf8("purser:" + settlement_kind + ":" + id))}.
     */
    public record SettlementLine(String kind, String settlementKind, String id, String agentId, String status, long chainId, String token,
            String from, String to, long amountMicros, String nonce, String txHash, long blockNumber, String blockHash,
            int logIndex, List<AuthorizationLine> authorizations) {}

    public record AuthorizationLine(String id, long amountMicros, String leaf, List<String> proof) {}

    /** The last line: how many lines of each kind came before it, and the audit head it was cut at. */
    public record EndLine(String kind, long auditEvents, long settlements, Long auditHeadSeq) {}
}

package dev.purser.settlement.audit;

import dev.purser.settlement.audit.verifier.ExportFormat;
import dev.purser.settlement.audit.verifier.SettlementProofs;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import org.springframework.stereotype.Component;

/**
 * Streams the audit log, and the settlements an auditor verifies against the chain, to an output
 * stream a page of rows at a time: memory stays flat however long the log is.
 *
 * <p>CSV holds audit events only, one row per entry under a header, every column as it was hashed
 * ({@code at} as ISO-8601, {@code data_json} as its exact text, hashes as {@code 0x} hex, a null as
 * an empty field), quoted as RFC 4180 says. NDJSON is the format of {@link ExportFormat}: it can
 * also carry settlements with their proofs, and ends with a line that counts what came before, so
 * that a cut-short download is noticed.
 */
@Component
public class AuditExport {

    public enum Format {
        CSV, NDJSON
    }

    /** What an export holds: audit events, settlements with proofs, or both (events first). */
    public enum Kind {
        EVENTS, SETTLEMENTS, ALL
    }

    /** {@code until} is exclusive; audit events are selected by {@code at}, settlements by creation time. */
    public record Request(Format format, Kind kind, Instant since, Instant until) {

        public Request {
            if (format == Format.CSV && kind != Kind.EVENTS) {
                throw new IllegalArgumentException("a CSV export holds audit events only");
            }
            if (since != null && until != null && !since.isBefore(until)) {
                throw new IllegalArgumentException("since must be before until");
            }
        }
    }

    static final String CSV_HEADER =
            "seq,id,at,type,actor_credential_id,actor_scope,agent_id,subject,data_json,prev_hash,hash";

    private final AuditReader audit;
    private final SettlementExport settlements;

    AuditExport(AuditReader audit, SettlementExport settlements) {
        this.audit = audit;
        this.settlements = settlements;
    }

    /** Writes the export to {@code out}; the caller owns (and closes) the stream. */
    public void write(Request request, OutputStream out) throws IOException {
        Writer writer = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 64 * 1024);
        try {
            if (request.format() == Format.CSV) {
                writeCsv(request, writer);
            } else {
                writeNdjson(request, writer);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        writer.flush();
    }

    private void writeCsv(Request request, Writer writer) throws IOException {
        writer.write(CSV_HEADER);
        writer.write("\r\n");
        long head = audit.headSeq();
        audit.forEach(new AuditReader.Filter(null, null, request.since(), request.until()), head, e -> {
            String[] fields = {Long.toString(e.seq()), e.id(), DateTimeFormatter.ISO_INSTANT.format(e.at()), e.type(),
                    e.actorCredentialId(), e.actorScope(), e.agentId(), e.subject(), e.dataJson(),
                    SettlementProofs.hex(e.prevHash()), SettlementProofs.hex(e.hash())};
            StringBuilder row = new StringBuilder(256);
            for (int i = 0; i < fields.length; i++) {
                if (i > 0) {
                    row.append(',');
                }
                Csv.field(row, fields[i]);
            }
            row.append("\r\n");
            write(writer, row.toString());
        });
    }

    private void writeNdjson(Request request, Writer writer) {
        long events = 0;
        Long head = null;
        if (request.kind() != Kind.SETTLEMENTS) {
            head = audit.headSeq();
            events = audit.forEach(new AuditReader.Filter(null, null, request.since(), request.until()), head,
                    e -> line(writer, new ExportFormat.AuditEventLine(ExportFormat.AUDIT_EVENT, e.seq(), e.id(),
                            DateTimeFormatter.ISO_INSTANT.format(e.at()), e.type(), e.actorCredentialId(),
                            e.actorScope(), e.agentId(), e.subject(), e.dataJson(), SettlementProofs.hex(e.prevHash()),
                            SettlementProofs.hex(e.hash()))));
        }
        long settled = 0;
        if (request.kind() != Kind.EVENTS) {
            settled = settlements.forEach(request.since(), request.until(), s -> line(writer, s));
        }
        line(writer, new ExportFormat.EndLine(ExportFormat.EXPORT_END, events, settled, head));
    }

    private static void line(Writer writer, Object value) {
        write(writer, ExportFormat.MAPPER.writeValueAsString(value) + "\n");
    }

    private static void write(Writer writer, String text) {
        try {
            writer.write(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** RFC 4180 fields. */
    static final class Csv {

        private Csv() {}

        /** Appends {@code value}, quoted when it holds a comma, a quote or a line break; null is empty. */
        static void field(StringBuilder row, String value) {
            if (value == null) {
                return;
            }
            boolean quote = value.indexOf(',') >= 0 || value.indexOf('"') >= 0 || value.indexOf('\n') >= 0
                    || value.indexOf('\r') >= 0;
            if (!quote) {
                row.append(value);
                return;
            }
            row.append('"');
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == '"') {
                    row.append('"');
                }
                row.append(c);
            }
            row.append('"');
        }
    }
}

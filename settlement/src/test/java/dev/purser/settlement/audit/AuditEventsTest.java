package dev.purser.settlement.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.purser.settlement.audit.verifier.AuditVerifier;
import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import dev.purser.settlement.support.TestChain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Auditors read the audit log page by page, filtered, and export it whole as CSV or NDJSON. */
class AuditEventsTest extends PurserTestBase {

    private String auditor() {
        Api.Response r = api().post("/v1/credentials", ADMIN, "{\"scope\":\"audit\",\"label\":\"auditor\"}");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.string("$.data.secret");
    }

    @Test
    void listsAnAgentsEventsWithActorParsedDataAndLinkedHashes() {
        Agent agent = createAgent("audited");
        issueCredential(agent.id(), "\"per_transaction_limit\":\"5\",\"daily_limit\":\"20\"");

        Api.Response r = api().get("/v1/audit/events?agent_id=" + agent.id(), auditor());
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        List<Map<String, Object>> items = r.json("$.data.items");
        assertThat(items).extracting(i -> i.get("type")).containsExactly("agent.created", "credential.issued");
        Map<String, Object> created = items.getFirst();
        assertThat(created.get("agent_id")).isEqualTo(agent.id());
        assertThat(created.get("subject")).isEqualTo(agent.id());
        assertThat(created.get("id").toString()).startsWith("evt_");
        assertThat(Instant.parse(created.get("at").toString())).isBefore(Instant.now().plusSeconds(5));
        assertThat(r.<String>json("$.data.items[0].actor.scope")).isEqualTo("admin");
        assertThat(r.<String>json("$.data.items[0].actor.credential_id")).startsWith("cred_");
        assertThat(r.<String>json("$.data.items[0].data.name")).isEqualTo("audited");
        assertThat(r.<String>json("$.data.items[0].data.wallet_address")).isEqualTo(agent.wallet());
        assertThat(created.get("hash").toString()).matches("0x[0-9a-f]{64}");
        assertThat(created.get("prev_hash").toString()).matches("0x[0-9a-f]{64}");
        assertThat((Integer) items.get(1).get("seq")).isGreaterThan((Integer) created.get("seq"));

        // Unfiltered and consecutive, each entry links to the one before it.
        int seq = (Integer) created.get("seq");
        Api.Response around = api().get("/v1/audit/events?limit=2&cursor=" + cursorAfter(seq - 1), ADMIN);
        List<Map<String, Object>> pair = around.json("$.data.items");
        assertThat(pair).hasSize(2);
        assertThat(pair.get(1).get("prev_hash")).isEqualTo(pair.get(0).get("hash"));
    }

    @Test
    void pagesThroughTheLogInSeqOrderWithoutGapsOrRepeats() {
        for (int i = 0; i < 3; i++) {
            createAgent("pager-" + i);
        }
        String auditor = auditor();
        List<Integer> seqs = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Api.Response r = api().get("/v1/audit/events?limit=3" + (cursor == null ? "" : "&cursor=" + cursor), auditor);
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            List<Integer> page = r.json("$.data.items[*].seq");
            assertThat(page.size()).isBetween(1, 3);
            seqs.addAll(page);
            cursor = r.json("$.data.next_cursor");
            pages++;
        } while (cursor != null && pages < 1000);
        assertThat(seqs.size()).isGreaterThanOrEqualTo(4);
        for (int i = 0; i < seqs.size(); i++) {
            assertThat(seqs.get(i)).as("seq at position %d", i).isEqualTo(i + 1);
        }
    }

    @Test
    void filtersByTypeAndTime() {
        Instant before = Instant.now().minusSeconds(1);
        Agent agent = createAgent("typed");
        Api.Response byType = api().get("/v1/audit/events?type=agent.created&limit=500&since=" + before, ADMIN);
        assertThat(byType.status()).as(byType.toString()).isEqualTo(200);
        List<String> types = byType.json("$.data.items[*].type");
        assertThat(types).isNotEmpty().containsOnly("agent.created");
        assertThat(byType.<List<String>>json("$.data.items[*].agent_id")).contains(agent.id());

        Api.Response none = api().get("/v1/audit/events?until=" + before.minusSeconds(3600 * 24 * 365), ADMIN);
        assertThat(none.<List<Object>>json("$.data.items")).isEmpty();
        assertThat(none.<Object>json("$.data.next_cursor")).isNull();
    }

    @Test
    void refusesAgentsAndMalformedParameters() {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"5\",\"daily_limit\":\"20\"", 0);
        for (String path : List.of("/v1/audit/events", "/v1/audit/verify", "/v1/audit/export?format=csv",
                "/v1/audit/reconciliation", "/v1/chain/events")) {
            Api.Response r = api().get(path, agent.secret());
            assertThat(r.status()).as(path).isEqualTo(403);
            assertThat(r.string("$.error.code")).isEqualTo("forbidden");
            assertThat(api().get(path, null).status()).as(path).isEqualTo(401);
        }
        assertBadRequest("/v1/audit/events?limit=0", "invalid_parameter", "limit");
        assertBadRequest("/v1/audit/events?limit=501", "invalid_parameter", "limit");
        assertBadRequest("/v1/audit/events?since=yesterday", "invalid_parameter", "since");
        assertBadRequest("/v1/audit/events?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "invalid_parameter", "until");
        assertBadRequest("/v1/audit/events?type=DROP%20TABLE", "invalid_parameter", "type");
        assertBadRequest("/v1/audit/events?cursor=bm9wZQ", "invalid_cursor", "cursor");
        assertBadRequest("/v1/audit/export?format=xml", "invalid_parameter", "format");
        assertBadRequest("/v1/audit/export?format=csv&kind=settlements", "invalid_parameter", "format");
        assertBadRequest("/v1/audit/export?kind=everything", "invalid_parameter", "kind");
        assertBadRequest("/v1/chain/events?tx_hash=0x12", "invalid_parameter", "tx_hash");
        assertBadRequest("/v1/chain/events?address=0xabc", "invalid_address", "address");
        assertBadRequest("/v1/chain/events?from_block=-1", "invalid_parameter", "from_block");
        assertBadRequest("/v1/chain/events?cursor=bm9wZQ", "invalid_cursor", "cursor");
    }

    private void assertBadRequest(String path, String code, String field) {
        Api.Response r = api().get(path, ADMIN);
        assertThat(r.status()).as(path + " " + r).isEqualTo(400);
        assertThat(r.string("$.error.code")).as(path).isEqualTo(code);
        assertThat(r.string("$.error.details.field")).as(path).isEqualTo(field);
    }

    @Test
    void csvExportHoldsEveryColumnAsHashedWithRfc4180Quoting() {
        // A name with a comma and quotes lands in data_json, which the CSV must quote and escape.
        createAgent("comma, \\\"quoted\\\" agent");
        Api.Response r = api().get("/v1/audit/export?format=csv", auditor());
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("text/csv");
        assertThat(r.header("Content-Disposition")).contains("attachment");
        List<List<String>> rows = Csv.parse(r.body());
        assertThat(rows.getFirst()).containsExactly("seq", "id", "at", "type", "actor_credential_id", "actor_scope", "agent_id",
                "subject", "data_json", "prev_hash", "hash");
        assertThat(rows.size()).isGreaterThan(2);
        byte[] prev = AuditChain.GENESIS;
        for (List<String> row : rows.subList(1, rows.size())) {
            assertThat(row).hasSize(11);
            AuditEntry e = new AuditEntry(Long.parseLong(row.get(0)), row.get(1), Instant.parse(row.get(2)), row.get(3),
                    emptyToNull(row.get(4)), emptyToNull(row.get(5)), emptyToNull(row.get(6)), row.get(7), row.get(8),
                    hex(row.get(9)), hex(row.get(10)));
            assertThat(e.prevHash()).as("prev_hash of seq %d", e.seq()).isEqualTo(prev);
            assertThat(AuditChain.hash(e)).as("hash of seq %d", e.seq()).isEqualTo(e.hash());
            prev = e.hash();
        }
        assertThat(rows).anySatisfy(row -> assertThat(row.get(8)).contains("comma, \\\"quoted\\\" agent"));
    }

    @Test
    void ndjsonExportOfEventsVerifiesOfflineAndEndsWithItsCounts(@TempDir Path dir) throws Exception {
        createAgent("exported");
        Api.Response r = api().get("/v1/audit/export?format=ndjson", auditor());
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("application/x-ndjson");
        String[] lines = r.body().split("\n");
        assertThat(lines[0]).contains("\"kind\":\"audit_event\"", "\"seq\":1,", "\"data_json\":");
        assertThat(lines[lines.length - 1]).contains("\"kind\":\"export_end\"", "\"audit_events\":" + (lines.length - 1));

        Path export = dir.resolve("events.ndjson");
        Files.writeString(export, r.body());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = AuditVerifier.run(export, TestChain.shared().rpcUrl(), new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(code).as(out.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("verified 0 settlements, 0 authorizations, "
                + (lines.length - 1) + " audit events").contains(": OK");

        // One character of one entry's data changed: the verifier names that entry.
        String tampered = r.body().replace("\\\"exported\\\"", "\\\"exporteD\\\"");
        assertThat(tampered).isNotEqualTo(r.body());
        Files.writeString(export, tampered);
        out.reset();
        code = AuditVerifier.run(export, TestChain.shared().rpcUrl(), new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(AuditVerifier.MISMATCH);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("hash does not match the entry's content");
    }

    private static String cursorAfter(int seq) {
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(("seq:" + seq).getBytes(StandardCharsets.UTF_8));
    }

    private static String emptyToNull(String s) {
        return s.isEmpty() ? null : s;
    }

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.substring(2));
    }

    /** A strict RFC 4180 reader, independent of the writer under test. */
    static final class Csv {
        static List<List<String>> parse(String text) {
            List<List<String>> rows = new ArrayList<>();
            List<String> row = new ArrayList<>();
            StringBuilder field = new StringBuilder();
            boolean quoted = false;
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (quoted) {
                    if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                        field.append('"');
                        i++;
                    } else if (c == '"') {
                        quoted = false;
                    } else {
                        field.append(c);
                    }
                } else if (c == '"') {
                    quoted = true;
                } else if (c == ',') {
                    row.add(field.toString());
                    field.setLength(0);
                } else if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    row.add(field.toString());
                    field.setLength(0);
                    rows.add(row);
                    row = new ArrayList<>();
                    i++;
                } else {
                    field.append(c);
                }
            }
            assertThat(quoted).as("an unterminated quoted field").isFalse();
            assertThat(field.length() + row.size()).as("the last row ends with CRLF").isZero();
            return rows;
        }
    }
}

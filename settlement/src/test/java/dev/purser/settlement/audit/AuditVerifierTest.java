package dev.purser.settlement.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.purser.settlement.audit.verifier.AuditVerifier;
import dev.purser.settlement.audit.verifier.ExportFormat;
import dev.purser.settlement.audit.verifier.SettlementProofs;
import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import dev.purser.settlement.support.TestChain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;
import org.web3j.crypto.Keys;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The auditor's verifier checks an export against the chain alone: real settlements paid on
 * Ganache (aggregated payments, so that proofs have siblings, a funding and a withdrawal) verify;
 * an export with one amount, one proof element or one nonce changed, a consistently forged
 * settlement, a duplicated settlement or a cut-short file does not. Its own service instance in
 * aggregated mode, closed after the class, so that the export holds only this test's settlements.
 */
@TestPropertySource(properties = "purser.settlement.mode=aggregated")
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class AuditVerifierTest extends PurserTestBase {

    /** Settlement ids with 3, 1 and 5 authorizations: amounts in micro-USDC. */
    private static final long[][] AMOUNTS = {{1_100_000, 2_200_000, 3_300_000}, {500_000},
            {10_000, 20_000, 30_000, 40_000, 50_000}};

    private static List<String> settlementIds;
    private static String exportText;

    @TempDir
    Path dir;

    private static String freshMerchant() throws Exception {
        return Keys.toChecksumAddress(Keys.getAddress(Keys.createEcKeyPair()));
    }

    /** Pays the three settlements once for the class and exports them. */
    @BeforeEach
    void settledAndExported() throws Exception {
        if (exportText != null) {
            return;
        }
        awaitLocalChainBootstrapped();
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"100\"", 50_000_000);
        Set<String> ids = new LinkedHashSet<>();
        for (long[] settlement : AMOUNTS) {
            String merchant = freshMerchant();
            for (long micros : settlement) {
                String amount = java.math.BigDecimal.valueOf(micros, 6).stripTrailingZeros().toPlainString();
                Api.Response held = api().post("/v1/authorizations", agent.secret(),
                        "{\"amount\":\"" + amount + "\",\"merchant\":\"" + merchant + "\"}");
                assertThat(held.status()).as(held.toString()).isEqualTo(201);
                Api.Response settled = api().post("/v1/authorizations/" + held.string("$.data.id") + "/settle",
                        agent.secret(), "{}");
                assertThat(settled.status()).as(settled.toString()).isEqualTo(200);
                ids.add(settled.string("$.data.settlement.id"));
            }
        }
        assertThat(ids).as("one aggregated settlement per merchant").hasSize(AMOUNTS.length);
        // The operator's own transfers travel the same pipeline: a funding and a withdrawal.
        Api.Response funded = api().post("/v1/agents/" + agent.agentId() + "/fund", ADMIN, "{\"amount\":\"5\"}");
        assertThat(funded.status()).as(funded.toString()).isEqualTo(201);
        ids.add(funded.string("$.data.transfer.id"));
        Api.Response withdrawn = api().post("/v1/agents/" + agent.agentId() + "/withdraw", ADMIN, "{\"amount\":\"1\"}");
        assertThat(withdrawn.status()).as(withdrawn.toString()).isEqualTo(201);
        ids.add(withdrawn.string("$.data.transfer.id"));
        settlementIds = List.copyOf(ids);
        // Close the aggregation windows at once instead of waiting a minute.
        clock.advance(Duration.ofMinutes(2));
        for (String id : settlementIds) {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() -> {
                String status = api().get("/v1/settlements/" + id, ADMIN).string("$.data.status");
                return status.equals("confirmed") || status.equals("finalized");
            });
        }
        Api.Response r = api().get("/v1/audit/export?format=ndjson&kind=all", ADMIN);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        exportText = r.body();
    }

    /**
     * A fresh service funds its relayer and mints to its treasury from Ganache's account 0 in the
     * background after deploying; minting from the same account before it is done races for the
     * account's nonce. The treasury holding USDC means the bootstrap has finished.
     */
    private void awaitLocalChainBootstrapped() {
        tokenAddress();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            Api.Response t = api().get("/v1/treasury", ADMIN);
            return t.status() == 200 && !"0".equals(t.string("$.data.usdc_balance"));
        });
    }

    private record Run(int code, String output) {}

    private Run verify(String export) throws Exception {
        return verify(export, java.util.Map.of());
    }

    private Run verify(String export, java.util.Map<Long, byte[]> anchors) throws Exception {
        Path file = dir.resolve("export-" + System.nanoTime() + ".ndjson");
        Files.writeString(file, export);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = AuditVerifier.run(file, TestChain.shared().rpcUrl(), anchors, new PrintStream(out, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8));
    }

    /** The seq of the export's last audit event: with its hash, what an auditor keeps as an anchor. */
    private static long lastSeqOf(String export) {
        long last = 0;
        for (String line : export.split("\n")) {
            JsonNode node = ExportFormat.MAPPER.readTree(line);
            if (node.get("kind").stringValue().equals("audit_event")) {
                last = node.get("seq").longValue();
            }
        }
        return last;
    }

    private static String hashOfSeq(String export, long seq) {
        for (String line : export.split("\n")) {
            JsonNode node = ExportFormat.MAPPER.readTree(line);
            if (node.get("kind").stringValue().equals("audit_event") && node.get("seq").longValue() == seq) {
                return node.get("hash").stringValue();
            }
        }
        throw new IllegalStateException("no audit event seq " + seq);
    }

    /**
     * What someone with write access to the database could do: change an early entry and
     * recompute every hash after it, so that the chain is whole again.
     */
    private static String rewrittenHistory(String export) {
        List<String> lines = new ArrayList<>();
        byte[] prev = null;
        for (String line : export.split("\n")) {
            JsonNode node = ExportFormat.MAPPER.readTree(line);
            if (node.get("kind").stringValue().equals("audit_event")) {
                ObjectNode copy = (ObjectNode) node.deepCopy();
                long seq = copy.get("seq").longValue();
                if (seq == 2) {
                    copy.put("data_json", copy.get("data_json").stringValue().replaceFirst("\\}$", ",\"forged\":\"yes\"}"));
                }
                if (prev != null) {
                    copy.put("prev_hash", SettlementProofs.hex(prev));
                }
                AuditEntry e = new AuditEntry(seq, copy.get("id").stringValue(), java.time.Instant.parse(copy.get("at").stringValue()),
                        copy.get("type").stringValue(), text(copy, "actor_credential_id"), text(copy, "actor_scope"),
                        text(copy, "agent_id"), copy.get("subject").stringValue(), copy.get("data_json").stringValue(),
                        SettlementProofs.hash(copy.get("prev_hash").stringValue()), null);
                prev = AuditChain.hash(e);
                copy.put("hash", SettlementProofs.hex(prev));
                line = ExportFormat.MAPPER.writeValueAsString(copy);
            }
            lines.add(line);
        }
        return String.join("\n", lines) + "\n";
    }

    private static String text(JsonNode node, String field) {
        return node.hasNonNull(field) ? node.get(field).stringValue() : null;
    }

    @Test
    void aConsistentlyRewrittenLogIsCaughtOnlyByAnAnchorFromAnEarlierCheck() throws Exception {
        long last = lastSeqOf(exportText);
        String rewritten = rewrittenHistory(exportText);
        assertThat(rewritten).isNotEqualTo(exportText).contains("forged");
        assertThat(hashOfSeq(rewritten, last)).isNotEqualTo(hashOfSeq(exportText, last));
        Run unanchored = verify(rewritten);
        assertThat(unanchored.code()).as("a whole chain, rewritten, is whole: " + unanchored.output()).isEqualTo(AuditVerifier.OK);

        java.util.Map<Long, byte[]> anchor = java.util.Map.of(last, SettlementProofs.hash(hashOfSeq(exportText, last)));
        Run honest = verify(exportText, anchor);
        assertThat(honest.code()).as(honest.output()).isEqualTo(AuditVerifier.OK);
        Run anchored = verify(rewritten, anchor);
        assertThat(anchored.code()).as(anchored.output()).isEqualTo(AuditVerifier.MISMATCH);
        assertThat(anchored.output()).contains("audit event seq " + last).contains("the log was rewritten since");

        Run beyond = verify(exportText, java.util.Map.of(last + 5, SettlementProofs.hash(hashOfSeq(exportText, last))));
        assertThat(beyond.code()).as(beyond.output()).isEqualTo(AuditVerifier.MISMATCH);
        assertThat(beyond.output()).contains("anchor seq " + (last + 5)).contains("ends at seq " + last);
    }

    /** The export with the line of settlement {@code index} (in {@link #AMOUNTS} order) changed. */
    private static String withSettlement(int index, Consumer<ObjectNode> change) {
        List<String> lines = new ArrayList<>();
        for (String line : exportText.split("\n")) {
            JsonNode node = ExportFormat.MAPPER.readTree(line);
            if (node.get("kind").stringValue().equals("settlement") && node.get("id").stringValue().equals(settlementIds.get(index))) {
                ObjectNode copy = (ObjectNode) node.deepCopy();
                change.accept(copy);
                line = ExportFormat.MAPPER.writeValueAsString(copy);
            }
            lines.add(line);
        }
        return String.join("\n", lines) + "\n";
    }

    @Test
    void anHonestExportVerifiesAgainstTheChain() throws Exception {
        Run run = verify(exportText);
        assertThat(run.code()).as(run.output()).isEqualTo(AuditVerifier.OK);
        assertThat(run.output()).contains("verified 5 settlements, 9 authorizations, ").endsWith(": OK\n");
        assertThat(run.output()).doesNotContain("MISMATCH");
        // The proofs are real trees: the five-item settlement's proofs have siblings.
        JsonNode five = exportText.lines().map(ExportFormat.MAPPER::readTree)
                .filter(n -> n.get("kind").stringValue().equals("settlement") && n.get("id").stringValue().equals(settlementIds.get(2)))
                .findFirst().orElseThrow();
        assertThat(five.get("authorizations")).hasSize(5);
        assertThat(five.get("authorizations").get(0).get("proof").size()).isEqualTo(3);
        assertThat(five.get("status").stringValue()).isIn("confirmed", "finalized");
    }

    /**
     * The auditor's command itself, {@code scripts/verify-audit}, as a separate process: exit 0 on
     * the honest export, 1 on one with a single amount changed, 2 when it cannot read the file.
     * It is handed the suite's classpath so that it does not build inside this build.
     */
    @Test
    void theAuditorsScriptPassesTheHonestExportAndFailsATamperedOne() throws Exception {
        Path honest = dir.resolve("honest.ndjson");
        Files.writeString(honest, exportText);
        Run ok = script(honest.toString());
        assertThat(ok.code()).as(ok.output()).isZero();
        assertThat(ok.output()).contains("verified 5 settlements, 9 authorizations, ").contains(": OK");

        Path tampered = dir.resolve("tampered.ndjson");
        Files.writeString(tampered, withSettlement(1, s -> ((ObjectNode) s.get("authorizations").get(0)).put("amount_micros", 500_001L)));
        Run mismatch = script(tampered.toString());
        assertThat(mismatch.code()).as(mismatch.output()).isEqualTo(1);
        assertThat(mismatch.output()).contains("settlement " + settlementIds.get(1)).contains("MISMATCH");

        Run unreadable = script(dir.resolve("missing.ndjson").toString());
        assertThat(unreadable.code()).as(unreadable.output()).isEqualTo(2);

        long last = lastSeqOf(exportText);
        Run anchored = script(honest.toString(), "--anchor", last + ":" + hashOfSeq(exportText, last));
        assertThat(anchored.code()).as(anchored.output()).isZero();
        Path rewritten = dir.resolve("rewritten.ndjson");
        Files.writeString(rewritten, rewrittenHistory(exportText));
        Run caught = script(rewritten.toString(), "--anchor", last + ":" + hashOfSeq(exportText, last));
        assertThat(caught.code()).as(caught.output()).isEqualTo(1);
        assertThat(caught.output()).contains("the log was rewritten since");
        Run malformed = script(honest.toString(), "--anchor", "not-an-anchor");
        assertThat(malformed.code()).as(malformed.output()).isEqualTo(2);
    }

    private Run script(String exportFile, String... anchorArgs) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", Path.of("..", "scripts", "verify-audit").toString(), exportFile,
                TestChain.shared().rpcUrl()));
        command.addAll(List.of(anchorArgs));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("PURSER_VERIFY_AUDIT_CLASSPATH", System.getProperty("java.class.path"));
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).as("verify-audit finishes").isTrue();
        return new Run(p.exitValue(), output);
    }

    @Test
    void oneChangedAuthorizationAmountIsCaught() throws Exception {
        Run run = verify(withSettlement(0, s -> ((ObjectNode) s.get("authorizations").get(1)).put("amount_micros", 2_200_001L)));
        assertThat(run.code()).as(run.output()).isEqualTo(AuditVerifier.MISMATCH);
        assertThat(run.output()).contains("settlement " + settlementIds.get(0))
                .contains("its proof does not lead to the nonce")
                .contains("add up to 6600001 micros, the settlement pays 6600000");
    }

    @Test
    void oneChangedProofElementIsCaught() throws Exception {
        Run run = verify(withSettlement(2, s -> {
            ArrayNode proof = (ArrayNode) s.get("authorizations").get(3).get("proof");
            String sibling = proof.get(1).stringValue();
            proof.set(1, JsonNodeFactory.instance.stringNode(sibling.substring(0, 65) + (sibling.endsWith("0") ? "1" : "0")));
        }));
        assertThat(run.code()).as(run.output()).isEqualTo(AuditVerifier.MISMATCH);
        assertThat(run.output()).contains("settlement " + settlementIds.get(2))
                .contains("its proof does not lead to the nonce").contains(": 1 MISMATCH");
    }

    @Test
    void aChangedNonceIsCaughtByTheProofsAndByTheChain() throws Exception {
        Run run = verify(withSettlement(1, s -> s.put("nonce", "0x" + "ab".repeat(32))));
        assertThat(run.code()).as(run.output()).isEqualTo(AuditVerifier.MISMATCH);
        assertThat(run.output()).contains("its proof does not lead to the nonce 0x" + "ab".repeat(32))
                .contains("has no AuthorizationUsed(");
    }

    @Test
    void aFundingOrWithdrawalWithAnotherNonceIsCaught() throws Exception {
        String forged = "0x" + "cd".repeat(32);
        Run run = verify(withSettlement(4, s -> s.put("nonce", forged)));
        assertThat(run.code()).as(run.output()).isEqualTo(AuditVerifier.MISMATCH);
        assertThat(run.output()).contains("settlement " + settlementIds.get(4) + ": the nonce of a withdrawal is ")
                .contains("the export says " + forged).contains("has no AuthorizationUsed(");
        Run funding = verify(withSettlement(3, s -> s.put("amount_micros", 6_000_000L)));
        assertThat(funding.code()).as(funding.output()).isEqualTo(AuditVerifier.MISMATCH);
        assertThat(funding.output()).contains("settlement " + settlementIds.get(3)).contains("transfers 5000000 micros, the settlement pays 6000000");
    }

    @Test
    void aConsistentlyForgedSettlementIsCaughtByTheChain() throws Exception {
        // The forger raises one amount and recomputes every leaf, proof and the nonce, so the
        // export is consistent in itself: only the chain can tell.
        Run run = verify(withSettlement(0, s -> {
            ArrayNode authorizations = (ArrayNode) s.get("authorizations");
            ((ObjectNode) authorizations.get(0)).put("amount_micros", 1_900_000L);
            List<byte[]> leaves = new ArrayList<>();
            for (JsonNode a : authorizations) {
                leaves.add(SettlementProofs.leaf(s.get("chain_id").longValue(), s.get("token").stringValue(),
                        s.get("from").stringValue(), s.get("to").stringValue(), a.get("amount_micros").longValue(),
                        a.get("id").stringValue()));
            }
            List<List<byte[]>> proofs = SettlementProofs.proofs(leaves);
            for (int i = 0; i < leaves.size(); i++) {
                ObjectNode a = (ObjectNode) authorizations.get(i);
                a.put("leaf", SettlementProofs.hex(leaves.get(i)));
                ArrayNode proof = a.putArray("proof");
                proofs.get(i).forEach(p -> proof.add(SettlementProofs.hex(p)));
            }
            s.put("nonce", SettlementProofs.hex(SettlementProofs.root(leaves)));
            s.put("amount_micros", 7_400_000L);
        }));
        assertThat(run.code()).as(run.output()).isEqualTo(AuditVerifier.MISMATCH);
        assertThat(run.output()).doesNotContain("its proof does not lead")
                .contains("transfers 6600000 micros, the settlement pays 7400000")
                .contains("has no AuthorizationUsed(");
    }

    @Test
    void aSettlementClaimedTwiceOrACutShortFileIsCaught() throws Exception {
        String[] lines = exportText.split("\n");
        String settlementLine = exportText.lines().filter(l -> l.contains("\"kind\":\"settlement\"")).findFirst().orElseThrow();
        String duplicated = exportText.replace(settlementLine + "\n", settlementLine + "\n" + settlementLine + "\n");
        Run twice = verify(duplicated);
        assertThat(twice.code()).as(twice.output()).isEqualTo(AuditVerifier.MISMATCH);
        assertThat(twice.output()).contains("is claimed by another settlement too").contains("is paid by another settlement too")
                .contains("export_end counts");

        String cut = String.join("\n", java.util.Arrays.copyOf(lines, lines.length - 1)) + "\n";
        Run shortRun = verify(cut);
        assertThat(shortRun.code()).as(shortRun.output()).isEqualTo(AuditVerifier.MISMATCH);
        assertThat(shortRun.output()).contains("the export was cut short");
    }

    @Test
    void anUnreachableNodeIsAnErrorNotAVerdict() throws Exception {
        Path file = dir.resolve("export.ndjson");
        Files.writeString(file, exportText);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = AuditVerifier.run(file, "http://127.0.0.1:1", new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(code).as(out.toString(StandardCharsets.UTF_8)).isEqualTo(AuditVerifier.ERROR);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("ERROR the RPC node did not answer");
    }
}

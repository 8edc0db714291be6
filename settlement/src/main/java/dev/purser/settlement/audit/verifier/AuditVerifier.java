package dev.purser.settlement.audit.verifier;

import dev.purser.settlement.audit.AuditChain;
import dev.purser.settlement.audit.AuditEntry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import okhttp3.OkHttpClient;
import org.web3j.crypto.Hash;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.response.EthGetTransactionReceipt;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * The auditor's verifier: checks an NDJSON audit export against the chain alone, with no Purser
 * service and no database. For every settlement line it recomputes each authorization's leaf from
 * (chain id, token, from, to, amount, authorization id), checks its proof up to the nonce and that
 * the amounts add up to the settlement's, then reads the transaction's receipt from the RPC node:
 * the token must have recorded {@code AuthorizationUsed(from, nonce)} and, at the settlement's log
 * index, {@code Transfer(from, to, amount)}. A funding or withdrawal covers no authorization: its
 * nonce must be the one derived from its id, and its transfer is checked the same way. Across the
 * file no nonce, no transfer and no
 * authorization may appear twice. Audit event lines, when present, must form an unbroken hash
 * chain. Each mismatch is printed; the exit code is 0 when all holds, 1 on any mismatch, 2 when
 * the check itself could not be done (unreadable file, RPC node unreachable).
 *
 * <p>Anchors: the hash chain proves that no row was changed relative to the rows around it, not
 * that someone with the database did not rewrite the whole chain. An auditor who kept the head
 * of an earlier check ({@code seq} and {@code hash}, printed on every run and by {@code GET
 * /v1/audit/verify}) passes it as an anchor: the entry at that seq must still have that hash, and
 * the log must still reach that far.
 *
 * <p>Usage: {@code AuditVerifier EXPORT.ndjson RPC_URL [--anchor SEQ:HASH]...} (scripts/verify-audit
 * wraps it).
 */
public final class AuditVerifier {

    public static final int OK = 0;
    public static final int MISMATCH = 1;
    public static final int ERROR = 2;

    /** A settlement of {@link SettlementProofs#MAX_AUTHORIZATIONS} items is about 12 MB of JSON. */
    static final int MAX_LINE_CHARS = 32 * 1024 * 1024;

    /** What the duplicate checks remember grows with the file: bounded, as everything is. */
    static final int MAX_SETTLEMENTS = 2_000_000;

    /** Anchors an auditor may pass at once. */
    static final int MAX_ANCHORS = 1_000;

    /** Receipts are cached because one batch transaction pays many settlements. */
    private static final int RECEIPT_CACHE_SIZE = 512;
    private static final int RPC_ATTEMPTS = 3;

    static final String TRANSFER_TOPIC = Hash.sha3String("Transfer(address,address,uint256)");
    static final String AUTHORIZATION_USED_TOPIC = Hash.sha3String("AuthorizationUsed(address,bytes32)");

    private final Chain chain;
    private final PrintStream out;
    private final Map<String, Optional<TransactionReceipt>> receipts = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Optional<TransactionReceipt>> eldest) {
            return size() > RECEIPT_CACHE_SIZE;
        }
    };
    private final Set<String> nonces = new HashSet<>();
    private final Set<String> transfers = new HashSet<>();
    private final Set<String> authorizationIds = new HashSet<>();
    private final Map<Long, byte[]> anchors;

    private long mismatches;
    private long settlements;
    private long authorizations;
    private long auditEvents;
    private Long chainId;
    private Long firstSeq;
    private long lastSeq;
    private byte[] lastHash;
    private JsonNode end;

    AuditVerifier(Chain chain, PrintStream out, Map<Long, byte[]> anchors) {
        this.chain = chain;
        this.out = out;
        this.anchors = new java.util.TreeMap<>(anchors); // reported in seq order
    }

    public static void main(String[] args) {
        Map<Long, byte[]> anchors = new java.util.TreeMap<>();
        boolean valid = args.length >= 2 && args.length % 2 == 0 && (args.length - 2) / 2 <= MAX_ANCHORS;
        for (int i = 2; valid && i < args.length; i += 2) {
            Optional<Map.Entry<Long, byte[]>> anchor = "--anchor".equals(args[i]) ? anchor(args[i + 1]) : Optional.empty();
            anchor.ifPresent(a -> anchors.put(a.getKey(), a.getValue()));
            valid = anchor.isPresent();
        }
        if (!valid) {
            System.err.println("usage: AuditVerifier EXPORT.ndjson RPC_URL [--anchor SEQ:HASH]...");
            System.err.println("  EXPORT.ndjson  GET /v1/audit/export?format=ndjson&kind=all (or kind=settlements)");
            System.err.println("  RPC_URL        a JSON-RPC node of the chain the settlements were paid on");
            System.err.println("  SEQ:HASH       an audit entry's seq and hash from an earlier check (at most " + MAX_ANCHORS + ")");
            System.exit(ERROR);
        }
        System.exit(run(Path.of(args[0]), args[1], anchors, System.out));
    }

    /** {@code SEQ:0xHASH}, or empty when it is not one. */
    static Optional<Map.Entry<Long, byte[]>> anchor(String text) {
        int colon = text.indexOf(':');
        if (colon <= 0 || colon > 19) {
            return Optional.empty();
        }
        try {
            long seq = Long.parseLong(text.substring(0, colon));
            return seq > 0 ? Optional.of(Map.entry(seq, SettlementProofs.hash(text.substring(colon + 1)))) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Verifies {@code export} against the node at {@code rpcUrl}; returns the exit code. */
    public static int run(Path export, String rpcUrl, PrintStream out) {
        return run(export, rpcUrl, Map.of(), out);
    }

    /** As {@link #run(Path, String, PrintStream)}, also holding the log to the auditor's anchors. */
    public static int run(Path export, String rpcUrl, Map<Long, byte[]> anchors, PrintStream out) {
        OkHttpClient http = new OkHttpClient.Builder()
                .connectTimeout(Duration.ofSeconds(10))
                .readTimeout(Duration.ofSeconds(30))
                .callTimeout(Duration.ofSeconds(60))
                .build();
        Web3j web3j = Web3j.build(new HttpService(rpcUrl, http));
        try {
            return new AuditVerifier(new RpcChain(web3j), out, anchors).verify(export);
        } finally {
            web3j.shutdown();
        }
    }

    int verify(Path export) {
        try (BufferedReader reader = Files.newBufferedReader(export, StandardCharsets.UTF_8)) {
            long lineNumber = 0;
            String line;
            while ((line = readLine(reader)) != null) {
                lineNumber++;
                if (!line.isBlank()) {
                    verifyLine(lineNumber, line);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            out.println("ERROR cannot read " + export + ": " + e.getMessage());
            return ERROR;
        } catch (ChainUnavailable e) {
            out.println("ERROR the RPC node did not answer: " + e.getMessage());
            return ERROR;
        } catch (TooLarge e) {
            out.println("ERROR " + e.getMessage());
            return ERROR;
        }
        verifyEnd();
        String events = auditEvents == 0 ? "" : ", " + auditEvents + " audit events"
                + (firstSeq == null ? "" : " (seq " + firstSeq + " to " + lastSeq + ", head " + SettlementProofs.hex(lastHash) + ")");
        out.println("verified " + settlements + " settlements, " + authorizations + " authorizations" + events + ": "
                + (mismatches == 0 ? "OK" : mismatches + (mismatches == 1 ? " MISMATCH" : " MISMATCHES")));
        return mismatches == 0 ? OK : MISMATCH;
    }

    private void verifyLine(long lineNumber, String line) {
        if (end != null) {
            mismatch(lineNumber, "export", "a line follows the export_end line");
            return;
        }
        JsonNode node;
        try {
            node = ExportFormat.MAPPER.readTree(line);
        } catch (JacksonException e) {
            mismatch(lineNumber, "export", "not a JSON object");
            return;
        }
        String kind = Fields.textOr(node, "kind", "");
        switch (kind) {
            case ExportFormat.AUDIT_EVENT -> verifyAuditEvent(lineNumber, node);
            case ExportFormat.SETTLEMENT -> verifySettlement(lineNumber, node);
            case ExportFormat.EXPORT_END -> end = node;
            default -> mismatch(lineNumber, "export", "unknown kind '" + kind + "'");
        }
    }

    private void verifyEnd() {
        for (Map.Entry<Long, byte[]> anchor : anchors.entrySet()) {
            long seq = anchor.getKey();
            if (firstSeq == null || seq > lastSeq) {
                mismatch(0, "anchor seq " + seq, "the audit log " + (firstSeq == null ? "in this export is empty"
                        : "ends at seq " + lastSeq) + ": entries an earlier check saw are gone");
            } else if (seq < firstSeq) {
                out.println("NOTE anchor seq " + seq + " is before this export's first entry (seq " + firstSeq + "): not checked");
            }
        }
        if (end == null) {
            mismatch(0, "export", "there is no export_end line: the export was cut short");
            return;
        }
        if (Fields.longOr(end, "audit_events", -1) != auditEvents || Fields.longOr(end, "settlements", -1) != settlements) {
            mismatch(0, "export", "export_end counts " + end.path("audit_events") + " audit events and "
                    + end.path("settlements") + " settlements, the file holds " + auditEvents + " and " + settlements);
        }
    }

    // ---- audit events ----

    private void verifyAuditEvent(long lineNumber, JsonNode node) {
        AuditEntry entry;
        try {
            entry = new AuditEntry(Fields.positiveLong(node, "seq"), Fields.text(node, "id"), instant(node),
                    Fields.text(node, "type"), Fields.nullableText(node, "actor_credential_id"),
                    Fields.nullableText(node, "actor_scope"), Fields.nullableText(node, "agent_id"),
                    Fields.text(node, "subject"), Fields.text(node, "data_json"), Fields.hash(node, "prev_hash"),
                    Fields.hash(node, "hash"));
        } catch (IllegalArgumentException e) {
            mismatch(lineNumber, "audit event", e.getMessage());
            return;
        }
        String what = "audit event seq " + entry.seq();
        auditEvents++;
        if (firstSeq == null) {
            firstSeq = entry.seq();
            if (entry.seq() == 1 && !Arrays.equals(entry.prevHash(), AuditChain.GENESIS)) {
                mismatch(lineNumber, what, "the first entry's prev_hash is not 32 zero bytes");
            }
        } else {
            if (entry.seq() != lastSeq + 1) {
                mismatch(lineNumber, what, "follows seq " + lastSeq + ": entries are missing or out of order");
            }
            if (!Arrays.equals(entry.prevHash(), lastHash)) {
                mismatch(lineNumber, what, "prev_hash is not the hash of the entry before it");
            }
        }
        if (!Arrays.equals(AuditChain.hash(entry), entry.hash())) {
            mismatch(lineNumber, what, "hash does not match the entry's content");
        }
        byte[] anchored = anchors.get(entry.seq());
        if (anchored != null && !Arrays.equals(anchored, entry.hash())) {
            mismatch(lineNumber, what, "its hash is " + SettlementProofs.hex(entry.hash()) + ", an earlier check anchored "
                    + SettlementProofs.hex(anchored) + ": the log was rewritten since");
        }
        lastSeq = entry.seq();
        lastHash = entry.hash();
    }

    private static Instant instant(JsonNode node) {
        String at = Fields.text(node, "at");
        try {
            return Instant.parse(at);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'at' is not an ISO-8601 instant");
        }
    }

    // ---- settlements ----

    private record Settlement(String kind, String id, long chainId, String token, String from, String to, long amountMicros,
            String nonce, String txHash, long blockNumber, String blockHash, int logIndex,
            List<Authorization> authorizations) {}

    private record Authorization(String id, long amountMicros, String leaf, List<byte[]> proof) {}

    private void verifySettlement(long lineNumber, JsonNode node) {
        String what = "settlement " + Fields.textOr(node, "id", "?");
        Settlement s;
        try {
            s = parseSettlement(node);
        } catch (IllegalArgumentException e) {
            mismatch(lineNumber, what, e.getMessage());
            return;
        }
        if (++settlements > MAX_SETTLEMENTS) {
            throw new TooLarge("the export holds more than " + MAX_SETTLEMENTS + " settlements: split it with since/until");
        }
        authorizations += s.authorizations().size();
        verifyProofs(lineNumber, what, s);
        verifyUnique(lineNumber, what, s);
        verifyOnChain(lineNumber, what, s);
    }

    private static Settlement parseSettlement(JsonNode node) {
        // Exports made before fundings and withdrawals existed hold payments only.
        String kind = node.hasNonNull("settlement_kind") ? Fields.text(node, "settlement_kind") : ExportFormat.PAYMENT;
        JsonNode items = node.get("authorizations");
        if (items == null || !items.isArray() || items.size() > SettlementProofs.MAX_AUTHORIZATIONS) {
            throw new IllegalArgumentException("'authorizations' must be an array of at most "
                    + SettlementProofs.MAX_AUTHORIZATIONS + " authorizations");
        }
        switch (kind) {
            case ExportFormat.PAYMENT -> {
                if (items.isEmpty()) {
                    throw new IllegalArgumentException("a payment covers at least one authorization");
                }
            }
            case ExportFormat.FUNDING, ExportFormat.WITHDRAWAL -> {
                if (!items.isEmpty()) {
                    throw new IllegalArgumentException("a " + kind + " covers no authorization");
                }
            }
            default -> throw new IllegalArgumentException("'settlement_kind' is payment, funding or withdrawal, not '"
                    + kind + "'");
        }
        List<Authorization> authorizations = new ArrayList<>(items.size());
        for (JsonNode item : items) {
            JsonNode proof = item.get("proof");
            if (proof == null || !proof.isArray() || proof.size() > SettlementProofs.MAX_PROOF_LENGTH) {
                throw new IllegalArgumentException("an authorization's 'proof' must be an array of at most "
                        + SettlementProofs.MAX_PROOF_LENGTH + " hashes");
            }
            List<byte[]> siblings = new ArrayList<>(proof.size());
            for (JsonNode sibling : proof) {
                if (!sibling.isString()) {
                    throw new IllegalArgumentException("a proof element must be a 0x hash string");
                }
                siblings.add(SettlementProofs.hash(sibling.stringValue()));
            }
            authorizations.add(new Authorization(Fields.text(item, "id"), Fields.positiveLong(item, "amount_micros"),
                    Fields.nullableText(item, "leaf"), siblings));
        }
        return new Settlement(kind, Fields.text(node, "id"), Fields.positiveLong(node, "chain_id"), Fields.address(node, "token"),
                Fields.address(node, "from"), Fields.address(node, "to"), Fields.positiveLong(node, "amount_micros"),
                SettlementProofs.hex(Fields.hash(node, "nonce")), SettlementProofs.hex(Fields.hash(node, "tx_hash")),
                Fields.nonNegativeLong(node, "block_number"),
                node.hasNonNull("block_hash") ? SettlementProofs.hex(Fields.hash(node, "block_hash")) : null,
                Math.toIntExact(Fields.nonNegativeLong(node, "log_index")), authorizations);
    }

    private void verifyProofs(long lineNumber, String what, Settlement s) {
        if (!s.kind().equals(ExportFormat.PAYMENT)) {
            String expected = SettlementProofs.hex(Hash.sha3(("purser:" + s.kind() + ":" + s.id()).getBytes(StandardCharsets.UTF_8)));
            if (!expected.equals(s.nonce())) {
                mismatch(lineNumber, what, "the nonce of a " + s.kind() + " is " + expected + ", the export says " + s.nonce());
            }
            return;
        }
        byte[] nonce = SettlementProofs.hash(s.nonce());
        long sum = 0;
        for (Authorization a : s.authorizations()) {
            byte[] leaf;
            try {
                leaf = SettlementProofs.leaf(s.chainId(), s.token(), s.from(), s.to(), a.amountMicros(), a.id());
            } catch (IllegalArgumentException e) {
                mismatch(lineNumber, what, "authorization " + a.id() + ": " + e.getMessage());
                continue;
            }
            if (a.leaf() != null && !a.leaf().equalsIgnoreCase(SettlementProofs.hex(leaf))) {
                mismatch(lineNumber, what, "authorization " + a.id() + ": the export's leaf " + a.leaf()
                        + " is not the leaf of its fields " + SettlementProofs.hex(leaf));
            }
            if (!SettlementProofs.verify(leaf, a.proof(), nonce)) {
                mismatch(lineNumber, what, "authorization " + a.id() + " (" + a.amountMicros()
                        + " micros): its proof does not lead to the nonce " + s.nonce());
            }
            sum = addCapped(sum, a.amountMicros());
        }
        if (sum != s.amountMicros()) {
            mismatch(lineNumber, what, "its authorizations add up to " + sum + " micros, the settlement pays "
                    + s.amountMicros());
        }
    }

    private static long addCapped(long a, long b) {
        try {
            return Math.addExact(a, b);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** Exactly once: a nonce, a transfer and an authorization each belong to one settlement. */
    private void verifyUnique(long lineNumber, String what, Settlement s) {
        if (!nonces.add(s.nonce())) {
            mismatch(lineNumber, what, "nonce " + s.nonce() + " is claimed by another settlement too");
        }
        if (!transfers.add(s.chainId() + ":" + s.txHash() + ":" + s.logIndex())) {
            mismatch(lineNumber, what, "the transfer at " + s.txHash() + " log " + s.logIndex()
                    + " is claimed by another settlement too");
        }
        for (Authorization a : s.authorizations()) {
            if (!authorizationIds.add(a.id())) {
                mismatch(lineNumber, what, "authorization " + a.id() + " is paid by another settlement too");
            }
        }
    }

    private void verifyOnChain(long lineNumber, String what, Settlement s) {
        if (chainId == null) {
            chainId = chain.chainId();
        }
        if (s.chainId() != chainId) {
            mismatch(lineNumber, what, "was paid on chain " + s.chainId() + ", the RPC node serves chain " + chainId);
            return;
        }
        Optional<TransactionReceipt> found = receipts.get(s.txHash());
        if (found == null) {
            found = chain.receipt(s.txHash());
            receipts.put(s.txHash(), found);
        }
        if (found.isEmpty()) {
            mismatch(lineNumber, what, "transaction " + s.txHash() + " is not on the chain");
            return;
        }
        TransactionReceipt receipt = found.get();
        if (!receipt.isStatusOK()) {
            mismatch(lineNumber, what, "transaction " + s.txHash() + " reverted");
        }
        if (receipt.getBlockNumber() == null || receipt.getBlockNumber().longValueExact() != s.blockNumber()) {
            mismatch(lineNumber, what, "transaction " + s.txHash() + " is in block " + receipt.getBlockNumber()
                    + ", the settlement says " + s.blockNumber());
        }
        if (s.blockHash() != null && !s.blockHash().equalsIgnoreCase(receipt.getBlockHash())) {
            mismatch(lineNumber, what, "block " + s.blockNumber() + " has hash " + receipt.getBlockHash()
                    + " on the chain, the settlement says " + s.blockHash());
        }
        verifyTransfer(lineNumber, what, s, receipt);
        boolean used = receipt.getLogs().stream().anyMatch(log -> !log.isRemoved()
                && log.getAddress().equalsIgnoreCase(s.token())
                && topics(log, 3)
                && log.getTopics().get(0).equalsIgnoreCase(AUTHORIZATION_USED_TOPIC)
                && sameAddress(log.getTopics().get(1), s.from())
                && log.getTopics().get(2).equalsIgnoreCase(s.nonce()));
        if (!used) {
            mismatch(lineNumber, what, "transaction " + s.txHash() + " has no AuthorizationUsed(" + s.from() + ", "
                    + s.nonce() + ") from the token " + s.token());
        }
    }

    private void verifyTransfer(long lineNumber, String what, Settlement s, TransactionReceipt receipt) {
        Log transfer = receipt.getLogs().stream()
                .filter(log -> !log.isRemoved() && log.getLogIndex() != null
                        && log.getLogIndex().longValueExact() == s.logIndex())
                .findFirst().orElse(null);
        String at = "log " + s.logIndex() + " of " + s.txHash();
        if (transfer == null) {
            mismatch(lineNumber, what, at + " does not exist");
            return;
        }
        if (!transfer.getAddress().equalsIgnoreCase(s.token()) || !topics(transfer, 3)
                || !transfer.getTopics().get(0).equalsIgnoreCase(TRANSFER_TOPIC)) {
            mismatch(lineNumber, what, at + " is not a Transfer of the token " + s.token());
            return;
        }
        if (!sameAddress(transfer.getTopics().get(1), s.from())) {
            mismatch(lineNumber, what, at + " is a transfer from " + address(transfer.getTopics().get(1))
                    + ", not from " + s.from());
        }
        if (!sameAddress(transfer.getTopics().get(2), s.to())) {
            mismatch(lineNumber, what, at + " is a transfer to " + address(transfer.getTopics().get(2))
                    + ", not to " + s.to());
        }
        BigInteger value = Numeric.toBigInt(transfer.getData());
        if (!value.equals(BigInteger.valueOf(s.amountMicros()))) {
            mismatch(lineNumber, what, at + " transfers " + value + " micros, the settlement pays " + s.amountMicros());
        }
    }

    private static boolean topics(Log log, int count) {
        return log.getTopics() != null && log.getTopics().size() == count;
    }

    private static boolean sameAddress(String topic, String address) {
        return Numeric.toBigInt(topic).equals(Numeric.toBigInt(address));
    }

    private static String address(String topic) {
        return Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(topic), 40);
    }

    private void mismatch(long lineNumber, String what, String problem) {
        mismatches++;
        out.println("MISMATCH " + (lineNumber > 0 ? "line " + lineNumber + " " : "") + what + ": " + problem);
    }

    /** One line, refusing lines longer than {@link #MAX_LINE_CHARS}; null at the end of the file. */
    private static String readLine(BufferedReader reader) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = reader.read()) != -1) {
            if (c == '\n') {
                return line.toString();
            }
            if (line.length() >= MAX_LINE_CHARS) {
                throw new TooLarge("a line is longer than " + MAX_LINE_CHARS + " characters");
            }
            line.append((char) c);
        }
        return line.isEmpty() ? null : line.toString();
    }

    /** Required fields of one export line, each refusal naming the field. */
    private static final class Fields {

        static String text(JsonNode node, String field) {
            JsonNode v = node.get(field);
            if (v == null || !v.isString()) {
                throw new IllegalArgumentException("'" + field + "' must be a string");
            }
            return v.stringValue();
        }

        static String textOr(JsonNode node, String field, String otherwise) {
            JsonNode v = node.get(field);
            return v != null && v.isString() ? v.stringValue() : otherwise;
        }

        static long longOr(JsonNode node, String field, long otherwise) {
            JsonNode v = node.get(field);
            return v != null && v.isIntegralNumber() && v.canConvertToLong() ? v.longValue() : otherwise;
        }

        static String nullableText(JsonNode node, String field) {
            JsonNode v = node.get(field);
            return v == null || v.isNull() ? null : text(node, field);
        }

        static long nonNegativeLong(JsonNode node, String field) {
            JsonNode v = node.get(field);
            if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new IllegalArgumentException("'" + field + "' must be a whole number of at least 0");
            }
            return v.longValue();
        }

        static long positiveLong(JsonNode node, String field) {
            long n = nonNegativeLong(node, field);
            if (n == 0) {
                throw new IllegalArgumentException("'" + field + "' must be above 0");
            }
            return n;
        }

        static byte[] hash(JsonNode node, String field) {
            try {
                return SettlementProofs.hash(text(node, field));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + field + "' must be 0x and 64 hex digits");
            }
        }

        static String address(JsonNode node, String field) {
            String a = text(node, field);
            if (!SettlementProofs.isAddress(a)) {
                throw new IllegalArgumentException("'" + field + "' must be 0x and 40 hex digits");
            }
            return a.toLowerCase(Locale.ROOT);
        }
    }

    /** What the verifier reads from the chain. */
    interface Chain {
        long chainId();

        Optional<TransactionReceipt> receipt(String txHash);
    }

    /** The chain through a JSON-RPC node, each call retried a few times before giving up. */
    private record RpcChain(Web3j web3j) implements Chain {

        @Override
        public long chainId() {
            return call("eth_chainId", () -> web3j.ethChainId().send()).getChainId().longValueExact();
        }

        @Override
        public Optional<TransactionReceipt> receipt(String txHash) {
            EthGetTransactionReceipt r = call("eth_getTransactionReceipt", () -> web3j.ethGetTransactionReceipt(txHash).send());
            return r.getTransactionReceipt();
        }

        private interface Call<T extends Response<?>> {
            T send() throws IOException;
        }

        private static <T extends Response<?>> T call(String method, Call<T> call) {
            IOException last = null;
            for (int attempt = 1; attempt <= RPC_ATTEMPTS; attempt++) {
                try {
                    T response = call.send();
                    if (response.hasError()) {
                        throw new ChainUnavailable(method + " answered an error: " + response.getError().getMessage());
                    }
                    return response;
                } catch (IOException e) {
                    last = e;
                    sleep(Duration.ofMillis(500L * attempt));
                }
            }
            throw new ChainUnavailable(method + " failed " + RPC_ATTEMPTS + " times: " + last.getMessage());
        }

        private static void sleep(Duration d) {
            try {
                Thread.sleep(d);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ChainUnavailable("interrupted");
            }
        }
    }

    private static final class ChainUnavailable extends RuntimeException {
        ChainUnavailable(String message) {
            super(message, null, false, false);
        }
    }

    private static final class TooLarge extends RuntimeException {
        TooLarge(String message) {
            super(message, null, false, false);
        }
    }
}

package dev.purser.settlement.settlements;

import dev.purser.contracts.BatchSettler;
import dev.purser.settlement.agents.AgentFunds;
import dev.purser.settlement.agents.AgentService;
import dev.purser.settlement.audit.AuditLog;
import dev.purser.settlement.chain.ChainSettings;
import dev.purser.settlement.chain.ContractRegistry;
import dev.purser.settlement.common.Ids;
import dev.purser.settlement.common.Money;
import dev.purser.settlement.config.PurserProperties;
import dev.purser.settlement.custody.Custody;
import dev.purser.settlement.storage.LeaderLoop;
import dev.purser.wallet.eip3009.Bytes32;
import dev.purser.wallet.eip3009.Eip3009;
import dev.purser.wallet.eip3009.Eip712Domain;
import dev.purser.wallet.eip3009.SignedTransferAuthorization;
import dev.purser.wallet.eip3009.TokenDomains;
import dev.purser.wallet.eip3009.TransferAuthorization;
import dev.purser.wallet.tx.FeePolicy;
import dev.purser.wallet.tx.SenderConfig;
import dev.purser.wallet.tx.StoredTransaction;
import dev.purser.wallet.tx.TransactionRequest;
import dev.purser.wallet.tx.TransactionSender;
import java.io.IOException;
import java.math.BigInteger;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.Function;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Convert;
import org.web3j.utils.Numeric;

/**
 * Pays settled authorizations on-chain, exactly once. One instance leads per relayer key
 * ({@link LeaderLoop}); every step reads and writes PostgreSQL, so a crash at any instant
 * resumes from what is stored:
 *
 * <ol>
 *   <li>form: fix each settlement's composition and its EIP-3009 nonce (the Merkle root of its
 *       authorizations), never to change again;</li>
 *   <li>sign: the agent's wallet signs transferWithAuthorization for it (re-signed with the same
 *       nonce when the signature expires unused);</li>
 *   <li>submit: up to {@code max_batch_items} signed settlements go into one BatchSettler
 *       transaction, recorded as a batch before the relayer's sender stores and broadcasts it
 *       under the batch id as its reference (a resend after a crash finds it, never duplicates it);</li>
 *   <li>outcomes: each item's ItemSettled / ItemFailed event decides: landed (tx, block, log index
 *       of its Transfer), already used or canceled (the token's log of the spend decides: used by
 *       someone else, record that transaction, as the token never pays a nonce twice; canceled,
 *       failed; no log found yet, retried), expired (sign again, same nonce) or failed (with the
 *       reason, for an operator to retry);</li>
 *   <li>confirmation and finality: the indexer, from the Transfer's depth in chain_events.</li>
 * </ol>
 */
@Component
class Settler extends LeaderLoop {

    private static final Logger log = LoggerFactory.getLogger(Settler.class);
    private static final int FORM_BATCH_MAX = 500;
    static final Duration RETRY_BACKOFF_MAX = Duration.ofMinutes(10);
    private static final long SIGNATURE_MARGIN_SECONDS = 120;
    private static final long GAS_BASE = 100_000;
    private static final long GAS_PER_ITEM = 90_000;

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final Web3j web3j;
    private final ChainSettings chain;
    private final ContractRegistry contracts;
    private final Custody custody;
    private final AgentService agents;
    private final AgentFunds funds;
    private final AuditLog audit;
    private final Clock clock;
    private final PurserProperties.Settlement settings;
    private final Money aggregationMaxAmount;
    private final JdbcRelayerStore store;
    private final Map<String, Eip712Domain> domains = new HashMap<>();
    private final RelayerWatch relayerWatch;
    private final SettlementLandings landings;

    private TransactionSender sender;

    Settler(JdbcClient jdbc, TransactionTemplate tx, DataSource dataSource, Web3j web3j, ChainSettings chain,
            ContractRegistry contracts, Custody custody, AgentService agents, AgentFunds funds, AuditLog audit, Clock clock,
            PurserProperties properties, RelayerWatch relayerWatch, SettlementLandings landings) {
        super(dataSource, "purser.settler." + custody.relayer().address().toLowerCase(), "settler", properties.settlement().tick());
        this.jdbc = jdbc;
        this.tx = tx;
        this.web3j = web3j;
        this.chain = chain;
        this.contracts = contracts;
        this.custody = custody;
        this.agents = agents;
        this.funds = funds;
        this.audit = audit;
        this.clock = clock;
        this.settings = properties.settlement();
        this.aggregationMaxAmount = Money.parse(settings.aggregationMaxAmount());
        this.store = new JdbcRelayerStore(jdbc, tx);
        this.relayerWatch = relayerWatch;
        this.landings = landings;
    }

    @Override
    protected void whileStandingBy() {
        closeSender();
    }

    @Override
    protected void afterFailure(Exception e) {
        if (sender != null && !sender.status().running()) {
            closeSender();
        }
    }

    @Override
    protected void beforeRelease() {
        closeSender();
    }

    @Override
    protected void whileLeading() throws Exception {
        Optional<ContractRegistry.Contracts> deployed = contracts.current();
        if (deployed.isEmpty()) {
            return;
        }
        relayerWatch.check();
        if (sender == null) {
            sender = TransactionSender.start(senderConfig(), web3j, custody.relayer(), store);
            log.info("Relayer {} sender started: {}", custody.relayer().address(), sender.recovery());
        }
        String token = deployed.get().token();
        String batchSettler = deployed.get().batchSettler();
        form(token);
        sign(token);
        submit(token, batchSettler);
        resendUnstored(token, batchSettler);
        resolveBatches(token);
        confirmAndFinalize();
    }

    private void closeSender() {
        // Batches this sender had not stored yet are sent again by the next one.
        sentThisRun.clear();
        if (sender != null) {
            sender.close();
            sender = null;
        }
    }

    private SenderConfig senderConfig() {
        BigInteger ceiling = Convert.toWei(new java.math.BigDecimal(settings.relayerMaxFeeGwei()), Convert.Unit.GWEI).toBigInteger();
        return SenderConfig.builder(chain.chainId(), ceiling)
                .pollInterval(java.time.Duration.ofMillis(500))
                .stuckAfter(settings.relayerStuckAfter())
                .build();
    }

    /** Fixes the nonce of every settlement ready to close (immediate: all; aggregated: full or old enough). */
    private void form(String token) {
        Instant now = clock.instant();
        List<String> ready = jdbc.sql("""
                SELECT s.id FROM settlements s
                WHERE s.nonce IS NULL AND s.status = 'queued'
                  AND (:immediate OR s.created_at <= :windowStart OR s.amount_micros >= :maxAmount
                       OR (SELECT count(*) FROM settlement_items i WHERE i.settlement_id = s.id) >= :maxItems)
                ORDER BY s.created_at LIMIT :limit
                """)
                .param("immediate", !settings.aggregated())
                .param("windowStart", Timestamp.from(now.minus(settings.aggregationWindow())))
                .param("maxAmount", aggregationMaxAmount.micros())
                .param("maxItems", settings.aggregationMaxItems())
                .param("limit", FORM_BATCH_MAX)
                .query(String.class)
                .list();
        for (String id : ready) {
            tx.executeWithoutResult(s -> {
                var row = jdbc.sql("SELECT from_address, merchant, kind FROM settlements WHERE id = :id AND nonce IS NULL FOR UPDATE")
                        .param("id", id)
                        .query((rs, n) -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)})
                        .optional();
                if (row.isEmpty()) {
                    return;
                }
                if (!"payment".equals(row.get()[2])) {
                    // A funding or withdrawal covers no authorization: its nonce is derived from its id.
                    String nonce = Numeric.toHexString(org.web3j.crypto.Hash.sha3(
                            ("purser:" + row.get()[2] + ":" + id).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                    jdbc.sql("UPDATE settlements SET nonce = :nonce, token = :token, chain_id = :chainId WHERE id = :id")
                            .param("nonce", nonce).param("token", token).param("chainId", chain.chainId()).param("id", id)
                            .update();
                    audit.append("settlement.formed", null, null, id, Map.of("nonce", nonce, "kind", row.get()[2]));
                    return;
                }
                List<SettlementMerkle.Item> items = jdbc.sql("""
                        SELECT authorization_id, amount_micros FROM settlement_items WHERE settlement_id = :id ORDER BY position
                        """)
                        .param("id", id)
                        .query((rs, n) -> new SettlementMerkle.Item(rs.getString(1), rs.getLong(2)))
                        .list();
                SettlementMerkle.Tree tree = SettlementMerkle.build(chain.chainId(), token, row.get()[0], row.get()[1], items);
                jdbc.sql("UPDATE settlements SET nonce = :nonce, token = :token, chain_id = :chainId WHERE id = :id")
                        .param("nonce", tree.rootHex())
                        .param("token", token)
                        .param("chainId", chain.chainId())
                        .param("id", id)
                        .update();
                audit.append("settlement.formed", null, null, id, Map.of("nonce", tree.rootHex(),
                        "authorizations", items.size(), "amount", Money.ofMicros(tree.totalMicros()).toString()));
            });
        }
    }

    /** Has each formed, unsubmitted settlement signed by its agent's wallet (again if it is about to expire). */
    private void sign(String token) {
        long nowSeconds = clock.instant().getEpochSecond();
        List<Object[]> unsigned = jdbc.sql("""
                SELECT id, agent_id, from_address, merchant, amount_micros, nonce, kind FROM settlements
                WHERE status = 'queued' AND nonce IS NOT NULL AND batch_id IS NULL
                  AND (signature IS NULL OR valid_before < :soon)
                ORDER BY created_at LIMIT :limit
                """)
                .param("soon", nowSeconds + SIGNATURE_MARGIN_SECONDS)
                .param("limit", FORM_BATCH_MAX)
                .query((rs, n) -> new Object[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getLong(5), rs.getString(6), rs.getString(7)})
                .list();
        if (unsigned.isEmpty()) {
            return;
        }
        Eip712Domain domain = domain(token);
        for (Object[] s : unsigned) {
            // The payer signs: the treasury for a funding, the agent's wallet for anything else.
            dev.purser.wallet.keys.Signer payer = "funding".equals(s[6])
                    ? custody.treasury()
                    : custody.agentSigner(agents.find((String) s[1]).orElseThrow().walletIndex());
            long validBefore = nowSeconds + settings.authorizationValidity().toSeconds();
            TransferAuthorization authorization = new TransferAuthorization((String) s[2], (String) s[3], (Long) s[4], 0,
                    validBefore, Bytes32.fromHex((String) s[5]));
            SignedTransferAuthorization signed = Eip3009.sign(payer, domain, authorization);
            jdbc.sql("""
                    UPDATE settlements SET signature = :signature, valid_before = :validBefore
                    WHERE id = :id AND status = 'queued' AND batch_id IS NULL
                    """)
                    .param("signature", signed.signature65())
                    .param("validBefore", validBefore)
                    .param("id", s[0])
                    .update();
        }
    }

    /** Puts signed settlements into BatchSettler transactions, recorded before they are sent. */
    private void submit(String token, String batchSettler) {
        long nowSeconds = clock.instant().getEpochSecond();
        while (true) {
            List<String> ready = jdbc.sql("""
                    SELECT id FROM settlements
                    WHERE status = 'queued' AND signature IS NOT NULL AND batch_id IS NULL AND valid_before > :soon
                      AND (retry_after IS NULL OR retry_after <= :now)
                    ORDER BY created_at LIMIT :limit
                    """)
                    .param("soon", nowSeconds + SIGNATURE_MARGIN_SECONDS / 2)
                    .param("now", Timestamp.from(clock.instant()))
                    .param("limit", settings.maxBatchItems())
                    .query(String.class)
                    .list();
            if (ready.isEmpty()) {
                return;
            }
            Instant now = clock.instant();
            String batchId = Ids.newId("bat", now);
            tx.executeWithoutResult(s -> {
                jdbc.sql("INSERT INTO settlement_batches (id, relayer, created_at) VALUES (:id, :relayer, :now)")
                        .param("id", batchId)
                        .param("relayer", custody.relayer().address())
                        .param("now", Timestamp.from(now))
                        .update();
                for (String id : ready) {
                    int rows = jdbc.sql("""
                            UPDATE settlements SET batch_id = :batchId, status = 'submitted', submitted_at = :now,
                                attempts = attempts + 1
                            WHERE id = :id AND status = 'queued' AND batch_id IS NULL
                            """)
                            .param("batchId", batchId)
                            .param("now", Timestamp.from(now))
                            .param("id", id)
                            .update();
                    if (rows == 1) {
                        audit.append("settlement.submitted", null, null, id, Map.of("batch_id", batchId));
                    }
                }
            });
            send(batchId, token, batchSettler);
            if (ready.size() < settings.maxBatchItems()) {
                return;
            }
        }
    }

    /** After a crash between recording a batch and the sender storing it, sends it again (same reference). */
    private void resendUnstored(String token, String batchSettler) {
        List<String> sending = jdbc.sql("SELECT id FROM settlement_batches WHERE status = 'sending' AND relayer = :relayer"
                        + " ORDER BY created_at LIMIT 100")
                .param("relayer", custody.relayer().address())
                .query(String.class)
                .list();
        for (String batchId : sending) {
            if (store.findByReference(custody.relayer().address(), batchId).isEmpty() && !sentThisRun.contains(batchId)) {
                send(batchId, token, batchSettler);
            }
        }
    }

    private final java.util.Set<String> sentThisRun = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private void send(String batchId, String token, String batchSettler) {
        List<BatchSettler.Item> items = jdbc.sql("""
                SELECT from_address, merchant, amount_micros, valid_before, nonce, signature FROM settlements
                WHERE batch_id = :batchId ORDER BY id
                """)
                .param("batchId", batchId)
                .query((rs, n) -> {
                    byte[] sig = rs.getBytes("signature");
                    return new BatchSettler.Item(rs.getString("from_address"), rs.getString("merchant"),
                            BigInteger.valueOf(rs.getLong("amount_micros")), BigInteger.ZERO,
                            BigInteger.valueOf(rs.getLong("valid_before")), Numeric.hexStringToByteArray(rs.getString("nonce")),
                            BigInteger.valueOf(sig[64] & 0xff), java.util.Arrays.copyOfRange(sig, 0, 32),
                            java.util.Arrays.copyOfRange(sig, 32, 64));
                })
                .list();
        if (items.isEmpty()) {
            return;
        }
        Function settle = new Function("settle",
                List.of(new Address(token), new DynamicArray<>(BatchSettler.Item.class, items)), List.of());
        long gasLimit = Math.min(GAS_BASE + GAS_PER_ITEM * items.size(), 25_000_000);
        sender.send(new TransactionRequest(batchId, batchSettler, BigInteger.ZERO, FunctionEncoder.encode(settle), gasLimit));
        sentThisRun.add(batchId);
    }

    /** Reads the outcome of every batch whose transaction has ended, item by item. */
    private void resolveBatches(String token) throws IOException {
        List<String> sending = jdbc.sql("SELECT id FROM settlement_batches WHERE status = 'sending' AND relayer = :relayer"
                        + " ORDER BY created_at LIMIT 100")
                .param("relayer", custody.relayer().address())
                .query(String.class)
                .list();
        for (String batchId : sending) {
            Optional<StoredTransaction> stored = store.findByReference(custody.relayer().address(), batchId);
            if (stored.isEmpty() || stored.get().isPending()) {
                continue;
            }
            StoredTransaction t = stored.get();
            Optional<TransactionReceipt> receipt = t.minedTxHash().isPresent()
                    ? web3j.ethGetTransactionReceipt(t.minedTxHash().get()).send().getTransactionReceipt()
                    : Optional.empty();
            List<Settlement> members = settlementsOfBatch(batchId);
            Map<String, ItemOutcome> outcomes = new HashMap<>();
            boolean executed = t.status() == dev.purser.wallet.tx.TransactionStatus.MINED && receipt.isPresent();
            if (executed) {
                for (Settlement s : members) {
                    outcomes.put(s.id(), outcomeOf(web3j, receipt.get(), token, s, settings.nonceLookbackBlocks()));
                }
            }
            tx.executeWithoutResult(st -> {
                List<Runnable> audits = new java.util.ArrayList<>();
                for (Settlement s : members) {
                    audits.add(apply(s, executed ? outcomes.get(s.id()) : new ItemOutcome.Retry("the batch transaction ended "
                            + t.status() + " without executing")));
                }
                // Rows first, audit last: the audit head is a global lock, taken only at the end.
                audits.forEach(Runnable::run);
                jdbc.sql("""
                        UPDATE settlement_batches SET status = 'resolved', outcome = :outcome, tx_hash = :txHash, resolved_at = :now
                        WHERE id = :id
                        """)
                        .param("outcome", t.status().name())
                        .param("txHash", t.minedTxHash().orElse(null))
                        .param("now", Timestamp.from(clock.instant()))
                        .param("id", batchId)
                        .update();
            });
            sentThisRun.remove(batchId);
        }
    }

    /** A submitted settlement as its batch is resolved; {@code attempts} counts its submissions, this one included. */
    record Settlement(String id, String agentId, String from, String merchant, long amountMicros, String nonce, String token,
            int attempts) {}

    private List<Settlement> settlementsOfBatch(String batchId) {
        return jdbc.sql("""
                SELECT id, agent_id, from_address, merchant, amount_micros, nonce, token, attempts FROM settlements
                WHERE batch_id = :batchId AND status = 'submitted' AND tx_hash IS NULL
                """)
                .param("batchId", batchId)
                .query((rs, n) -> new Settlement(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getLong(5), rs.getString(6), rs.getString(7), rs.getInt(8)))
                .list();
    }

    /** What happened to one settlement, decided from the chain. */
    sealed interface ItemOutcome {
        record Landed(ChainLogs.Landing landing) implements ItemOutcome {}

        record Retry(String reason) implements ItemOutcome {}

        record Resign(String reason) implements ItemOutcome {}

        record Failed(String reason) implements ItemOutcome {}
    }

    /**
     * Decides one settlement's outcome from its batch's receipt. Static and package-private so
     * that its chain-reading decisions can be tested against a real node without a running
     * settler; {@code nonceLookbackBlocks} bounds the search for whoever spent the nonce first.
     */
    static ItemOutcome outcomeOf(Web3j web3j, TransactionReceipt receipt, String token, Settlement s, long nonceLookbackBlocks) {
        Optional<ChainLogs.Landing> here = ChainLogs.inReceipt(receipt, token, s.from(), s.nonce());
        if (here.isPresent()) {
            return new ItemOutcome.Landed(here.get());
        }
        Optional<String> failure = BatchSettler.getItemFailedEvents(receipt).stream()
                .filter(e -> Numeric.toHexString(e.nonce).equalsIgnoreCase(s.nonce()) && e.from.equalsIgnoreCase(s.from()))
                .map(e -> e.reason)
                .findFirst();
        if (failure.isEmpty()) {
            return new ItemOutcome.Retry("the batch carried no outcome for this settlement");
        }
        String reason = failure.get();
        if (reason.contains("used or canceled")) {
            return outcomeOfSpentNonce(web3j, receipt, token, s, nonceLookbackBlocks);
        }
        if (reason.contains("expired") || reason.contains("not yet valid")) {
            return new ItemOutcome.Resign(reason);
        }
        return new ItemOutcome.Failed(reason);
    }

    /**
     * The token refused the nonce as used or canceled. Either someone submitted our signed
     * authorization first, and the merchant was paid in their transaction (record that one: the
     * token never pays a nonce twice), or the agent's wallet canceled the nonce, and nothing moved
     * (failed, for an operator). Only the token's AuthorizationUsed or AuthorizationCanceled log
     * tells which: finding neither proves nothing (the node may not serve the log yet, or it lies
     * beyond the lookback), so then the settlement is retried with the same nonce and signature,
     * which cannot pay twice either.
     */
    private static ItemOutcome outcomeOfSpentNonce(Web3j web3j, TransactionReceipt receipt, String token, Settlement s,
            long nonceLookbackBlocks) {
        try {
            ChainLogs.NonceSpend spend = ChainLogs.findSpend(web3j, token, s.from(), s.nonce(),
                    receipt.getBlockNumber().longValueExact(), nonceLookbackBlocks, ChainLogs.SPEND_SEARCH_CHUNK_BLOCKS);
            return switch (spend) {
                case ChainLogs.NonceSpend.Used used -> new ItemOutcome.Landed(used.landing());
                case ChainLogs.NonceSpend.Canceled canceled -> new ItemOutcome.Failed(
                        "the agent's authorization nonce was canceled on-chain in " + canceled.txHash());
                case ChainLogs.NonceSpend.Unproven unproven -> new ItemOutcome.Retry(
                        "the token says the nonce is used or canceled, but " + unproven.reason());
            };
        } catch (IOException e) {
            return new ItemOutcome.Retry("could not look up who spent the nonce: " + e.getMessage());
        }
    }

    /** Applies one item's outcome to its settlement row; returns the audit append to run last. */
    private Runnable apply(Settlement s, ItemOutcome outcome) {
        return switch (outcome) {
            case ItemOutcome.Landed l -> {
                jdbc.sql("""
                        UPDATE settlements SET tx_hash = :txHash, block_number = :block, block_hash = :blockHash,
                            log_index = :logIndex
                        WHERE id = :id AND status = 'submitted'
                        """)
                        .param("txHash", l.landing().txHash())
                        .param("block", l.landing().blockNumber())
                        .param("blockHash", l.landing().blockHash())
                        .param("logIndex", l.landing().transferLogIndex())
                        .param("id", s.id())
                        .update();
                yield () -> audit.append("settlement.landed", null, s.agentId(), s.id(), Map.of("tx_hash", l.landing().txHash(),
                        "block_number", l.landing().blockNumber(), "log_index", l.landing().transferLogIndex()));
            }
            case ItemOutcome.Retry r -> requeue(s, r.reason(), false);
            case ItemOutcome.Resign r -> requeue(s, r.reason(), true);
            case ItemOutcome.Failed f -> {
                jdbc.sql("""
                        UPDATE settlements SET status = 'failed', failure_reason = :reason, batch_id = NULL
                        WHERE id = :id AND status = 'submitted'
                        """)
                        .param("reason", f.reason())
                        .param("id", s.id())
                        .update();
                yield () -> audit.append("settlement.failed", null, s.agentId(), s.id(), Map.of("reason", f.reason()));
            }
        };
    }

    private Runnable requeue(Settlement s, String reason, boolean resign) {
        Duration wait = resign ? Duration.ZERO : retryBackoff(s.attempts());
        int rows = jdbc.sql("UPDATE settlements SET status = 'queued', batch_id = NULL, retry_after = :after"
                        + (resign ? ", signature = NULL, valid_before = NULL" : "") + " WHERE id = :id AND status = 'submitted'")
                .param("after", wait.isZero() ? null : Timestamp.from(clock.instant().plus(wait)))
                .param("id", s.id())
                .update();
        if (rows == 1 && !resign) {
            // A retry has no limit of its own (the nonce guarantees it never pays twice), so each one
            // is said out loud with its attempt count: an operator sees a settlement going round.
            log.warn("Settlement {} requeued after attempt {} (next in {} s): {}", s.id(), s.attempts(), wait.toSeconds(), reason);
        }
        return () -> audit.append("settlement.requeued", null, s.agentId(), s.id(), Map.of("reason", reason));
    }

    /**
     * How long a retried settlement waits before it is submitted again: at once after its first
     * submission (most causes are passing), then 2, 4, 8 … seconds, at most {@link #RETRY_BACKOFF_MAX},
     * because every submission of an item the token refuses still costs the relayer gas.
     */
    static Duration retryBackoff(int attempts) {
        if (attempts <= 1) {
            return Duration.ZERO;
        }
        long seconds = 1L << Math.min(attempts - 1, 20);
        return Duration.ofSeconds(Math.min(seconds, RETRY_BACKOFF_MAX.toSeconds()));
    }

    /**
     * Confirmation and finality come from the indexer, which confirms a settlement when the
     * Transfer it recorded is deep enough in chain_events. Here only a safety net remains: a
     * landing whose block is no longer canonical is forgotten at once and its transaction sent
     * again, even before the indexer notices the reorg.
     */
    private void confirmAndFinalize() throws IOException {
        List<Object[]> landed = jdbc.sql("""
                SELECT id, block_number, block_hash FROM settlements
                WHERE status IN ('submitted', 'confirmed') AND block_number IS NOT NULL
                ORDER BY block_number DESC LIMIT 100
                """)
                .query((rs, n) -> new Object[] {rs.getString(1), rs.getLong(2), rs.getString(3)})
                .list();
        java.util.Map<Long, String> canonical = new java.util.HashMap<>();
        for (Object[] s : landed) {
            long number = (Long) s[1];
            if (!canonical.containsKey(number)) {
                EthBlock.Block block = web3j.ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(number)), false)
                        .send().getBlock();
                canonical.put(number, block == null ? "" : block.getHash());
            }
            if (!canonical.get(number).equalsIgnoreCase((String) s[2])) {
                landings.rebroadcast(tx.execute(st -> landings.rollBackAbove(chain.chainId(), number - 1)));
                return;
            }
        }
    }

    private Eip712Domain domain(String token) {
        return domains.computeIfAbsent(token, t -> TokenDomains.read(web3j, t, chain.chainId()));
    }

}

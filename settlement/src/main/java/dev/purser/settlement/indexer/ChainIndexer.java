package dev.purser.settlement.indexer;

import dev.purser.settlement.agents.AgentFunds;
import dev.purser.settlement.agents.AgentService;
import dev.purser.settlement.audit.AuditLog;
import dev.purser.settlement.chain.ChainSettings;
import dev.purser.settlement.chain.ContractRegistry;
import dev.purser.settlement.common.Money;
import dev.purser.settlement.config.PurserProperties;
import dev.purser.settlement.custody.Custody;
import dev.purser.settlement.settlements.SettlementLandings;
import dev.purser.settlement.storage.LeaderLoop;
import java.io.IOException;
import java.math.BigInteger;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.Log;
import tools.jackson.databind.json.JsonMapper;

/**
 * Follows the chain head and writes every log Purser cares about into {@code chain_events}: the
 * token's Transfers from or to Purser wallets, AuthorizationUsed / Canceled by them, and every
 * BatchSettler outcome. One instance indexes a chain at a time (a session advisory lock); the
 * cursor is persisted, so a restart resumes where it stopped.
 *
 * <p>Reorgs: the headers of recently indexed ranges are kept; when one no longer matches the
 * canonical chain, the indexer walks back to the highest header that still does, marks every
 * event above it {@code removed}, has the settlements that landed there queued again, writes
 * {@code chain.reorg} to the audit log and re-indexes from there. eth_getLogs ranges halve on an
 * answer that means too much (too many results, range too large, a timeout) and double again
 * after successes.
 *
 * <p>Funds: agent balances are the sums of their confirmed indexed Transfers (see
 * {@link AgentFunds}); each pass applies what became confirmed, then confirms the settlements
 * those Transfers pay, then checks outflows, then cross-checks balances with balanceOf.
 */
@Component
class ChainIndexer extends LeaderLoop {

    private static final Logger log = LoggerFactory.getLogger(ChainIndexer.class);
    static final int RANGE_MIN = 1;
    static final int RANGE_MAX = 5_000;
    static final int RANGES_PER_TICK_MAX = 50;
    static final int HEADERS_KEPT = 512;
    static final int WALLETS_MAX = 1_000_000;
    static final int BALANCE_BATCH = 10_000;
    static final int BALANCE_PASSES_MAX = 20;
    static final int OUTFLOW_BATCH = 5_000;
    static final int OUTFLOW_PASSES_MAX = 20;

    private final JdbcClient jdbc;
    private final NamedParameterJdbcTemplate named;
    private final AgentFunds funds;
    private final BalanceCrossCheck crossCheck;
    private final TransactionTemplate tx;
    private final Web3j web3j;
    private final ChainSettings chain;
    private final ContractRegistry contracts;
    private final AgentService agents;
    private final Custody custody;
    private final SettlementLandings landings;
    private final AuditLog audit;
    private final Clock clock;
    private final JsonMapper json;
    private final long startBlock;
    private final int finalityDepth;

    ChainIndexer(JdbcClient jdbc, NamedParameterJdbcTemplate named, AgentFunds funds, BalanceCrossCheck crossCheck,
            TransactionTemplate tx, DataSource dataSource, Web3j web3j, ChainSettings chain,
            ContractRegistry contracts, AgentService agents, Custody custody, SettlementLandings landings, AuditLog audit,
            Clock clock, JsonMapper json, PurserProperties properties,
            @Value("${purser.indexer.start-block:0}") long startBlock,
            @Value("${purser.indexer.tick-ms:1000}") long tickMillis) {
        super(dataSource, "purser.indexer." + chain.chainId(), "indexer", java.time.Duration.ofMillis(tickMillis));
        this.jdbc = jdbc;
        this.named = named;
        this.funds = funds;
        this.crossCheck = crossCheck;
        this.tx = tx;
        this.web3j = web3j;
        this.chain = chain;
        this.contracts = contracts;
        this.agents = agents;
        this.custody = custody;
        this.landings = landings;
        this.audit = audit;
        this.clock = clock;
        this.json = json;
        this.startBlock = startBlock;
        this.finalityDepth = properties.settlement().finalityDepth();
    }

    @Override
    protected void whileLeading() throws IOException {
        Optional<ContractRegistry.Contracts> deployed = contracts.current();
        if (deployed.isEmpty()) {
            return;
        }
        long head = web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
        // The wallets are read after the head: an agent created later than this read can only
        // receive money in a block mined later still, above this head, so no block indexed in this
        // pass misses a wallet that existed when it was mined.
        Map<String, String> wallets = agents.walletsToAgents(WALLETS_MAX);
        Set<String> purserWallets = new HashSet<>(wallets.keySet());
        purserWallets.add(custody.treasury().address().toLowerCase(Locale.ROOT));
        Cursor cursor = handleReorg(cursor(head), wallets);
        for (int i = 0; i < RANGES_PER_TICK_MAX && cursor.next() <= head; i++) {
            Cursor next = indexRange(cursor, head, deployed.get(), purserWallets);
            if (next.equals(cursor)) {
                break; // the chain moved under this pass: the next one starts with the reorg check
            }
            cursor = next;
        }
        long confirmedUpTo = advanceStatuses(head);
        Set<String> moved = applyBalances(wallets);
        advanceSettlements();
        checkOutflows(wallets);
        // The index is complete up to the block before the cursor; the balances are its sums of
        // confirmed Transfers, so they are the chain's at whichever of the two is lower.
        if (cursor.next() - 1 >= confirmedUpTo) {
            crossCheck.check(moved, confirmedUpTo, wallets);
        }
    }

    record Cursor(long next, int rangeSize) {}

    private Cursor cursor(long head) {
        return jdbc.sql("SELECT next_block, range_size FROM indexer_cursor WHERE chain_id = :c")
                .param("c", chain.chainId())
                .query((rs, n) -> new Cursor(rs.getLong(1), rs.getInt(2)))
                .optional()
                .orElseGet(() -> {
                    long first = Math.min(startBlock, head);
                    saveCursor(new Cursor(first, 100));
                    return new Cursor(first, 100);
                });
    }

    private void saveCursor(Cursor c) {
        jdbc.sql("""
                INSERT INTO indexer_cursor (chain_id, next_block, range_size, updated_at) VALUES (:c, :next, :size, :now)
                ON CONFLICT (chain_id) DO UPDATE SET next_block = :next, range_size = :size, updated_at = :now
                """)
                .param("c", chain.chainId())
                .param("next", c.next())
                .param("size", c.rangeSize())
                .param("now", Timestamp.from(clock.instant()))
                .update();
    }

    /** Indexes [next, next + range) and returns the new cursor; shrinks the range on an RPC refusal. */
    private Cursor indexRange(Cursor cursor, long head, ContractRegistry.Contracts deployed, Set<String> purserWallets)
            throws IOException {
        long from = cursor.next();
        long to = Math.min(head, from + cursor.rangeSize() - 1);
        EthBlock.Block endBefore = block(to);
        // The range must continue the indexed chain: its first block's parent is the last block
        // indexed. A reorg between two ranges of one pass would otherwise leave the first range's
        // events live while the second is read from the new branch, and the newest kept header,
        // now on the new branch, would hide it from every later reorg check.
        EthBlock.Block first = from == to ? endBefore : block(from);
        Optional<String> indexedParent = jdbc.sql("SELECT hash FROM indexed_blocks WHERE chain_id = :c AND number = :n")
                .param("c", chain.chainId())
                .param("n", from - 1)
                .query(String.class)
                .optional();
        if (first == null || endBefore == null
                || (indexedParent.isPresent() && !indexedParent.get().equalsIgnoreCase(first.getParentHash()))) {
            log.info("Block {} does not continue the indexed chain; checking for a reorg first", from);
            return cursor;
        }
        List<Log> logs;
        try {
            logs = LogQueries.fetch(web3j, from, to, deployed.token(), deployed.batchSettler(), purserWallets);
        } catch (LogQueries.Refused refused) {
            if (refused.tooMuch && cursor.rangeSize() > RANGE_MIN) {
                Cursor smaller = new Cursor(from, Math.max(RANGE_MIN, cursor.rangeSize() / 2));
                log.info("eth_getLogs refused blocks {}..{} ({}); trying {} blocks", from, to, refused.getMessage(),
                        smaller.rangeSize());
                saveCursor(smaller);
                return smaller;
            }
            throw refused;
        }
        EthBlock.Block endAfter = block(to);
        if (endAfter == null || !endAfter.getHash().equals(endBefore.getHash())) {
            return cursor; // the chain moved under us; the next pass sees the reorg and starts over
        }
        List<Row> rows = rows(logs, deployed, purserWallets);
        // Only a range used in full says the node would take more; a short one at the head says nothing.
        boolean full = to - from + 1 == cursor.rangeSize();
        Cursor next = new Cursor(to + 1, full ? Math.min(RANGE_MAX, cursor.rangeSize() * 2) : cursor.rangeSize());
        tx.executeWithoutResult(s -> {
            store(rows);
            jdbc.sql("""
                    INSERT INTO indexed_blocks (chain_id, number, hash, parent_hash) VALUES (:c, :n, :h, :p)
                    ON CONFLICT (chain_id, number) DO UPDATE SET hash = :h, parent_hash = :p
                    """)
                    .param("c", chain.chainId())
                    .param("n", to)
                    .param("h", endAfter.getHash())
                    .param("p", endAfter.getParentHash())
                    .update();
            jdbc.sql("DELETE FROM indexed_blocks WHERE chain_id = :c AND number < :oldest")
                    .param("c", chain.chainId())
                    .param("oldest", to - HEADERS_KEPT * (long) RANGE_MAX)
                    .update();
            saveCursor(next);
        });
        return next;
    }

    /** One chain_events row to write, already tied to the settlement it pays, if any. */
    private record Row(Log log, LogDecoder.Decoded decoded, String settlementId) {}

    /**
     * Decodes the range's logs, keeps the relevant ones and ties them to settlements: an
     * AuthorizationUsed by its (payer, nonce), and the Transfer that FiatToken logs right after it
     * to the same settlement. Settlement rows exist before their nonce can be on-chain (the nonce
     * is fixed when the settlement is created, before anything is signed), so this never has to be
     * retried later.
     */
    private List<Row> rows(List<Log> logs, ContractRegistry.Contracts deployed, Set<String> purserWallets) {
        List<Log> kept = new ArrayList<>();
        List<LogDecoder.Decoded> decoded = new ArrayList<>();
        Map<String, String> payerByNonce = new HashMap<>();
        for (Log l : logs) {
            if (l.isRemoved()) {
                continue;
            }
            Optional<LogDecoder.Decoded> d = LogDecoder.decode(l);
            if (d.isEmpty()) {
                continue;
            }
            boolean fromToken = l.getAddress().equalsIgnoreCase(deployed.token());
            boolean relevant = fromToken
                    ? d.get().addresses().stream().anyMatch(purserWallets::contains)
                    : d.get().event().startsWith("Item");
            if (relevant) {
                kept.add(l);
                decoded.add(d.get());
                if ("AuthorizationUsed".equals(d.get().event())) {
                    payerByNonce.put((String) d.get().args().get("nonce"), (String) d.get().args().get("authorizer"));
                }
            }
        }
        Map<String, String> settlementByNonce = landings.byNonces(payerByNonce);
        Map<String, String> usedAt = new HashMap<>();
        List<Row> rows = new ArrayList<>(kept.size());
        for (int i = 0; i < kept.size(); i++) {
            Log l = kept.get(i);
            LogDecoder.Decoded d = decoded.get(i);
            String at = l.getTransactionHash().toLowerCase(Locale.ROOT) + ":";
            String settlement = switch (d.event()) {
                case "AuthorizationUsed" -> settlementByNonce.get((String) d.args().get("nonce"));
                case "Transfer" -> usedAt.get(at + (l.getLogIndex().intValueExact() - 1));
                default -> null;
            };
            if ("AuthorizationUsed".equals(d.event()) && settlement != null) {
                usedAt.put(at + l.getLogIndex().intValueExact(), settlement);
            }
            rows.add(new Row(l, d, settlement));
        }
        return rows;
    }

    private void store(List<Row> rows) {
        if (rows.isEmpty()) {
            return;
        }
        Timestamp now = Timestamp.from(clock.instant());
        MapSqlParameterSource[] batch = rows.stream().map(r -> new MapSqlParameterSource()
                .addValue("c", chain.chainId())
                .addValue("tx", r.log().getTransactionHash().toLowerCase(Locale.ROOT))
                .addValue("idx", r.log().getLogIndex().intValueExact())
                .addValue("block", r.log().getBlockNumber().longValueExact())
                .addValue("hash", r.log().getBlockHash().toLowerCase(Locale.ROOT))
                .addValue("contract", org.web3j.crypto.Keys.toChecksumAddress(r.log().getAddress()))
                .addValue("event", r.decoded().event())
                .addValue("args", json.writeValueAsString(r.decoded().args()))
                .addValue("now", now)
                .addValue("addresses", r.decoded().addresses().toArray(String[]::new))
                .addValue("settlement", r.settlementId()))
                .toArray(MapSqlParameterSource[]::new);
        named.batchUpdate("""
                INSERT INTO chain_events (chain_id, tx_hash, log_index, block_number, block_hash, contract, event, args,
                    status, indexed_at, addresses, settlement_id)
                VALUES (:c, :tx, :idx, :block, :hash, :contract, :event, CAST(:args AS jsonb), 'pending', :now, :addresses,
                    :settlement)
                ON CONFLICT (chain_id, tx_hash, log_index) DO UPDATE
                    SET block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash, status = 'pending',
                        indexed_at = EXCLUDED.indexed_at, applied_status = NULL,
                        settlement_id = COALESCE(chain_events.settlement_id, EXCLUDED.settlement_id)
                    WHERE chain_events.block_hash <> EXCLUDED.block_hash OR chain_events.status = 'removed'
                """, batch);
    }

    /**
     * Compares the newest kept header with the canonical chain; on a mismatch walks back to the
     * highest kept header that still matches and undoes everything above it.
     */
    private Cursor handleReorg(Cursor cursor, Map<String, String> wallets) throws IOException {
        List<long[]> numbers = new ArrayList<>();
        List<String> hashes = new ArrayList<>();
        jdbc.sql("SELECT number, hash FROM indexed_blocks WHERE chain_id = :c ORDER BY number DESC LIMIT :limit")
                .param("c", chain.chainId())
                .param("limit", HEADERS_KEPT)
                .query((rs, n) -> {
                    numbers.add(new long[] {rs.getLong(1)});
                    hashes.add(rs.getString(2));
                    return null;
                })
                .list();
        if (numbers.isEmpty()) {
            return cursor;
        }
        long ancestor = -1;
        for (int i = 0; i < numbers.size(); i++) {
            EthBlock.Block canonical = block(numbers.get(i)[0]);
            if (canonical != null && canonical.getHash().equalsIgnoreCase(hashes.get(i))) {
                if (i == 0) {
                    return cursor; // the newest header still stands: no reorg
                }
                ancestor = numbers.get(i)[0];
                break;
            }
        }
        long commonAncestor = ancestor >= 0 ? ancestor : Math.max(-1, numbers.getLast()[0] - RANGE_MAX);
        long orphanedHead = numbers.getFirst()[0];
        Cursor rewound = new Cursor(commonAncestor + 1, Math.max(RANGE_MIN, cursor.rangeSize()));
        List<String> orphanedTransactions = tx.execute(s -> {
            // Transfers already in balances leave them again, in the transaction that un-confirms
            // their settlements: available never counts an orphaned transfer.
            funds.applyIndexedTransfers(negate(deltas(jdbc.sql("""
                    UPDATE chain_events SET balance_applied = false
                    WHERE chain_id = :c AND block_number > :ancestor AND balance_applied
                    RETURNING lower(args->>'from'), lower(args->>'to'), args->>'value'
                    """)
                    .param("c", chain.chainId())
                    .param("ancestor", commonAncestor)
                    .query((rs, n) -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)})
                    .list(), wallets)));
            int removed = jdbc.sql("""
                    UPDATE chain_events SET status = 'removed'
                    WHERE chain_id = :c AND block_number > :ancestor AND status <> 'removed'
                    """)
                    .param("c", chain.chainId())
                    .param("ancestor", commonAncestor)
                    .update();
            jdbc.sql("DELETE FROM indexed_blocks WHERE chain_id = :c AND number > :ancestor")
                    .param("c", chain.chainId())
                    .param("ancestor", commonAncestor)
                    .update();
            List<String> carriedSettlements = landings.rollBackAbove(chain.chainId(), commonAncestor);
            saveCursor(rewound);
            audit.append("chain.reorg", null, null, "chain:" + chain.chainId(), Map.of("common_ancestor", commonAncestor,
                    "orphaned_head", orphanedHead, "events_removed", removed, "orphaned_transactions", carriedSettlements));
            log.warn("Reorg on chain {}: back to block {}, {} events removed, {} transactions orphaned",
                    chain.chainId(), commonAncestor, removed, carriedSettlements.size());
            return carriedSettlements;
        });
        landings.rebroadcast(orphanedTransactions);
        return rewound;
    }

    /** pending → confirmed at the configured depth → finalized at the node's finalized block. */
    private long advanceStatuses(long head) throws IOException {
        long confirmedUpTo = head - Math.max(chain.confirmations(), 1) + 1;
        // Never final before confirmed: a node whose finalized tag is its head (Ganache) would
        // otherwise finalize at depth 1 whatever the configured confirmations.
        long finalizedUpTo = Math.min(finalizedBlock(head), confirmedUpTo);
        jdbc.sql("""
                UPDATE chain_events SET status = CASE WHEN block_number <= :finalized THEN 'finalized' ELSE 'confirmed' END
                WHERE chain_id = :c AND status IN ('pending', 'confirmed')
                  AND block_number <= GREATEST(:confirmed, :finalized)
                  AND status <> CASE WHEN block_number <= :finalized THEN 'finalized' ELSE 'confirmed' END
                """)
                .param("c", chain.chainId())
                .param("confirmed", confirmedUpTo)
                .param("finalized", finalizedUpTo)
                .update();
        return confirmedUpTo;
    }

    private long finalizedBlock(long head) {
        try {
            EthBlock.Block b = web3j.ethGetBlockByNumber(DefaultBlockParameterName.FINALIZED, false).send().getBlock();
            if (b != null) {
                return b.getNumber().longValueExact();
            }
        } catch (Exception noTag) {
            // No finalized tag on this node: use the configured depth.
        }
        return head - finalityDepth;
    }

    /**
     * Puts every newly confirmed Transfer into the balances of the agents it touches, once (the
     * {@code balance_applied} flag), before any settlement it pays is confirmed: a settlement's
     * amount leaves pending only after its Transfer has left the balance. Returns the agents whose
     * balance moved.
     */
    private Set<String> applyBalances(Map<String, String> wallets) {
        Set<String> moved = new HashSet<>();
        for (int pass = 0; pass < BALANCE_PASSES_MAX; pass++) {
            int applied = tx.execute(s -> {
                List<String[]> transfers = jdbc.sql("""
                        UPDATE chain_events SET balance_applied = true
                        WHERE (chain_id, tx_hash, log_index) IN (
                            SELECT chain_id, tx_hash, log_index FROM chain_events
                            WHERE chain_id = :c AND event = 'Transfer' AND NOT balance_applied
                              AND status IN ('confirmed', 'finalized')
                            ORDER BY block_number, log_index LIMIT :limit)
                        RETURNING lower(args->>'from'), lower(args->>'to'), args->>'value'
                        """)
                        .param("c", chain.chainId())
                        .param("limit", BALANCE_BATCH)
                        .query((rs, n) -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)})
                        .list();
                Map<String, BigInteger> deltas = deltas(transfers, wallets);
                funds.applyIndexedTransfers(deltas);
                moved.addAll(deltas.keySet());
                return transfers.size();
            });
            if (applied < BALANCE_BATCH) {
                break;
            }
        }
        return moved;
    }

    /** Per agent, micro-USDC in minus out over these (from, to, value) transfers. */
    private static Map<String, BigInteger> deltas(List<String[]> transfers, Map<String, String> wallets) {
        Map<String, BigInteger> deltas = new HashMap<>();
        for (String[] t : transfers) {
            BigInteger value = new BigInteger(t[2]);
            Optional.ofNullable(wallets.get(t[0])).ifPresent(agent -> deltas.merge(agent, value.negate(), BigInteger::add));
            Optional.ofNullable(wallets.get(t[1])).ifPresent(agent -> deltas.merge(agent, value, BigInteger::add));
        }
        return deltas;
    }

    private static Map<String, BigInteger> negate(Map<String, BigInteger> deltas) {
        Map<String, BigInteger> negated = new HashMap<>();
        deltas.forEach((agent, d) -> negated.put(agent, d.negate()));
        return negated;
    }

    /**
     * Settlement confirmation comes from the index: a settlement is confirmed when its Transfer
     * here is confirmed (and in the balance), finalized when it is finalized.
     */
    private void advanceSettlements() {
        List<Object[]> ready = jdbc.sql("""
                SELECT tx_hash, log_index, settlement_id, status FROM chain_events
                WHERE chain_id = :c AND event = 'Transfer' AND settlement_id IS NOT NULL AND status IN ('confirmed', 'finalized')
                  AND applied_status IS DISTINCT FROM status AND balance_applied
                ORDER BY block_number LIMIT 1000
                """)
                .param("c", chain.chainId())
                .query((rs, n) -> new Object[] {rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4)})
                .list();
        for (Object[] e : ready) {
            tx.executeWithoutResult(s -> {
                // The settler may not have recorded this landing yet (the index can be faster):
                // then nothing is applied and the next pass asks again.
                boolean applied = landings.confirm((String) e[2], (String) e[0], (Integer) e[1], clock.instant())
                        && (!"finalized".equals(e[3]) || landings.finalizeSettlement((String) e[2], clock.instant()));
                if (applied) {
                    jdbc.sql("UPDATE chain_events SET applied_status = :st WHERE chain_id = :c AND tx_hash = :tx AND log_index = :idx")
                            .param("st", e[3]).param("c", chain.chainId()).param("tx", e[0]).param("idx", e[1]).update();
                }
            });
        }
    }

    /**
     * A confirmed Transfer out of an agent wallet must pay one of our settlements (it was tied to
     * one when indexed, through the AuthorizationUsed with our nonce before it). Anything else
     * means the wallet's key was used outside Purser: freeze the agent and say so. An unexplained
     * Transfer is marked checked in the same transaction that freezes its agent and writes the
     * audit event, so a crash in between leaves it unchecked for the next pass, never silently
     * checked; the others are marked checked together.
     */
    private void checkOutflows(Map<String, String> wallets) {
        for (int pass = 0; pass < OUTFLOW_PASSES_MAX; pass++) {
            if (checkOutflowBatch(wallets) < OUTFLOW_BATCH) {
                return;
            }
        }
    }

    /** One batch of {@link #checkOutflows}; returns how many Transfers it looked at. */
    private int checkOutflowBatch(Map<String, String> wallets) {
        List<Object[]> candidates = jdbc.sql("""
                SELECT tx_hash, log_index, args->>'from', args->>'to', args->>'value', settlement_id FROM chain_events
                WHERE chain_id = :c AND event = 'Transfer' AND NOT outflow_checked AND status IN ('confirmed', 'finalized')
                ORDER BY block_number, log_index LIMIT :limit
                """)
                .param("c", chain.chainId())
                .param("limit", OUTFLOW_BATCH)
                .query((rs, n) -> new Object[] {rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4), rs.getString(5),
                        rs.getString(6)})
                .list();
        List<Object[]> explained = new ArrayList<>();
        List<Object[]> unexplained = new ArrayList<>();
        for (Object[] t : candidates) {
            boolean fromAgent = wallets.containsKey(((String) t[2]).toLowerCase(Locale.ROOT));
            (t[5] == null && fromAgent ? unexplained : explained).add(t);
        }
        if (!explained.isEmpty()) {
            jdbc.sql("""
                    UPDATE chain_events e SET outflow_checked = true
                    FROM unnest(CAST(:txs AS text[]), CAST(:idxs AS integer[])) AS k(tx_hash, log_index)
                    WHERE e.chain_id = :c AND e.tx_hash = k.tx_hash AND e.log_index = k.log_index
                    """)
                    .param("c", chain.chainId())
                    .param("txs", explained.stream().map(t -> (String) t[0]).toArray(String[]::new))
                    .param("idxs", explained.stream().map(t -> (Integer) t[1]).toArray(Integer[]::new))
                    .update();
        }
        for (Object[] t : unexplained) {
            String agentId = wallets.get(((String) t[2]).toLowerCase(Locale.ROOT));
            String amount = Money.format(new BigInteger((String) t[4]));
            String reason = "unexplained outflow of " + amount + " USDC in " + t[0];
            boolean frozen = Boolean.TRUE.equals(tx.execute(s -> {
                int marked = jdbc.sql("""
                        UPDATE chain_events SET outflow_checked = true
                        WHERE chain_id = :c AND tx_hash = :tx AND log_index = :idx AND NOT outflow_checked
                          AND status IN ('confirmed', 'finalized')
                        """)
                        .param("c", chain.chainId()).param("tx", t[0]).param("idx", t[1])
                        .update();
                if (marked != 1) {
                    return false; // removed by a reorg or checked already since it was read
                }
                agents.freeze(null, agentId, reason.length() > 500 ? reason.substring(0, 500) : reason);
                audit.append("wallet.unexplained_outflow", null, agentId, (String) t[0], Map.of("from", t[2], "to", t[3],
                        "amount", amount, "tx_hash", t[0], "log_index", t[1]));
                return true;
            }));
            if (frozen) {
                log.warn("Froze agent {}: {}", agentId, reason);
            }
        }
        return candidates.size();
    }

    private EthBlock.Block block(long number) throws IOException {
        return web3j.ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(number)), false).send().getBlock();
    }
}

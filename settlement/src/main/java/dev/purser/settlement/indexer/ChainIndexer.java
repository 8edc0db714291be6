package dev.purser.settlement.indexer;

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
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.EthLog;
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
 * error (too many results, range too large) and double again after successes.
 */
@Component
class ChainIndexer extends LeaderLoop {

    private static final Logger log = LoggerFactory.getLogger(ChainIndexer.class);
    static final int RANGE_MIN = 1;
    static final int RANGE_MAX = 5_000;
    static final int RANGES_PER_TICK_MAX = 50;
    static final int HEADERS_KEPT = 512;
    static final int WALLETS_MAX = 1_000_000;

    private final JdbcClient jdbc;
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

    ChainIndexer(JdbcClient jdbc, TransactionTemplate tx, DataSource dataSource, Web3j web3j, ChainSettings chain,
            ContractRegistry contracts, AgentService agents, Custody custody, SettlementLandings landings, AuditLog audit,
            Clock clock, JsonMapper json, PurserProperties properties,
            @Value("${purser.indexer.start-block:0}") long startBlock,
            @Value("${purser.indexer.tick-ms:1000}") long tickMillis) {
        super(dataSource, "purser.indexer." + chain.chainId(), "indexer", java.time.Duration.ofMillis(tickMillis));
        this.jdbc = jdbc;
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
        Cursor cursor = cursor(head);
        cursor = handleReorg(cursor);
        Map<String, String> wallets = agents.walletsToAgents(WALLETS_MAX);
        Set<String> purserWallets = new HashSet<>(wallets.keySet());
        purserWallets.add(custody.treasury().address().toLowerCase(Locale.ROOT));
        for (int i = 0; i < RANGES_PER_TICK_MAX && cursor.next() <= head; i++) {
            cursor = indexRange(cursor, head, deployed.get(), purserWallets);
        }
        advanceStatuses(head);
        linkSettlements();
        advanceSettlements();
        checkOutflows(wallets);
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
        EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(from)),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(to)), List.of(deployed.token(), deployed.batchSettler()));
        EthLog result;
        try {
            result = web3j.ethGetLogs(filter).send();
        } catch (IOException timeoutOrTransport) {
            // A range too large can also show as a timeout rather than an error answer: shrink too.
            result = new EthLog();
            result.setError(new org.web3j.protocol.core.Response.Error(-1, String.valueOf(timeoutOrTransport.getMessage())));
        }
        if (result.hasError()) {
            if (cursor.rangeSize() > RANGE_MIN) {
                Cursor smaller = new Cursor(from, Math.max(RANGE_MIN, cursor.rangeSize() / 2));
                saveCursor(smaller);
                return smaller;
            }
            throw new IOException("eth_getLogs refused even a one-block range: " + result.getError().getMessage());
        }
        EthBlock.Block endAfter = block(to);
        if (!endAfter.getHash().equals(endBefore.getHash())) {
            return cursor; // the chain moved under us; the next pass sees the reorg and starts over
        }
        List<Log> logs = new ArrayList<>();
        for (EthLog.LogResult<?> r : result.getLogs()) {
            logs.add((Log) r.get());
        }
        Cursor next = new Cursor(to + 1, Math.min(RANGE_MAX, cursor.rangeSize() * 2));
        tx.executeWithoutResult(s -> {
            for (Log l : logs) {
                store(l, deployed, purserWallets);
            }
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

    private void store(Log l, ContractRegistry.Contracts deployed, Set<String> purserWallets) {
        if (l.isRemoved()) {
            return;
        }
        Optional<LogDecoder.Decoded> decoded = LogDecoder.decode(l);
        if (decoded.isEmpty()) {
            return;
        }
        LogDecoder.Decoded d = decoded.get();
        boolean fromToken = l.getAddress().equalsIgnoreCase(deployed.token());
        boolean relevant = fromToken
                ? d.addresses().stream().anyMatch(purserWallets::contains)
                : d.event().startsWith("Item");
        if (!relevant) {
            return;
        }
        jdbc.sql("""
                INSERT INTO chain_events (chain_id, tx_hash, log_index, block_number, block_hash, contract, event, args,
                    status, indexed_at, addresses)
                VALUES (:c, :tx, :idx, :block, :hash, :contract, :event, CAST(:args AS jsonb), 'pending', :now, :addresses)
                ON CONFLICT (chain_id, tx_hash, log_index) DO UPDATE
                    SET block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash, status = 'pending',
                        indexed_at = EXCLUDED.indexed_at, applied_status = NULL
                    WHERE chain_events.block_hash <> EXCLUDED.block_hash OR chain_events.status = 'removed'
                """)
                .param("c", chain.chainId())
                .param("tx", l.getTransactionHash().toLowerCase(Locale.ROOT))
                .param("idx", l.getLogIndex().intValueExact())
                .param("block", l.getBlockNumber().longValueExact())
                .param("hash", l.getBlockHash().toLowerCase(Locale.ROOT))
                .param("contract", org.web3j.crypto.Keys.toChecksumAddress(l.getAddress()))
                .param("event", d.event())
                .param("args", json.writeValueAsString(d.args()))
                .param("now", Timestamp.from(clock.instant()))
                .param("addresses", d.addresses().toArray(String[]::new))
                .update();
    }

    /**
     * Compares the newest kept header with the canonical chain; on a mismatch walks back to the
     * highest kept header that still matches and undoes everything above it.
     */
    private Cursor handleReorg(Cursor cursor) throws IOException {
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
    private void advanceStatuses(long head) throws IOException {
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

    /** Ties indexed transfers and nonces to the settlements they pay. */
    private void linkSettlements() {
        List<Object[]> unlinked = jdbc.sql("""
                SELECT tx_hash, log_index, event, args->>'authorizer', args->>'nonce' FROM chain_events
                WHERE chain_id = :c AND settlement_id IS NULL AND status <> 'removed'
                  AND event IN ('Transfer', 'AuthorizationUsed') AND indexed_at > :recent
                ORDER BY block_number, log_index LIMIT 1000
                """)
                .param("c", chain.chainId())
                .param("recent", Timestamp.from(clock.instant().minus(java.time.Duration.ofHours(1))))
                .query((rs, n) -> new Object[] {rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4), rs.getString(5)})
                .list();
        for (Object[] e : unlinked) {
            Optional<String> settlement = "Transfer".equals(e[2])
                    ? landings.atLanding((String) e[0], (Integer) e[1]).or(() -> precededByOurAuthorization((String) e[0], (Integer) e[1]))
                    : landings.byNonce((String) e[3], (String) e[4]);
            settlement.ifPresent(id -> jdbc.sql("""
                    UPDATE chain_events SET settlement_id = :id WHERE chain_id = :c AND tx_hash = :tx AND log_index = :idx
                    """)
                    .param("id", id).param("c", chain.chainId()).param("tx", e[0]).param("idx", e[1]).update());
        }
    }

    /**
     * FiatToken logs AuthorizationUsed and then the Transfer it authorizes: a Transfer right after
     * an AuthorizationUsed linked to a settlement is that settlement's, whatever log index the
     * settler read from the receipt (Ganache numbers receipt logs per transaction, not per block).
     * The settlement then takes the block-level index, the one eth_getLogs and the spec use.
     */
    private Optional<String> precededByOurAuthorization(String txHash, int logIndex) {
        Optional<String> id = jdbc.sql("""
                SELECT settlement_id FROM chain_events
                WHERE chain_id = :c AND tx_hash = :tx AND log_index = :idx AND event = 'AuthorizationUsed' AND settlement_id IS NOT NULL
                """)
                .param("c", chain.chainId()).param("tx", txHash).param("idx", logIndex - 1)
                .query(String.class).optional();
        id.ifPresent(s -> jdbc.sql("UPDATE settlements SET log_index = :idx WHERE id = :id AND tx_hash = :tx")
                .param("idx", logIndex).param("id", s).param("tx", txHash).update());
        return id;
    }

    /**
     * Settlement confirmation comes from the index: a settlement is confirmed when its Transfer
     * here is confirmed, finalized when it is finalized.
     */
    private void advanceSettlements() {
        List<Object[]> ready = jdbc.sql("""
                SELECT tx_hash, log_index, settlement_id, status FROM chain_events
                WHERE chain_id = :c AND event = 'Transfer' AND settlement_id IS NOT NULL AND status IN ('confirmed', 'finalized')
                  AND applied_status IS DISTINCT FROM status
                ORDER BY block_number LIMIT 1000
                """)
                .param("c", chain.chainId())
                .query((rs, n) -> new Object[] {rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4)})
                .list();
        for (Object[] e : ready) {
            tx.executeWithoutResult(s -> {
                // The settler may not have recorded this landing yet (the index can be faster):
                // then nothing is applied and the next pass asks again.
                boolean applied = landings.confirm((String) e[2], clock.instant())
                        && (!"finalized".equals(e[3]) || landings.finalizeSettlement((String) e[2], clock.instant()));
                if (applied) {
                    jdbc.sql("UPDATE chain_events SET applied_status = :st WHERE chain_id = :c AND tx_hash = :tx AND log_index = :idx")
                            .param("st", e[3]).param("c", chain.chainId()).param("tx", e[0]).param("idx", e[1]).update();
                }
            });
        }
    }

    /**
     * A confirmed Transfer out of an agent wallet must be explained by one of our settlements: an
     * AuthorizationUsed by that wallet in the same transaction, with a nonce we formed. Anything
     * else means the wallet's key was used outside Purser: freeze the agent and say so.
     */
    private void checkOutflows(Map<String, String> wallets) {
        List<Object[]> outflows = jdbc.sql("""
                SELECT tx_hash, log_index, args->>'from', args->>'to', args->>'value' FROM chain_events
                WHERE chain_id = :c AND event = 'Transfer' AND NOT outflow_checked AND status IN ('confirmed', 'finalized')
                ORDER BY block_number LIMIT 1000
                """)
                .param("c", chain.chainId())
                .query((rs, n) -> new Object[] {rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4), rs.getString(5)})
                .list();
        for (Object[] t : outflows) {
            String from = ((String) t[2]).toLowerCase(Locale.ROOT);
            String agentId = wallets.get(from);
            tx.executeWithoutResult(s -> {
                jdbc.sql("UPDATE chain_events SET outflow_checked = true WHERE chain_id = :c AND tx_hash = :tx AND log_index = :idx")
                        .param("c", chain.chainId()).param("tx", t[0]).param("idx", t[1]).update();
                if (agentId == null) {
                    return;
                }
                boolean explained = jdbc.sql("""
                        SELECT args->>'nonce' FROM chain_events
                        WHERE chain_id = :c AND tx_hash = :tx AND event = 'AuthorizationUsed' AND status <> 'removed'
                          AND lower(args->>'authorizer') = :from
                        """)
                        .param("c", chain.chainId()).param("tx", t[0]).param("from", from)
                        .query(String.class).list().stream()
                        .anyMatch(nonce -> landings.byNonce(from, nonce).isPresent());
                if (!explained) {
                    String amount = Money.fromBigInteger(new BigInteger((String) t[4])).toString();
                    String reason = "unexplained outflow of " + amount + " USDC in " + t[0];
                    agents.freeze(null, agentId, reason.length() > 500 ? reason.substring(0, 500) : reason);
                    audit.append("wallet.unexplained_outflow", null, agentId, (String) t[0], Map.of("from", t[2], "to", t[3],
                            "amount", amount, "tx_hash", t[0], "log_index", t[1]));
                    log.warn("Froze agent {}: {}", agentId, reason);
                }
            });
        }
    }

    private EthBlock.Block block(long number) throws IOException {
        return web3j.ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(number)), false).send().getBlock();
    }
}

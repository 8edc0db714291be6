package dev.purser.settlement.audit;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.web3j.crypto.Keys;

/**
 * The chain as the indexer recorded it ({@code chain_events}), for auditors: read-only, filtered,
 * in chain order (block, log index), a page at a time.
 */
@Component
public class ChainEventReader {

    private final JdbcClient jdbc;

    ChainEventReader(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * One indexed log; {@code contract} in its EIP-55 form, {@code argsJson} the decoded event
     * arguments exactly as the indexer stored them.
     */
    public record ChainEvent(long chainId, long blockNumber, String blockHash, String txHash, int logIndex, String contract,
            String event, String argsJson, String status, String settlementId) {}

    /** A position in chain order: the last event of the previous page. */
    public record Position(long chainId, long blockNumber, int logIndex, String txHash) {}

    /**
     * Which events to read; all parts optional. Addresses are compared in lowercase, as the indexer
     * stores them; {@code requiredAddresses} must all be among the event's addresses.
     */
    public record Filter(List<String> requiredAddresses, String txHash, Long fromBlock) {

        public Filter {
            requiredAddresses = requiredAddresses == null ? List.of()
                    : requiredAddresses.stream().map(a -> a.toLowerCase(Locale.ROOT)).toList();
            txHash = txHash == null ? null : txHash.toLowerCase(Locale.ROOT);
            if (requiredAddresses.size() > 2) {
                throw new IllegalArgumentException("at most two address filters");
            }
        }
    }

    /** The wallet address of an agent, if the agent exists. */
    public Optional<String> walletOf(String agentId) {
        return jdbc.sql("SELECT wallet_address FROM agents WHERE id = :id").param("id", agentId).query(String.class).optional();
    }

    public List<ChainEvent> page(Filter filter, Position after, int limit) {
        List<String> addresses = filter.requiredAddresses();
        return jdbc.sql("""
                SELECT chain_id, block_number, block_hash, tx_hash, log_index, contract, event, args::text AS args,
                       status, settlement_id
                FROM chain_events
                WHERE (CAST(:address1 AS text) IS NULL OR addresses @> ARRAY[CAST(:address1 AS text)])
                  AND (CAST(:address2 AS text) IS NULL OR addresses @> ARRAY[CAST(:address2 AS text)])
                  AND (CAST(:txHash AS text) IS NULL OR tx_hash = :txHash)
                  AND (CAST(:fromBlock AS bigint) IS NULL OR block_number >= :fromBlock)
                  AND (CAST(:afterChain AS bigint) IS NULL
                       OR (chain_id, block_number, log_index, tx_hash)
                          > (CAST(:afterChain AS bigint), :afterBlock, :afterLog, :afterTx))
                ORDER BY chain_id, block_number, log_index, tx_hash
                LIMIT :limit
                """)
                .param("address1", addresses.isEmpty() ? null : addresses.get(0))
                .param("address2", addresses.size() < 2 ? null : addresses.get(1))
                .param("txHash", filter.txHash())
                .param("fromBlock", filter.fromBlock())
                .param("afterChain", after == null ? null : after.chainId())
                .param("afterBlock", after == null ? 0L : after.blockNumber())
                .param("afterLog", after == null ? 0 : after.logIndex())
                .param("afterTx", after == null ? "" : after.txHash())
                .param("limit", limit)
                .query((rs, n) -> new ChainEvent(rs.getLong("chain_id"), rs.getLong("block_number"),
                        rs.getString("block_hash"), rs.getString("tx_hash"), rs.getInt("log_index"), Keys.toChecksumAddress(rs.getString("contract")),
                        rs.getString("event"), rs.getString("args"), rs.getString("status"), rs.getString("settlement_id")))
                .list();
    }
}

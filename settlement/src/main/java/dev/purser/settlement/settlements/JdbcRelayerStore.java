package dev.purser.settlement.settlements;

import dev.purser.wallet.Addresses;
import dev.purser.wallet.tx.AttemptKind;
import dev.purser.wallet.tx.Fees;
import dev.purser.wallet.tx.Inclusion;
import dev.purser.wallet.tx.RelayerStore;
import dev.purser.wallet.tx.Resolution;
import dev.purser.wallet.tx.StoredTransaction;
import dev.purser.wallet.tx.TransactionAttempt;
import dev.purser.wallet.tx.TransactionRequest;
import dev.purser.wallet.tx.TransactionStatus;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The relayer's store in PostgreSQL. {@link #allocate} takes the counter row's lock, stores the
 * transaction with its first signed attempt and advances the counter in one transaction, so a
 * nonce is used exactly when its signed bytes are durable; a failure anywhere leaves no gap.
 * Sender addresses are stored in their EIP-55 form, so any spelling names the same relayer.
 */
public final class JdbcRelayerStore implements RelayerStore {

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;

    public JdbcRelayerStore(JdbcClient jdbc, TransactionTemplate tx) {
        this.jdbc = jdbc;
        this.tx = tx;
    }

    @Override
    public OptionalLong nextNonce(String senderAddress) {
        String sender = Addresses.checksummed(senderAddress, "sender");
        return jdbc.sql("SELECT next_nonce FROM relayer_nonce WHERE sender = :sender")
                .param("sender", sender)
                .query(Long.class)
                .optional()
                .map(OptionalLong::of)
                .orElse(OptionalLong.empty());
    }

    @Override
    public long advanceNextNonce(String senderAddress, long atLeast) {
        String sender = Addresses.checksummed(senderAddress, "sender");
        return tx.execute(s -> jdbc.sql("""
                INSERT INTO relayer_nonce (sender, next_nonce) VALUES (:sender, :atLeast)
                ON CONFLICT (sender) DO UPDATE SET next_nonce = GREATEST(relayer_nonce.next_nonce, EXCLUDED.next_nonce)
                RETURNING next_nonce
                """)
                .param("sender", sender)
                .param("atLeast", atLeast)
                .query(Long.class)
                .single());
    }

    @Override
    public StoredTransaction allocate(String senderAddress, TransactionRequest request, Instant createdAt, FirstAttempt firstAttempt) {
        String sender = Addresses.checksummed(senderAddress, "sender");
        return tx.execute(s -> {
            Long next = jdbc.sql("SELECT next_nonce FROM relayer_nonce WHERE sender = :sender FOR UPDATE")
                    .param("sender", sender)
                    .query(Long.class)
                    .optional()
                    .orElseThrow(() -> new IllegalStateException("the nonce counter of " + sender + " was never seeded"));
            Optional<StoredTransaction> existing = findByReference(sender, request.reference());
            if (existing.isPresent()) {
                return existing.get();
            }
            TransactionAttempt attempt = firstAttempt.sign(next);
            jdbc.sql("""
                    INSERT INTO relayer_transaction (sender, nonce, reference, to_address, value_wei, data, gas_limit, created_at)
                    VALUES (:sender, :nonce, :reference, :to, :value, :data, :gasLimit, :createdAt)
                    """)
                    .param("sender", sender)
                    .param("nonce", next)
                    .param("reference", request.reference())
                    .param("to", request.to())
                    .param("value", new BigDecimal(request.valueWei()))
                    .param("data", request.data())
                    .param("gasLimit", request.gasLimit())
                    .param("createdAt", Timestamp.from(createdAt))
                    .update();
            insertAttempt(sender, next, attempt);
            jdbc.sql("UPDATE relayer_nonce SET next_nonce = :n WHERE sender = :sender")
                    .param("n", next + 1)
                    .param("sender", sender)
                    .update();
            return find(sender, next).orElseThrow();
        });
    }

    @Override
    public StoredTransaction appendAttempt(String senderAddress, long nonce, TransactionAttempt attempt) {
        String sender = Addresses.checksummed(senderAddress, "sender");
        return tx.execute(s -> {
            StoredTransaction current = lock(sender, nonce);
            if (!current.isPending()) {
                throw new IllegalStateException("transaction " + sender + "/" + nonce + " is already " + current.status());
            }
            if (attempt.number() != current.attempts().size()) {
                throw new IllegalStateException("attempt " + attempt.number() + " of " + sender + "/" + nonce
                        + " but " + current.attempts().size() + " are stored");
            }
            insertAttempt(sender, nonce, attempt);
            return find(sender, nonce).orElseThrow();
        });
    }

    @Override
    public StoredTransaction resolve(String senderAddress, long nonce, Resolution resolution) {
        String sender = Addresses.checksummed(senderAddress, "sender");
        return tx.execute(s -> {
            StoredTransaction current = lock(sender, nonce);
            if (current.resolution().isPresent()) {
                Resolution stored = current.resolution().get();
                if (stored.status() == resolution.status() && stored.inclusion().equals(resolution.inclusion())) {
                    return current;
                }
                throw new IllegalStateException("transaction " + sender + "/" + nonce + " already ended as " + stored.status());
            }
            Optional<Inclusion> inc = resolution.inclusion();
            jdbc.sql("""
                    UPDATE relayer_transaction SET status = :status, inclusion_tx_hash = :txHash, inclusion_attempt = :attempt,
                        inclusion_block = :block, inclusion_block_hash = :blockHash, inclusion_gas_used = :gasUsed,
                        reason = :reason, resolved_at = :at
                    WHERE sender = :sender AND nonce = :nonce
                    """)
                    .param("status", resolution.status().name())
                    .param("txHash", inc.map(Inclusion::txHash).orElse(null))
                    .param("attempt", inc.map(Inclusion::attemptNumber).orElse(null))
                    .param("block", inc.map(Inclusion::blockNumber).orElse(null))
                    .param("blockHash", inc.map(Inclusion::blockHash).orElse(null))
                    .param("gasUsed", inc.map(Inclusion::gasUsed).orElse(null))
                    .param("reason", resolution.reason().orElse(null))
                    .param("at", Timestamp.from(resolution.resolvedAt()))
                    .param("sender", sender)
                    .param("nonce", nonce)
                    .update();
            return find(sender, nonce).orElseThrow();
        });
    }

    @Override
    public Optional<StoredTransaction> find(String senderAddress, long nonce) {
        String sender = Addresses.checksummed(senderAddress, "sender");
        return jdbc.sql("SELECT * FROM relayer_transaction WHERE sender = :sender AND nonce = :nonce")
                .param("sender", sender)
                .param("nonce", nonce)
                .query(this::mapTransaction)
                .optional()
                .map(this::withAttempts);
    }

    @Override
    public Optional<StoredTransaction> findByReference(String senderAddress, String reference) {
        String sender = Addresses.checksummed(senderAddress, "sender");
        return jdbc.sql("SELECT * FROM relayer_transaction WHERE sender = :sender AND reference = :reference")
                .param("sender", sender)
                .param("reference", reference)
                .query(this::mapTransaction)
                .optional()
                .map(this::withAttempts);
    }

    @Override
    public List<StoredTransaction> pending(String senderAddress, int limit) {
        String sender = Addresses.checksummed(senderAddress, "sender");
        return jdbc.sql("SELECT * FROM relayer_transaction WHERE sender = :sender AND status = 'PENDING' ORDER BY nonce LIMIT :limit")
                .param("sender", sender)
                .param("limit", limit)
                .query(this::mapTransaction)
                .list()
                .stream()
                .map(this::withAttempts)
                .toList();
    }

    private StoredTransaction lock(String sender, long nonce) {
        jdbc.sql("SELECT 1 FROM relayer_transaction WHERE sender = :sender AND nonce = :nonce FOR UPDATE")
                .param("sender", sender)
                .param("nonce", nonce)
                .query(Integer.class)
                .optional()
                .orElseThrow(() -> new IllegalStateException("no transaction " + sender + "/" + nonce));
        return find(sender, nonce).orElseThrow();
    }

    private void insertAttempt(String sender, long nonce, TransactionAttempt a) {
        jdbc.sql("""
                INSERT INTO relayer_attempt (sender, nonce, number, kind, tx_hash, max_fee_per_gas, max_priority_fee_per_gas,
                    signed_raw, created_at, reason)
                VALUES (:sender, :nonce, :number, :kind, :txHash, :maxFee, :maxPriority, :raw, :createdAt, :reason)
                """)
                .param("sender", sender)
                .param("nonce", nonce)
                .param("number", a.number())
                .param("kind", a.kind().name())
                .param("txHash", a.txHash())
                .param("maxFee", new BigDecimal(a.fees().maxFeePerGas()))
                .param("maxPriority", new BigDecimal(a.fees().maxPriorityFeePerGas()))
                .param("raw", a.signedRaw())
                .param("createdAt", Timestamp.from(a.createdAt()))
                .param("reason", a.reason().orElse(null))
                .update();
    }

    /** A transaction row, attempts not yet loaded. */
    private record Row(String sender, long nonce, TransactionRequest request, Instant createdAt, Optional<Resolution> resolution) {}

    private Row mapTransaction(ResultSet rs, int n) throws SQLException {
        TransactionRequest request = new TransactionRequest(rs.getString("reference"), rs.getString("to_address"),
                rs.getBigDecimal("value_wei").toBigIntegerExact(), rs.getString("data"), rs.getLong("gas_limit"));
        TransactionStatus status = TransactionStatus.valueOf(rs.getString("status"));
        Optional<Resolution> resolution = Optional.empty();
        if (status != TransactionStatus.PENDING) {
            String txHash = rs.getString("inclusion_tx_hash");
            Optional<Inclusion> inclusion = txHash == null ? Optional.empty() : Optional.of(new Inclusion(txHash,
                    rs.getInt("inclusion_attempt"), rs.getLong("inclusion_block"), rs.getString("inclusion_block_hash"),
                    rs.getLong("inclusion_gas_used")));
            resolution = Optional.of(new Resolution(status, inclusion, Optional.ofNullable(rs.getString("reason")),
                    rs.getTimestamp("resolved_at").toInstant()));
        }
        return new Row(rs.getString("sender"), rs.getLong("nonce"), request, rs.getTimestamp("created_at").toInstant(), resolution);
    }

    private StoredTransaction withAttempts(Row row) {
        List<TransactionAttempt> attempts = jdbc.sql("""
                SELECT * FROM relayer_attempt WHERE sender = :sender AND nonce = :nonce ORDER BY number
                """)
                .param("sender", row.sender())
                .param("nonce", row.nonce())
                .query((rs, n) -> new TransactionAttempt(rs.getInt("number"), AttemptKind.valueOf(rs.getString("kind")),
                        rs.getString("tx_hash"),
                        new Fees(toBig(rs.getBigDecimal("max_fee_per_gas")), toBig(rs.getBigDecimal("max_priority_fee_per_gas"))),
                        rs.getBytes("signed_raw"), rs.getTimestamp("created_at").toInstant(),
                        Optional.ofNullable(rs.getString("reason"))))
                .list();
        return new StoredTransaction(row.sender(), row.nonce(), row.request(), row.createdAt(), attempts, row.resolution());
    }

    private static BigInteger toBig(BigDecimal d) {
        return d.toBigIntegerExact();
    }
}

package dev.purser.settlement.settlements;

import java.io.IOException;
import java.math.BigInteger;
import java.util.List;
import java.util.Optional;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Bool;
import org.web3j.abi.datatypes.Event;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/** The token events a settlement is proven by, read from receipts and logs. */
final class ChainLogs {

    static final Event TRANSFER = new Event("Transfer", List.of(
            new TypeReference<Address>(true) {}, new TypeReference<Address>(true) {}, new TypeReference<Uint256>() {}));
    static final Event AUTHORIZATION_USED = new Event("AuthorizationUsed", List.of(
            new TypeReference<Address>(true) {}, new TypeReference<Bytes32>(true) {}));
    /** FiatToken v2.2's AuthorizationCanceled(address indexed authorizer, bytes32 indexed nonce). */
    static final Event AUTHORIZATION_CANCELED = new Event("AuthorizationCanceled", List.of(
            new TypeReference<Address>(true) {}, new TypeReference<Bytes32>(true) {}));
    static final String TRANSFER_TOPIC = EventEncoder.encode(TRANSFER);
    static final String AUTHORIZATION_USED_TOPIC = EventEncoder.encode(AUTHORIZATION_USED);
    static final String AUTHORIZATION_CANCELED_TOPIC = EventEncoder.encode(AUTHORIZATION_CANCELED);

    private ChainLogs() {}

    /** Where a settlement's transfer is on-chain. */
    record Landing(String txHash, long blockNumber, String blockHash, int transferLogIndex) {}

    /**
     * Finds, in one transaction's receipt, the AuthorizationUsed(from, nonce) of the token and the
     * Transfer that follows it (FiatToken emits them in that order for one transfer).
     */
    static Optional<Landing> inReceipt(TransactionReceipt receipt, String token, String from, String nonce) {
        List<Log> logs = receipt.getLogs();
        for (int i = 0; i < logs.size(); i++) {
            Log log = logs.get(i);
            if (isAuthorizationUsed(log, token, from, nonce)) {
                for (int j = i + 1; j < logs.size(); j++) {
                    Log next = logs.get(j);
                    if (next.getAddress().equalsIgnoreCase(token) && !next.getTopics().isEmpty()
                            && next.getTopics().get(0).equalsIgnoreCase(TRANSFER_TOPIC)) {
                        return Optional.of(new Landing(receipt.getTransactionHash(), receipt.getBlockNumber().longValueExact(),
                                receipt.getBlockHash(), next.getLogIndex().intValueExact()));
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** What the token recorded when a settlement's nonce turned out to be spent already. */
    sealed interface NonceSpend {

        /** Someone submitted the signed authorization first: the merchant was paid, in this transaction. */
        record Used(Landing landing) implements NonceSpend {}

        /** The authorizer canceled the nonce, in this transaction: nothing moved, and nothing ever will under it. */
        record Canceled(String txHash, long blockNumber) implements NonceSpend {}

        /** No log proves either yet; the reason says what was searched and what is missing. */
        record Unproven(String reason) implements NonceSpend {}
    }

    /**
     * How many blocks one eth_getLogs of {@link #findSpend} covers. Providers cap the range of a
     * getLogs request (commonly somewhere between 2,000 and 10,000 blocks), and an address and
     * two indexed topics make each answer tiny, so a range every common node answers is enough.
     */
    static final long SPEND_SEARCH_CHUNK_BLOCKS = 5_000;

    /**
     * Why the token says a nonce is used or canceled: the AuthorizationUsed(from, nonce) or
     * AuthorizationCanceled(from, nonce) log that spent it, searched from {@code toBlock} (where
     * the spend was noticed, so the spend is at or below it) back {@code lookbackBlocks} blocks,
     * newest chunk of {@code chunkBlocks} first, both events in one filter per chunk.
     *
     * <p>The absence of a log proves nothing: a node may not serve a fresh log yet, and the spend
     * may lie beyond the window. So only a log decides between paid and canceled, and without
     * one the answer is {@link NonceSpend.Unproven}, which the settler retries.
     *
     * <p>A used nonce's landing is read from that transaction's receipt ({@link #inReceipt}), not
     * from the getLogs answer: on Ganache the two disagree on log indexes, and the indexer
     * reconciles the index with chain_events later anyway.
     */
    static NonceSpend findSpend(Web3j web3j, String token, String from, String nonce, long toBlock, long lookbackBlocks,
            long chunkBlocks) throws IOException {
        if (toBlock < 0 || lookbackBlocks < 0 || chunkBlocks < 1) {
            throw new IllegalArgumentException("blocks must be non-negative and chunks at least one block long");
        }
        long fromBlock = Math.max(0, toBlock - lookbackBlocks);
        long chunkTo = toBlock;
        while (chunkTo >= fromBlock) {
            long chunkFrom = Math.max(fromBlock, chunkTo - chunkBlocks + 1);
            Optional<Log> spend = newestSpendIn(web3j, token, from, nonce, chunkFrom, chunkTo);
            if (spend.isPresent()) {
                return spendOf(web3j, spend.get(), token, from, nonce);
            }
            chunkTo = chunkFrom - 1;
        }
        return new NonceSpend.Unproven("neither AuthorizationUsed nor AuthorizationCanceled of the nonce is in blocks "
                + fromBlock + " to " + toBlock + "; authorizationState is now "
                + authorizationState(web3j, token, from, nonce));
    }

    /** The newest AuthorizationUsed or AuthorizationCanceled of (from, nonce) in blocks chunkFrom..chunkTo. */
    private static Optional<Log> newestSpendIn(Web3j web3j, String token, String from, String nonce, long chunkFrom,
            long chunkTo) throws IOException {
        EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(chunkFrom)),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(chunkTo)), token);
        filter.addOptionalTopics(AUTHORIZATION_USED_TOPIC, AUTHORIZATION_CANCELED_TOPIC);
        filter.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(from), 64));
        filter.addSingleTopic(nonce);
        EthLog result = web3j.ethGetLogs(filter).send();
        if (result.hasError()) {
            throw new IOException("eth_getLogs of blocks " + chunkFrom + " to " + chunkTo + " failed: "
                    + result.getError().getMessage());
        }
        Log newest = null;
        for (EthLog.LogResult<?> r : result.getLogs()) {
            Log log = (Log) r.get();
            // The node filtered already; checking again costs nothing and guards against a sloppy one.
            if (log.isRemoved() || !(isAuthorizationUsed(log, token, from, nonce) || isAuthorizationCanceled(log, token, from, nonce))) {
                continue;
            }
            if (newest == null || log.getBlockNumber().compareTo(newest.getBlockNumber()) > 0
                    || (log.getBlockNumber().equals(newest.getBlockNumber()) && log.getLogIndex().compareTo(newest.getLogIndex()) > 0)) {
                newest = log;
            }
        }
        return Optional.ofNullable(newest);
    }

    private static NonceSpend spendOf(Web3j web3j, Log spend, String token, String from, String nonce) throws IOException {
        if (isAuthorizationCanceled(spend, token, from, nonce)) {
            return new NonceSpend.Canceled(spend.getTransactionHash(), spend.getBlockNumber().longValueExact());
        }
        Optional<TransactionReceipt> receipt = web3j.ethGetTransactionReceipt(spend.getTransactionHash()).send()
                .getTransactionReceipt();
        if (receipt.isEmpty()) {
            return new NonceSpend.Unproven("AuthorizationUsed of the nonce is in " + spend.getTransactionHash()
                    + " but the node has not served its receipt yet");
        }
        return inReceipt(receipt.get(), token, from, nonce)
                .<NonceSpend>map(NonceSpend.Used::new)
                .orElseGet(() -> new NonceSpend.Unproven("the receipt of " + spend.getTransactionHash()
                        + " shows no Transfer after the nonce's AuthorizationUsed"));
    }

    /**
     * The token's authorizationState(authorizer, nonce) at the latest block: whether the nonce is
     * spent (used or canceled) on the chain as the node now sees it. It cannot say which.
     */
    static boolean authorizationState(Web3j web3j, String token, String authorizer, String nonce) throws IOException {
        Function state = new Function("authorizationState",
                List.of(new Address(authorizer), new Bytes32(Numeric.hexStringToByteArray(nonce))),
                List.of(new TypeReference<Bool>() {}));
        EthCall call = web3j.ethCall(Transaction.createEthCallTransaction(null, token, FunctionEncoder.encode(state)),
                DefaultBlockParameterName.LATEST).send();
        if (call.hasError()) {
            throw new IOException("authorizationState failed: " + call.getError().getMessage());
        }
        List<Type> answer = FunctionReturnDecoder.decode(call.getValue(), state.getOutputParameters());
        if (answer.isEmpty()) {
            throw new IOException("authorizationState answered nothing");
        }
        return (Boolean) answer.getFirst().getValue();
    }

    private static boolean isAuthorizationUsed(Log log, String token, String from, String nonce) {
        return isAuthorizationEvent(log, AUTHORIZATION_USED_TOPIC, token, from, nonce);
    }

    private static boolean isAuthorizationCanceled(Log log, String token, String from, String nonce) {
        return isAuthorizationEvent(log, AUTHORIZATION_CANCELED_TOPIC, token, from, nonce);
    }

    /** Whether a log is the token's {@code topic0}(authorizer indexed, nonce indexed) for (from, nonce). */
    private static boolean isAuthorizationEvent(Log log, String topic0, String token, String from, String nonce) {
        List<String> topics = log.getTopics();
        return log.getAddress().equalsIgnoreCase(token) && topics.size() == 3
                && topics.get(0).equalsIgnoreCase(topic0)
                && Numeric.toBigInt(topics.get(1)).equals(Numeric.toBigInt(from))
                && topics.get(2).equalsIgnoreCase(nonce);
    }

}

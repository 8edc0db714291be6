package dev.purser.settlement.settlements;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Event;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
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
    static final String TRANSFER_TOPIC = EventEncoder.encode(TRANSFER);
    static final String AUTHORIZATION_USED_TOPIC = EventEncoder.encode(AUTHORIZATION_USED);

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

    /**
     * The transaction, anywhere on the chain, in which the token recorded AuthorizationUsed(from,
     * nonce): who used a settlement's nonce when BatchSettler was told it was already used.
     */
    static Optional<Landing> findUse(Web3j web3j, String token, String from, String nonce) throws IOException {
        EthFilter filter = new EthFilter(DefaultBlockParameterName.EARLIEST, DefaultBlockParameterName.LATEST, token);
        filter.addSingleTopic(AUTHORIZATION_USED_TOPIC);
        filter.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(from), 64));
        filter.addSingleTopic(nonce);
        EthLog result = web3j.ethGetLogs(filter).send();
        if (result.hasError()) {
            throw new IOException("eth_getLogs failed: " + result.getError().getMessage());
        }
        for (EthLog.LogResult<?> r : result.getLogs()) {
            Log log = (Log) r.get();
            if (log.isRemoved()) {
                continue;
            }
            Optional<TransactionReceipt> receipt = web3j.ethGetTransactionReceipt(log.getTransactionHash()).send().getTransactionReceipt();
            if (receipt.isPresent()) {
                return inReceipt(receipt.get(), token, from, nonce);
            }
        }
        return Optional.empty();
    }

    private static boolean isAuthorizationUsed(Log log, String token, String from, String nonce) {
        List<String> topics = log.getTopics();
        return log.getAddress().equalsIgnoreCase(token) && topics.size() == 3
                && topics.get(0).equalsIgnoreCase(AUTHORIZATION_USED_TOPIC)
                && Numeric.toBigInt(topics.get(1)).equals(Numeric.toBigInt(from))
                && topics.get(2).equalsIgnoreCase(nonce);
    }

}

package dev.purser.settlement.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.utils.Numeric;

/**
 * The token's logs as the chain itself has them, read with eth_getLogs independently of the
 * service's indexer, and the same logs as the indexer stored them, so that tests can compare the
 * two: each as a key {@code tx_hash:log_index:event}.
 */
public final class TokenLogs {

    public static final String TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
    public static final String AUTHORIZATION_USED_TOPIC = "0x98de503528ee59b575ef0c0a2576a82497bfc029a5685b209e9ec333479b10a5";

    /**
     * The keys of the live (not removed) indexed Transfers and AuthorizationUsed of the token that
     * name a wallet; positional parameters: the wallet, then the token.
     */
    public static final String INDEXED_KEYS_SQL = """
            SELECT tx_hash || ':' || log_index || ':' || event FROM chain_events
            WHERE addresses @> ARRAY[lower(?)] AND status <> 'removed' AND lower(contract) = lower(?)
              AND event IN ('Transfer', 'AuthorizationUsed')
            """;

    private TokenLogs() {}

    /** Every AuthorizationUsed the token logged for {@code authorizer}, on the canonical chain. */
    public static List<Log> authorizationUsed(Web3j web3j, String token, String authorizer) {
        return getLogs(web3j, token, AUTHORIZATION_USED_TOPIC, topic(authorizer), null);
    }

    /** Transfers from {@code wallet}, Transfers to it, and its AuthorizationUsed, on the canonical chain. */
    public static List<Log> namingWallet(Web3j web3j, String token, String wallet) {
        List<Log> logs = new ArrayList<>(authorizationUsed(web3j, token, wallet));
        logs.addAll(getLogs(web3j, token, TRANSFER_TOPIC, topic(wallet), null));
        logs.addAll(getLogs(web3j, token, TRANSFER_TOPIC, null, topic(wallet)));
        return logs;
    }

    /** Each log as {@code tx_hash:log_index:event}, the form {@link #INDEXED_KEYS_SQL} returns. */
    public static List<String> keys(List<Log> logs) {
        return logs.stream().map(l -> l.getTransactionHash().toLowerCase(Locale.ROOT) + ":" + l.getLogIndex() + ":"
                + (l.getTopics().getFirst().equalsIgnoreCase(TRANSFER_TOPIC) ? "Transfer" : "AuthorizationUsed")).toList();
    }

    private static String topic(String address) {
        return Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(address), 64);
    }

    private static List<Log> getLogs(Web3j web3j, String token, String topic0, String topic1, String topic2) {
        EthFilter filter = new EthFilter(DefaultBlockParameterName.EARLIEST, DefaultBlockParameterName.LATEST, token);
        filter.addSingleTopic(topic0);
        if (topic1 == null) {
            filter.addNullTopic();
        } else {
            filter.addSingleTopic(topic1);
        }
        if (topic2 != null) {
            filter.addSingleTopic(topic2);
        }
        try {
            EthLog answer = web3j.ethGetLogs(filter).send();
            if (answer.hasError()) {
                throw new IllegalStateException("eth_getLogs: " + answer.getError().getMessage());
            }
            List<Log> logs = new ArrayList<>();
            for (EthLog.LogResult<?> r : answer.getLogs()) {
                logs.add((Log) r.get());
            }
            return logs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

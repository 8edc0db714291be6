package dev.purser.settlement.indexer;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.utils.Numeric;

/**
 * The eth_getLogs calls for one block range, asking the node only for what Purser indexes:
 * the token's Transfers from a Purser wallet or to one, its AuthorizationUsed / Canceled by a
 * Purser wallet, and every BatchSettler log. Wallets go into the topic filters in chunks; past
 * {@link #TOPIC_FILTER_WALLETS_MAX} wallets the token's logs are asked for whole and filtered
 * here instead (one query beats thousands of chunks). Public for the indexer benchmark, whose
 * bare baseline makes exactly these calls.
 */
public final class LogQueries {

    /** Addresses per topic OR-list: nodes cap them (geth at 1,000 per position). */
    static final int WALLETS_PER_FILTER = 500;
    static final int TOPIC_FILTER_WALLETS_MAX = 10_000;

    /**
     * Answers by which nodes mean "this range is too much": too many results, a range or response
     * size limit, or a timeout. Anything else is not cured by a smaller range.
     */
    private static final Pattern TOO_MUCH = Pattern.compile(
            "more than|too many|too large|too big|range|limit|exceed|response size|timeout|timed out|query returned",
            Pattern.CASE_INSENSITIVE);

    /** The node refused the range; {@link #tooMuch} says whether a smaller range may pass. */
    public static final class Refused extends IOException {
        final boolean tooMuch;

        Refused(String message, boolean tooMuch) {
            super(message);
            this.tooMuch = tooMuch;
        }
    }

    private LogQueries() {}

    /**
     * Every relevant log in [from, to], deduplicated and in chain order. Throws {@link Refused}
     * when the node refuses any of the calls for this range.
     */
    public static List<Log> fetch(Web3j web3j, long from, long to, String token, String batchSettler, Collection<String> wallets)
            throws Refused {
        List<EthFilter> filters = new ArrayList<>();
        filters.add(filter(from, to, batchSettler));
        if (wallets.size() > TOPIC_FILTER_WALLETS_MAX) {
            filters.add(filter(from, to, token));
        } else {
            List<String> topics = wallets.stream().map(LogQueries::addressTopic).sorted().toList();
            for (int i = 0; i < topics.size(); i += WALLETS_PER_FILTER) {
                String[] chunk = topics.subList(i, Math.min(topics.size(), i + WALLETS_PER_FILTER)).toArray(String[]::new);
                filters.add(filter(from, to, token)
                        .addOptionalTopics(LogDecoder.TRANSFER_TOPIC, LogDecoder.AUTHORIZATION_USED_TOPIC,
                                LogDecoder.AUTHORIZATION_CANCELED_TOPIC)
                        .addOptionalTopics(chunk));
                filters.add(filter(from, to, token)
                        .addSingleTopic(LogDecoder.TRANSFER_TOPIC)
                        .addNullTopic()
                        .addOptionalTopics(chunk));
            }
        }
        Map<String, Log> logs = new LinkedHashMap<>();
        for (EthFilter filter : filters) {
            for (EthLog.LogResult<?> r : call(web3j, filter)) {
                Log l = (Log) r.get();
                logs.putIfAbsent(l.getTransactionHash().toLowerCase(Locale.ROOT) + ":" + l.getLogIndex(), l);
            }
        }
        List<Log> ordered = new ArrayList<>(logs.values());
        ordered.sort(Comparator.comparing(Log::getBlockNumber).thenComparing(Log::getLogIndex));
        return ordered;
    }

    private static List<EthLog.LogResult> call(Web3j web3j, EthFilter filter) throws Refused {
        EthLog result;
        try {
            result = web3j.ethGetLogs(filter).send();
        } catch (IOException timeoutOrTransport) {
            // A range too large also shows as a timeout rather than an answer.
            throw new Refused("eth_getLogs failed: " + timeoutOrTransport.getMessage(), true);
        }
        if (result.hasError()) {
            throw new Refused("eth_getLogs refused: " + result.getError().getMessage(), meansTooMuch(result.getError()));
        }
        return result.getLogs() == null ? List.of() : result.getLogs();
    }

    /** Whether a node's error answer means the range (or its result) is too large. */
    static boolean meansTooMuch(Response.Error error) {
        // -32005: "limit exceeded" (EIP-1474), the code Infura, Alchemy and others use for it.
        return error.getCode() == -32005 || (error.getMessage() != null && TOO_MUCH.matcher(error.getMessage()).find());
    }

    private static EthFilter filter(long from, long to, String address) {
        return new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(from)),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(to)), address);
    }

    static String addressTopic(String address) {
        return Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(address), 64);
    }
}

package dev.purser.settlement.indexer;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Event;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.Utf8String;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Keys;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.utils.Numeric;

/** Decodes the logs Purser indexes into an event name, its arguments and the addresses it touches. */
final class LogDecoder {

    static final Event TRANSFER = new Event("Transfer", List.of(
            new TypeReference<Address>(true) {}, new TypeReference<Address>(true) {}, new TypeReference<Uint256>() {}));
    static final Event AUTHORIZATION_USED = new Event("AuthorizationUsed", List.of(
            new TypeReference<Address>(true) {}, new TypeReference<Bytes32>(true) {}));
    static final Event AUTHORIZATION_CANCELED = new Event("AuthorizationCanceled", List.of(
            new TypeReference<Address>(true) {}, new TypeReference<Bytes32>(true) {}));
    static final Event ITEM_SETTLED = new Event("ItemSettled", List.of(
            new TypeReference<Address>(true) {}, new TypeReference<Address>(true) {}, new TypeReference<Bytes32>(true) {},
            new TypeReference<Address>() {}, new TypeReference<Uint256>() {}, new TypeReference<Uint256>() {}));
    static final Event ITEM_FAILED = new Event("ItemFailed", List.of(
            new TypeReference<Address>(true) {}, new TypeReference<Address>(true) {}, new TypeReference<Bytes32>(true) {},
            new TypeReference<Uint256>() {}, new TypeReference<Utf8String>() {}));

    static final String TRANSFER_TOPIC = EventEncoder.encode(TRANSFER);
    static final String AUTHORIZATION_USED_TOPIC = EventEncoder.encode(AUTHORIZATION_USED);
    static final String AUTHORIZATION_CANCELED_TOPIC = EventEncoder.encode(AUTHORIZATION_CANCELED);
    static final String ITEM_SETTLED_TOPIC = EventEncoder.encode(ITEM_SETTLED);
    static final String ITEM_FAILED_TOPIC = EventEncoder.encode(ITEM_FAILED);

    private LogDecoder() {}

    /** A decoded log: the event's name, its arguments (JSON-friendly) and the addresses involved. */
    record Decoded(String event, Map<String, Object> args, List<String> addresses) {}

    static Optional<Decoded> decode(Log log) {
        List<String> topics = log.getTopics();
        if (topics == null || topics.isEmpty()) {
            return Optional.empty();
        }
        String topic0 = topics.get(0).toLowerCase();
        try {
            if (topic0.equals(TRANSFER_TOPIC) && topics.size() == 3) {
                String from = address(topics.get(1));
                String to = address(topics.get(2));
                BigInteger value = uint(log.getData(), TRANSFER).get(0);
                return Optional.of(new Decoded("Transfer", args("from", from, "to", to, "value", value.toString()),
                        List.of(from.toLowerCase(), to.toLowerCase())));
            }
            if ((topic0.equals(AUTHORIZATION_USED_TOPIC) || topic0.equals(AUTHORIZATION_CANCELED_TOPIC)) && topics.size() == 3) {
                String authorizer = address(topics.get(1));
                return Optional.of(new Decoded(topic0.equals(AUTHORIZATION_USED_TOPIC) ? "AuthorizationUsed" : "AuthorizationCanceled",
                        args("authorizer", authorizer, "nonce", topics.get(2).toLowerCase()), List.of(authorizer.toLowerCase())));
            }
            if (topic0.equals(ITEM_SETTLED_TOPIC) && topics.size() == 4) {
                List<Type> data = FunctionReturnDecoder.decode(log.getData(), ITEM_SETTLED.getNonIndexedParameters());
                String from = address(topics.get(2));
                String to = Keys.toChecksumAddress(((Address) data.get(0)).getValue());
                return Optional.of(new Decoded("ItemSettled", args("token", address(topics.get(1)), "from", from,
                        "nonce", topics.get(3).toLowerCase(), "to", to, "value", data.get(1).getValue().toString(),
                        "index", data.get(2).getValue().toString()), List.of(from.toLowerCase(), to.toLowerCase())));
            }
            if (topic0.equals(ITEM_FAILED_TOPIC) && topics.size() == 4) {
                List<Type> data = FunctionReturnDecoder.decode(log.getData(), ITEM_FAILED.getNonIndexedParameters());
                String from = address(topics.get(2));
                return Optional.of(new Decoded("ItemFailed", args("token", address(topics.get(1)), "from", from,
                        "nonce", topics.get(3).toLowerCase(), "index", data.get(0).getValue().toString(),
                        "reason", String.valueOf(data.get(1).getValue())), List.of(from.toLowerCase())));
            }
        } catch (RuntimeException malformed) {
            // A log with our topic but not our layout is not one of ours.
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static String address(String topic) {
        return Keys.toChecksumAddress(Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(topic), 40));
    }

    @SuppressWarnings("unchecked")
    private static List<BigInteger> uint(String data, Event event) {
        return FunctionReturnDecoder.decode(data, event.getNonIndexedParameters()).stream()
                .map(t -> (BigInteger) t.getValue()).toList();
    }

    private static Map<String, Object> args(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}

package dev.purser.settlement.audit.web;

import dev.purser.settlement.audit.ChainEventReader;
import dev.purser.settlement.web.ApiException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Pattern;

/** Query parameters and cursors of the auditor endpoints; every refusal is a 400 naming the parameter. */
final class Params {

    private static final Pattern TYPE = Pattern.compile("[a-z_]+(\\.[a-z_]+)+");
    private static final Pattern ID = Pattern.compile("[a-z]{2,5}_[0-9A-Za-z]{1,64}");
    private static final Pattern TX_HASH = Pattern.compile("0x[0-9a-fA-F]{64}");
    private static final int MAX_TYPE_LENGTH = 100;

    private Params() {}

    static ApiException invalid(String field, String message) {
        return new ApiException(400, "invalid_parameter", message, Map.of("field", field));
    }

    static ApiException invalidCursor() {
        return new ApiException(400, "invalid_cursor", "The cursor is not one this API returned.", Map.of("field", "cursor"));
    }

    /** An RFC 3339 timestamp, or null when absent. */
    static Instant time(String value, String field) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e) {
            throw invalid(field, "'" + field + "' must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z.");
        }
    }

    static void requireOrdered(Instant since, Instant until) {
        if (since != null && until != null && !since.isBefore(until)) {
            throw invalid("until", "'until' must be after 'since'.");
        }
    }

    static String type(String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (value.length() > MAX_TYPE_LENGTH || !TYPE.matcher(value).matches()) {
            throw invalid("type", "'type' is a dotted event type such as settlement.confirmed.");
        }
        return value;
    }

    static String id(String value, String field) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (!ID.matcher(value).matches()) {
            throw invalid(field, "'" + field + "' is not an id of this API.");
        }
        return value;
    }

    static String txHash(String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (!TX_HASH.matcher(value).matches()) {
            throw invalid("tx_hash", "'tx_hash' must be 0x followed by 64 hex digits.");
        }
        return value;
    }

    static Long fromBlock(Long value) {
        if (value != null && value < 0) {
            throw invalid("from_block", "'from_block' must be 0 or more.");
        }
        return value;
    }

    /** The seq an audit event page continues after (0 for the first page). */
    static long seqCursor(String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return 0;
        }
        try {
            String text = decode(cursor);
            if (!text.startsWith("seq:")) {
                throw invalidCursor();
            }
            long seq = Long.parseLong(text.substring(4));
            if (seq < 0) {
                throw invalidCursor();
            }
            return seq;
        } catch (IllegalArgumentException e) {
            throw invalidCursor();
        }
    }

    static String seqCursor(long seq) {
        return encode("seq:" + seq);
    }

    /** The chain position a chain event page continues after (null for the first page). */
    static ChainEventReader.Position positionCursor(String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return null;
        }
        try {
            String[] parts = decode(cursor).split("\\|", -1);
            if (parts.length != 5 || !parts[0].equals("chain") || !TX_HASH.matcher(parts[4]).matches()) {
                throw invalidCursor();
            }
            return new ChainEventReader.Position(Long.parseLong(parts[1]), Long.parseLong(parts[2]),
                    Integer.parseInt(parts[3]), parts[4]);
        } catch (IllegalArgumentException e) {
            throw invalidCursor();
        }
    }

    static String positionCursor(long chainId, long blockNumber, int logIndex, String txHash) {
        return encode("chain|" + chainId + "|" + blockNumber + "|" + logIndex + "|" + txHash);
    }

    private static String encode(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String decode(String cursor) {
        return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
    }
}

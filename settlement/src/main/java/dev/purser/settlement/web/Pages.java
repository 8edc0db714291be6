package dev.purser.settlement.web;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;

/**
 * Keyset pagination: a cursor is the (created_at, id) of the last item returned, opaque to
 * clients. Limits are 1 to 500, 50 by default.
 */
public final class Pages {

    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 500;

    private Pages() {}

    /** A position in a list ordered newest first. */
    public record Cursor(Instant createdAt, String id) {}

    public static int limit(Integer requested) {
        if (requested == null) {
            return DEFAULT_LIMIT;
        }
        if (requested < 1 || requested > MAX_LIMIT) {
            throw new ApiException(400, "invalid_parameter", "'limit' must be between 1 and " + MAX_LIMIT + ".",
                    Map.of("field", "limit"));
        }
        return requested;
    }

    public static Cursor decode(String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return null;
        }
        try {
            String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            int bar = text.indexOf('|');
            return new Cursor(Instant.parse(text.substring(0, bar)), text.substring(bar + 1));
        } catch (RuntimeException e) {
            throw new ApiException(400, "invalid_cursor", "The cursor is not one this API returned.", Map.of("field", "cursor"));
        }
    }

    public static String encode(Instant createdAt, String id) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((createdAt.toString() + "|" + id).getBytes(StandardCharsets.UTF_8));
    }
}

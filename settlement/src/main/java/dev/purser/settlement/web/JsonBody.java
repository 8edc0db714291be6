package dev.purser.settlement.web;

import dev.purser.settlement.common.Money;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.web3j.crypto.Keys;
import tools.jackson.databind.JsonNode;

/**
 * A strict reader of one JSON request object. Every refusal is a 400 naming the offending field in
 * {@code details.field}: unknown fields, wrong types, amounts that are not decimal strings,
 * addresses that fail their checksum. Amounts never pass through a double: a JSON number where an
 * amount belongs is refused, not converted.
 */
public final class JsonBody {

    private final JsonNode node;

    private JsonBody(JsonNode node) {
        this.node = node;
    }

    /** Accepts an object whose fields are all among {@code allowed}; an absent body reads as {}. */
    public static JsonBody of(JsonNode node, Set<String> allowed) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return new JsonBody(null);
        }
        if (!node.isObject()) {
            throw ApiException.badRequest("invalid_body", "body", "The request body must be a JSON object.");
        }
        for (String name : node.propertyNames()) {
            if (!allowed.contains(name)) {
                throw ApiException.badRequest("unknown_field", name, "The field '" + name + "' is not part of this request.");
            }
        }
        return new JsonBody(node);
    }

    /** Whether the field is present at all (present-with-null counts: PATCH uses null to clear). */
    public boolean has(String field) {
        return node != null && node.has(field);
    }

    public boolean isNull(String field) {
        return has(field) && node.get(field).isNull();
    }

    private JsonNode value(String field) {
        if (node == null) {
            return null;
        }
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v;
    }

    public Money requiredAmount(String field) {
        return optionalAmount(field).orElseThrow(
                () -> ApiException.badRequest("invalid_amount", field, "'" + field + "' is required: a decimal string such as \"2.5\"."));
    }

    /** An amount > 0 as a decimal string. */
    public Optional<Money> optionalAmount(String field) {
        JsonNode v = value(field);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isString()) {
            throw ApiException.badRequest("invalid_amount", field,
                    "'" + field + "' must be a JSON string holding a decimal, such as \"2.5\", not a number.");
        }
        Money money;
        try {
            money = Money.parse(v.stringValue());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid_amount", field, "'" + field + "' is not a valid amount: " + e.getMessage() + ".");
        }
        if (money.isZero()) {
            throw ApiException.badRequest("invalid_amount", field, "'" + field + "' must be greater than zero.");
        }
        return Optional.of(money);
    }

    public String requiredAddress(String field) {
        return optionalAddress(field).orElseThrow(
                () -> ApiException.badRequest("invalid_address", field, "'" + field + "' is required: 0x followed by 40 hex digits."));
    }

    public Optional<String> optionalAddress(String field) {
        JsonNode v = value(field);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isString()) {
            throw ApiException.badRequest("invalid_address", field, "'" + field + "' must be a string: 0x followed by 40 hex digits.");
        }
        return Optional.of(address(v.stringValue(), field));
    }

    /** Validates an address and returns its EIP-55 form; mixed case must pass its checksum. */
    public static String address(String text, String field) {
        if (text == null || !text.matches("0x[0-9a-fA-F]{40}")) {
            throw ApiException.badRequest("invalid_address", field, "'" + field + "' must be 0x followed by 40 hex digits.");
        }
        String hex = text.substring(2);
        String checksummed = Keys.toChecksumAddress(text);
        boolean mixedCase = !hex.equals(hex.toLowerCase()) && !hex.equals(hex.toUpperCase());
        if (mixedCase && !checksummed.equals(text)) {
            throw ApiException.badRequest("invalid_address", field, "'" + field + "' fails its EIP-55 checksum.");
        }
        return checksummed;
    }

    public Optional<String> optionalString(String field, int maxLength) {
        JsonNode v = value(field);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isString()) {
            throw ApiException.badRequest("invalid_field", field, "'" + field + "' must be a string.");
        }
        String s = v.stringValue();
        if (s.length() > maxLength) {
            throw ApiException.badRequest("invalid_field", field, "'" + field + "' is longer than " + maxLength + " characters.");
        }
        if (!storable(s)) {
            throw ApiException.badRequest("invalid_field", field, "'" + field + "' must not contain the NUL character.");
        }
        return Optional.of(s);
    }

    public String requiredString(String field, int maxLength) {
        String s = optionalString(field, maxLength).orElseThrow(
                () -> ApiException.badRequest("missing_field", field, "'" + field + "' is required."));
        if (s.isBlank()) {
            throw ApiException.badRequest("invalid_field", field, "'" + field + "' must not be blank.");
        }
        return s;
    }

    /** An integer within [min, max]. */
    public Optional<Long> optionalInteger(String field, long min, long max) {
        JsonNode v = value(field);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiException.badRequest("invalid_field", field, "'" + field + "' must be a whole number.");
        }
        long n = v.longValue();
        if (n < min || n > max) {
            throw ApiException.badRequest("invalid_field", field, "'" + field + "' must be between " + min + " and " + max + ".");
        }
        return Optional.of(n);
    }

    public Optional<Instant> optionalTimestamp(String field) {
        JsonNode v = value(field);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isString()) {
            throw ApiException.badRequest("invalid_field", field, "'" + field + "' must be an RFC 3339 timestamp string.");
        }
        try {
            return Optional.of(java.time.OffsetDateTime.parse(v.stringValue()).toInstant());
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest("invalid_field", field, "'" + field + "' must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z.");
        }
    }

    /** A flat object of string values, at most {@code maxKeys} keys. */
    public Optional<Map<String, String>> optionalFlatStringMap(String field, int maxKeys, int maxKeyLength, int maxValueLength) {
        JsonNode v = value(field);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isObject()) {
            throw ApiException.badRequest("invalid_metadata", field, "'" + field + "' must be a flat JSON object of strings.");
        }
        if (v.size() > maxKeys) {
            throw ApiException.badRequest("invalid_metadata", field, "'" + field + "' has more than " + maxKeys + " keys.");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : v.properties()) {
            if (!e.getValue().isString()) {
                throw ApiException.badRequest("invalid_metadata", field, "Every value of '" + field + "' must be a string.");
            }
            if (e.getKey().length() > maxKeyLength || e.getValue().stringValue().length() > maxValueLength) {
                throw ApiException.badRequest("invalid_metadata", field, "A key or value of '" + field + "' is too long.");
            }
            if (!storable(e.getKey()) || !storable(e.getValue().stringValue())) {
                throw ApiException.badRequest("invalid_metadata", field, "A key or value of '" + field + "' contains the NUL character.");
            }
            out.put(e.getKey(), e.getValue().stringValue());
        }
        return Optional.of(out);
    }

    /**
     * PostgreSQL's text and jsonb cannot hold U+0000: such a string would fail in the database as a
     * 500, so it is refused here as the client's mistake it is.
     */
    private static boolean storable(String s) {
        return s.indexOf('\u0000') < 0;
    }

    /** A list of addresses, at most {@code maxItems}, returned EIP-55 and de-duplicated. */
    public Optional<List<String>> optionalAddressList(String field, int maxItems) {
        JsonNode v = value(field);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isArray()) {
            throw ApiException.badRequest("invalid_address", field, "'" + field + "' must be an array of addresses.");
        }
        if (v.size() > maxItems) {
            throw ApiException.badRequest("invalid_field", field, "'" + field + "' holds more than " + maxItems + " addresses.");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : v.values()) {
            if (!item.isString()) {
                throw ApiException.badRequest("invalid_address", field, "Every item of '" + field + "' must be an address string.");
            }
            String a = address(item.stringValue(), field);
            if (!out.contains(a)) {
                out.add(a);
            }
        }
        return Optional.of(out);
    }
}

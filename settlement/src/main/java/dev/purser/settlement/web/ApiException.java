package dev.purser.settlement.web;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A refusal the API reports to its caller: an HTTP status, a stable snake_case code, one human
 * sentence and details. Thrown only at the HTTP edge (controllers, filters, request parsing);
 * services return refusals as values.
 */
public final class ApiException extends RuntimeException {

    private final int status;
    private final String code;
    private final Map<String, Object> details;

    public ApiException(int status, String code, String message, Map<String, ?> details) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.details = details == null ? Map.of() : new LinkedHashMap<>(details);
    }

    public ApiException(int status, String code, String message) {
        this(status, code, message, Map.of());
    }

    public static ApiException badRequest(String code, String field, String message) {
        return new ApiException(400, code, message, Map.of("field", field));
    }

    public static ApiException notFound(String what) {
        return new ApiException(404, "not_found", "No " + what + " with that id exists.");
    }

    public static ApiException forbidden() {
        return new ApiException(403, "forbidden", "This credential's scope does not allow that.");
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public Map<String, Object> details() {
        return details;
    }
}

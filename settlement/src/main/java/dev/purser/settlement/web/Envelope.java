package dev.purser.settlement.web;

import java.util.Map;

/** The API's envelope: {@code {"ok": true, "data": …}} or {@code {"ok": false, "error": {…}}}. */
public final class Envelope {

    private Envelope() {}

    public record Success<T>(boolean ok, T data) {}

    public record Failure(boolean ok, Error error) {}

    public record Error(String code, String message, Map<String, Object> details) {}

    public static <T> Success<T> of(T data) {
        return new Success<>(true, data);
    }

    public static Failure failure(ApiException e) {
        return new Failure(false, new Error(e.code(), e.getMessage(), e.details()));
    }

    /** A page of a list: {@code {"items": […], "next_cursor": "…" | null}}. */
    public record Page<T>(java.util.List<T> items, String nextCursor) {}
}

package dev.purser.settlement.idempotency;

import dev.purser.settlement.web.ApiException;
import dev.purser.settlement.web.BodyLimitFilter;
import dev.purser.settlement.web.Caller;
import dev.purser.settlement.web.ErrorWriter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.Map;
import java.util.regex.Pattern;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.ContentCachingResponseWrapper;

/**
 * Idempotency for every POST that creates or moves money. The request runs inside one database
 * transaction that also stores its response under (credential, Idempotency-Key), so the stored
 * answer and the effect it reports commit together or not at all: a crash at any instant leaves
 * either both or neither, and a retry then replays or executes, never both. The response reaches
 * the client only after that commit. A transaction-scoped advisory lock on the key answers a
 * concurrent duplicate with 409 at once instead of running it twice.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 30)
class IdempotencyFilter extends OncePerRequestFilter {

    static final String HEADER = "Idempotency-Key";
    static final String REPLAYED_HEADER = "Idempotent-Replayed";
    private static final Pattern MONEY_PATHS = Pattern.compile(
            "^/v1/(authorizations|authorizations/[^/]+/(settle|void)|agents/[^/]+/(fund|withdraw))/?$");
    private static final Pattern KEY = Pattern.compile("[\\x20-\\x7E]{1,255}");

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final ErrorWriter errors;
    private final Clock clock;

    IdempotencyFilter(JdbcClient jdbc, TransactionTemplate tx, ErrorWriter errors, Clock clock) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.errors = errors;
        this.clock = clock;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !"POST".equals(request.getMethod()) || !MONEY_PATHS.matcher(request.getRequestURI()).matches();
    }

    private sealed interface Outcome permits InUse, Reused, Replay, Executed {}

    private record InUse() implements Outcome {}

    private record Reused() implements Outcome {}

    private record Replay(int status, String body) implements Outcome {}

    private record Executed(ContentCachingResponseWrapper response) implements Outcome {}

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (!(request.getAttribute(Caller.ATTRIBUTE) instanceof Caller caller)) {
            chain.doFilter(request, response); // unauthenticated requests were answered already
            return;
        }
        String key = request.getHeader(HEADER);
        if (key == null) {
            errors.write(response, new ApiException(400, "idempotency_key_required",
                    "This request moves money: send an Idempotency-Key header (1-255 printable ASCII characters).",
                    Map.of("field", HEADER)));
            return;
        }
        if (!KEY.matcher(key).matches()) {
            errors.write(response, new ApiException(400, "invalid_idempotency_key",
                    "An Idempotency-Key is 1-255 printable ASCII characters.", Map.of("field", HEADER)));
            return;
        }
        byte[] fingerprint = fingerprint(request);
        Outcome outcome = tx.execute(status -> {
            boolean locked = jdbc.sql("SELECT pg_try_advisory_xact_lock(hashtext(:credential), hashtext(:key))")
                    .param("credential", caller.credentialId())
                    .param("key", key)
                    .query(Boolean.class)
                    .single();
            if (!locked) {
                return new InUse();
            }
            var stored = jdbc.sql("""
                    SELECT request_sha256, response_status, response_body FROM idempotency_keys
                    WHERE credential_id = :credential AND key = :key
                    """)
                    .param("credential", caller.credentialId())
                    .param("key", key)
                    .query((rs, n) -> new Object[] {rs.getBytes(1), rs.getInt(2), rs.getString(3)})
                    .optional();
            if (stored.isPresent()) {
                return MessageDigest.isEqual((byte[]) stored.get()[0], fingerprint)
                        ? new Replay((Integer) stored.get()[1], (String) stored.get()[2])
                        : new Reused();
            }
            ContentCachingResponseWrapper captured = new ContentCachingResponseWrapper(response);
            try {
                chain.doFilter(request, captured);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (ServletException e) {
                throw new IllegalStateException(e);
            }
            int code = captured.getStatus();
            if (code >= 500 || code < 200) {
                // A failure on our side is not an answer to remember: undo everything it did.
                status.setRollbackOnly();
            } else {
                jdbc.sql("""
                        INSERT INTO idempotency_keys (credential_id, key, request_sha256, response_status, response_body, created_at)
                        VALUES (:credential, :key, :fingerprint, :status, :body, :now)
                        """)
                        .param("credential", caller.credentialId())
                        .param("key", key)
                        .param("fingerprint", fingerprint)
                        .param("status", code)
                        .param("body", new String(captured.getContentAsByteArray(), StandardCharsets.UTF_8))
                        .param("now", Timestamp.from(clock.instant()))
                        .update();
            }
            return new Executed(captured);
        });
        switch (outcome) {
            case InUse i -> errors.write(response, new ApiException(409, "idempotency_key_in_use",
                    "A request with this Idempotency-Key is still running; retry when it has finished.",
                    Map.of("field", HEADER)));
            case Reused r -> errors.write(response, new ApiException(422, "idempotency_key_reused",
                    "This Idempotency-Key was used for a different request.", Map.of("field", HEADER)));
            case Replay replay -> {
                response.setStatus(replay.status());
                response.setContentType("application/json");
                response.setHeader(REPLAYED_HEADER, "true");
                response.getOutputStream().write(replay.body().getBytes(StandardCharsets.UTF_8));
            }
            case Executed executed -> executed.response().copyBodyToResponse();
        }
    }

    /** What makes two requests "the same": method, path and the exact body bytes. */
    private static byte[] fingerprint(HttpServletRequest request) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update((request.getMethod() + " " + request.getRequestURI() + "\n").getBytes(StandardCharsets.UTF_8));
            sha.update(BodyLimitFilter.body(request));
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}

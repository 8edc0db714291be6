package dev.purser.settlement.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The last line of the envelope: whatever escapes the API's filters (no database connection free
 * in time, the database down) is answered in the API's envelope, never with a framework error page
 * or a stack trace. A busy or missing database is a 503 with Retry-After, which changed nothing.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 5)
class UnavailableFilter extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(UnavailableFilter.class);

    private final ErrorWriter errors;

    UnavailableFilter(ErrorWriter errors) {
        this.errors = errors;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !request.getRequestURI().startsWith("/v1/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        try {
            chain.doFilter(request, response);
        } catch (Exception e) {
            if (response.isCommitted()) {
                throw e;
            }
            response.resetBuffer();
            Object requestId = request.getAttribute(RequestIdFilter.ATTRIBUTE);
            if (isDatabaseUnavailable(e)) {
                log.warn("No database connection for {} {} (request {}): {}", request.getMethod(), request.getRequestURI(),
                        requestId, rootMessage(e));
                response.setHeader("Retry-After", "1");
                errors.write(response, new ApiException(503, "service_unavailable",
                        "The service is busy; nothing was changed. Retry with the same Idempotency-Key.",
                        Map.of("request_id", String.valueOf(requestId))));
            } else {
                log.error("Unexpected failure serving {} {} (request {})", request.getMethod(), request.getRequestURI(), requestId, e);
                errors.write(response, new ApiException(500, "internal_error",
                        "Something went wrong on our side; nothing was changed unless the request is shown as done when"
                        + " you read it back.", Map.of("request_id", String.valueOf(requestId))));
            }
        }
    }

    private static boolean isDatabaseUnavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CannotCreateTransactionException || t instanceof DataAccessResourceFailureException
                    || t instanceof java.sql.SQLTransientConnectionException) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }
}

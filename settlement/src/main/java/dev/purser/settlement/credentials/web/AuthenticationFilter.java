package dev.purser.settlement.credentials.web;

import dev.purser.settlement.credentials.CredentialService;
import dev.purser.settlement.web.ApiException;
import dev.purser.settlement.web.Caller;
import dev.purser.settlement.web.ErrorWriter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Every /v1 request carries {@code Authorization: Bearer psr_…}. Missing, unknown, revoked or
 * expired: 401 {@code unauthenticated}, with the same answer for each so that nothing is learned
 * about which credentials exist. The credential is looked up on every request, so a revocation
 * takes effect from the very next one.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 20)
class AuthenticationFilter extends OncePerRequestFilter {

    private final CredentialService credentials;
    private final ErrorWriter errors;

    AuthenticationFilter(CredentialService credentials, ErrorWriter errors) {
        this.credentials = credentials;
        this.errors = errors;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !request.getRequestURI().startsWith("/v1/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader("Authorization");
        Optional<Caller> caller = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
                ? credentials.authenticate(header.substring(7).trim())
                : Optional.empty();
        if (caller.isEmpty()) {
            response.setHeader("WWW-Authenticate", "Bearer");
            errors.write(response, new ApiException(401, "unauthenticated",
                    "Send a valid, active credential as 'Authorization: Bearer psr_…'."));
            return;
        }
        request.setAttribute(Caller.ATTRIBUTE, caller.get());
        chain.doFilter(request, response);
    }
}

package dev.purser.settlement.web;

/**
 * The authenticated credential behind a request. Every endpoint states which scope it needs by
 * calling one of the {@code require…} methods first; a mismatch is 403 {@code forbidden}.
 */
public record Caller(String credentialId, Scope scope, String agentId) {

    public Caller {
        if ((scope == Scope.AGENT) != (agentId != null)) {
            throw new IllegalArgumentException("an agent credential has an agent, no other does");
        }
    }

    public void requireAdmin() {
        if (scope != Scope.ADMIN) {
            throw ApiException.forbidden();
        }
    }

    /** Returns the agent this credential belongs to. */
    public String requireAgent() {
        if (scope != Scope.AGENT) {
            throw ApiException.forbidden();
        }
        return agentId;
    }

    /** Audit reads are open to auditors and operators. */
    public void requireAuditReader() {
        if (scope != Scope.AUDIT && scope != Scope.ADMIN) {
            throw ApiException.forbidden();
        }
    }

    public static final String ATTRIBUTE = "purser.caller";
}

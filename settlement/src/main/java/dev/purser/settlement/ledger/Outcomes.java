package dev.purser.settlement.ledger;

import java.util.Map;

/** The results of the ledger's operations: expected refusals are values, not exceptions. */
public final class Outcomes {

    private Outcomes() {}

    public sealed interface PreAuthorizeResult permits Held, Declined {}

    public record Held(Authorization authorization) implements PreAuthorizeResult {}

    /** A decline with the limit that refused it and what remains, as API.md's details. */
    public record Declined(DeclineCode code, String message, Map<String, Object> details) implements PreAuthorizeResult {}

    /** Settle, void, approve and decline of an existing authorization. */
    public sealed interface ChangeResult permits Changed, NotFound, WrongStatus, ExceedsAuthorization {}

    public record Changed(Authorization authorization) implements ChangeResult {}

    public record NotFound() implements ChangeResult {}

    /** The authorization is not in a status that allows the change; {@code status} is where it is. */
    public record WrongStatus(Authorization.Status status) implements ChangeResult {}

    public record ExceedsAuthorization(Authorization authorization) implements ChangeResult {}
}

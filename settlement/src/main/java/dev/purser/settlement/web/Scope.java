package dev.purser.settlement.web;

import java.util.Locale;

/** What a credential may do: agents spend, operators administer, auditors read. */
public enum Scope {
    AGENT,
    ADMIN,
    AUDIT;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Scope fromId(String id) {
        return valueOf(id.toUpperCase(Locale.ROOT));
    }
}

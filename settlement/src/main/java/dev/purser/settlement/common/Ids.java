package dev.purser.settlement.common;

import java.security.SecureRandom;
import java.time.Instant;

/**
 * Opaque ids with a type prefix ({@code agt_}, {@code cred_}, {@code auth_}, {@code stl_},
 * {@code evt_}): 48 bits of milliseconds then 80 random bits, in Crockford base32, so ids sort by
 * creation time and never collide in practice.
 */
public final class Ids {

    private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {}

    public static String newId(String prefix, Instant now) {
        byte[] random = new byte[10];
        RANDOM.nextBytes(random);
        long millis = now.toEpochMilli();
        StringBuilder sb = new StringBuilder(prefix.length() + 27).append(prefix).append('_');
        for (int shift = 45; shift >= 0; shift -= 5) {
            sb.append(ALPHABET[(int) ((millis >>> shift) & 31)]);
        }
        long hi = 0;
        for (int i = 0; i < 5; i++) {
            hi = (hi << 8) | (random[i] & 0xff);
        }
        long lo = 0;
        for (int i = 5; i < 10; i++) {
            lo = (lo << 8) | (random[i] & 0xff);
        }
        for (int shift = 35; shift >= 0; shift -= 5) {
            sb.append(ALPHABET[(int) ((hi >>> shift) & 31)]);
        }
        for (int shift = 35; shift >= 0; shift -= 5) {
            sb.append(ALPHABET[(int) ((lo >>> shift) & 31)]);
        }
        return sb.toString();
    }
}

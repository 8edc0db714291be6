package dev.purser.wallet.eip3009;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An immutable 32-byte value: an EIP-3009 nonce, a digest, a signature's r or s.
 */
public final class Bytes32 {

    private static final Pattern HEX = Pattern.compile("0x[0-9a-fA-F]{64}");
    private static final HexFormat HEX_FORMAT = HexFormat.of();

    private final byte[] bytes;

    private Bytes32(byte[] bytes) {
        this.bytes = bytes;
    }

    /** Copies exactly 32 bytes. */
    public static Bytes32 of(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length != 32) {
            throw new IllegalArgumentException("expected 32 bytes, got " + bytes.length);
        }
        return new Bytes32(bytes.clone());
    }

    /** Parses {@code 0x} followed by 64 hex digits. */
    public static Bytes32 fromHex(String hex) {
        Objects.requireNonNull(hex, "hex");
        if (!HEX.matcher(hex).matches()) {
            throw new IllegalArgumentException("expected 0x and 64 hex digits, got " + abbreviate(hex));
        }
        return new Bytes32(HEX_FORMAT.parseHex(hex, 2, hex.length()));
    }

    /** A copy of the 32 bytes. */
    public byte[] toArray() {
        return bytes.clone();
    }

    /** {@code 0x} and 64 lowercase hex digits. */
    public String toHex() {
        return "0x" + HEX_FORMAT.formatHex(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Bytes32 other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return toHex();
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? "\"" + s + "\"" : "a " + s.length() + "-character string";
    }
}

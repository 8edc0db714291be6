package dev.purser.wallet;

import java.util.Objects;
import java.util.regex.Pattern;
import org.web3j.crypto.Keys;

/** Validation and normalisation of Ethereum addresses, shared by the wallet's records. */
public final class Addresses {

    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");

    private Addresses() {}

    /**
     * Returns the EIP-55 checksummed form of {@code address}, refusing malformed input and a mixed-case
     * address whose checksum is wrong (a typo the checksum exists to catch). All-lowercase and
     * all-uppercase addresses carry no checksum and are accepted.
     *
     * @param what names the field in the error message, e.g. "to"
     * @throws IllegalArgumentException if {@code address} is malformed or fails its checksum
     */
    public static String checksummed(String address, String what) {
        Objects.requireNonNull(address, what);
        if (!ADDRESS.matcher(address).matches()) {
            throw new IllegalArgumentException(what + " must be 0x and 40 hex digits, got \"" + abbreviate(address) + "\"");
        }
        String checksummed = Keys.toChecksumAddress(address);
        String digits = address.substring(2);
        boolean mixedCase = !digits.equals(digits.toLowerCase()) && !digits.equals(digits.toUpperCase());
        if (mixedCase && !checksummed.equals(address)) {
            throw new IllegalArgumentException(what + " " + address + " has a wrong EIP-55 checksum");
        }
        return checksummed;
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "…";
    }
}

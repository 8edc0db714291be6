package dev.purser.contracts.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The independent test vectors of DESIGN.md ("Settlement nonce and proofs"), computed with
 * ethers v6: Merkle leaves, roots and proofs, an EIP-3009 digest with its RFC 6979 signature, and
 * BIP-44 addresses. They ship in this module's test-jar as {@code vectors/purser-vectors.json} so
 * that every module's tests pin their implementation to the same numbers.
 */
public final class PurserVectors {

    /** Where the vectors sit on the test classpath. */
    public static final String RESOURCE = "vectors/purser-vectors.json";

    private PurserVectors() {}

    /** The whole vectors file. */
    public static JsonNode all() {
        try (InputStream in = PurserVectors.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the test classpath");
            }
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /** One named section, e.g. {@code "eip3009_transfer_with_authorization"}. */
    public static JsonNode section(String name) {
        JsonNode section = all().get(name);
        if (section == null) {
            throw new IllegalArgumentException("no section " + name + " in " + RESOURCE);
        }
        return section;
    }
}

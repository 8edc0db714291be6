package dev.purser.wallet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The shared test vectors (computed independently with ethers v6), copied from
 * {@code shared/vectors/purser-vectors.json} into this module's test resources.
 */
public final class Vectors {

    private static final JsonNode ROOT = load();

    private Vectors() {}

    public static JsonNode get(String section) {
        JsonNode node = ROOT.get(section);
        if (node == null) {
            throw new IllegalArgumentException("no vector section " + section);
        }
        return node;
    }

    private static JsonNode load() {
        try (InputStream in = Vectors.class.getResourceAsStream("/vectors/purser-vectors.json")) {
            if (in == null) {
                throw new IllegalStateException("vectors/purser-vectors.json is missing from the test resources");
            }
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

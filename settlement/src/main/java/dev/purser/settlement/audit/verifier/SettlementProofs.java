package dev.purser.settlement.audit.verifier;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.web3j.crypto.Hash;

/**
 * The settlement Merkle tree of DESIGN.md ("Settlement nonce and proofs"), written a second time
 * for the auditor: the export computes proofs with it and the verifier checks them with it.
 *
 * <pre>
 * leaf   = keccak256(abi.encode(uint256 chainId, address token, address from, address to,
 *                               uint256 amount_micros, bytes32 keccak256(utf8(authorization_id))))
 * parent = keccak256(min(a, b) ‖ max(a, b))     (a lone node is promoted unchanged)
 * </pre>
 *
 * <p>Why not reuse the settler's {@code SettlementMerkle}: the settlements module writes to the
 * audit log, so the audit module cannot depend back on it, and an auditor's check is worth more
 * when it does not share code with what it checks. Both are pinned to the same independent
 * vectors, and every proof the verifier accepts must end at the nonce the token recorded on-chain,
 * so the two cannot drift apart unnoticed. Plain Java: no Spring, no database.
 */
public final class SettlementProofs {

    /** The most authorizations one settlement covers (the settler's own bound). */
    public static final int MAX_AUTHORIZATIONS = 10_000;

    /** The deepest proof a tree of {@link #MAX_AUTHORIZATIONS} leaves has: ceil(log2(10,000)). */
    public static final int MAX_PROOF_LENGTH = 14;

    /** Authorization ids are short; a longer one is not Purser's and is refused. */
    public static final int MAX_AUTHORIZATION_ID_LENGTH = 255;

    private static final int WORD = 32;
    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");
    private static final Pattern HASH = Pattern.compile("0x[0-9a-fA-F]{64}");
    private static final HexFormat HEX = HexFormat.of();

    private SettlementProofs() {}

    /**
     * The leaf of one authorization.
     *
     * @throws IllegalArgumentException if the chain id or the amount is not above zero, an address
     *     is not 0x and 40 hex digits, or the authorization id is blank or too long
     */
    public static byte[] leaf(long chainId, String token, String from, String to, long amountMicros, String authorizationId) {
        if (chainId <= 0) {
            throw new IllegalArgumentException("a chain id is above zero, got " + chainId);
        }
        if (amountMicros <= 0) {
            throw new IllegalArgumentException("an authorization's amount is above zero, got " + amountMicros + " micros");
        }
        Objects.requireNonNull(authorizationId, "authorizationId");
        if (authorizationId.isBlank() || authorizationId.length() > MAX_AUTHORIZATION_ID_LENGTH) {
            throw new IllegalArgumentException("an authorization id has 1 to " + MAX_AUTHORIZATION_ID_LENGTH + " characters");
        }
        byte[] words = new byte[6 * WORD];
        uint(words, 0, BigInteger.valueOf(chainId));
        address(words, 1, token, "token");
        address(words, 2, from, "from");
        address(words, 3, to, "to");
        uint(words, 4, BigInteger.valueOf(amountMicros));
        System.arraycopy(Hash.sha3(authorizationId.getBytes(StandardCharsets.UTF_8)), 0, words, 5 * WORD, WORD);
        return Hash.sha3(words);
    }

    /** The root over {@code leaves} in their order: the nonce of the settlement they make up. */
    public static byte[] root(List<byte[]> leaves) {
        List<List<byte[]>> levels = levels(leaves);
        return levels.getLast().getFirst().clone();
    }

    /** The proof of every leaf (sibling hashes from the leaf upward), in leaf order. */
    public static List<List<byte[]>> proofs(List<byte[]> leaves) {
        List<List<byte[]>> levels = levels(leaves);
        List<List<byte[]>> proofs = new ArrayList<>(leaves.size());
        for (int index = 0; index < leaves.size(); index++) {
            List<byte[]> proof = new ArrayList<>();
            int position = index;
            for (int level = 0; level < levels.size() - 1; level++) {
                int sibling = position ^ 1;
                if (sibling < levels.get(level).size()) {
                    proof.add(levels.get(level).get(sibling).clone());
                }
                position /= 2;
            }
            proofs.add(List.copyOf(proof));
        }
        return proofs;
    }

    /** Whether {@code proof} leads from {@code leaf} to {@code root}; a proof that is too long never does. */
    public static boolean verify(byte[] leaf, List<byte[]> proof, byte[] root) {
        requireHash(leaf, "leaf");
        requireHash(root, "root");
        if (proof.size() > MAX_PROOF_LENGTH) {
            return false;
        }
        byte[] node = leaf;
        for (byte[] sibling : proof) {
            requireHash(sibling, "proof element");
            node = parent(node, sibling);
        }
        return Arrays.equals(node, root);
    }

    /** {@code 0x} and lowercase hex. */
    public static String hex(byte[] bytes) {
        return "0x" + HEX.formatHex(bytes);
    }

    /**
     * A 32-byte hash from {@code 0x} and 64 hex digits.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static byte[] hash(String text) {
        if (text == null || !HASH.matcher(text).matches()) {
            throw new IllegalArgumentException("a hash is 0x and 64 hex digits");
        }
        return HEX.parseHex(text, 2, text.length());
    }

    /** Whether {@code text} is 0x and 40 hex digits (either case). */
    public static boolean isAddress(String text) {
        return text != null && ADDRESS.matcher(text).matches();
    }

    static byte[] parent(byte[] a, byte[] b) {
        byte[] pair = new byte[2 * WORD];
        boolean aFirst = Arrays.compareUnsigned(a, b) <= 0;
        System.arraycopy(aFirst ? a : b, 0, pair, 0, WORD);
        System.arraycopy(aFirst ? b : a, 0, pair, WORD, WORD);
        return Hash.sha3(pair);
    }

    private static List<List<byte[]>> levels(List<byte[]> leaves) {
        if (leaves.isEmpty() || leaves.size() > MAX_AUTHORIZATIONS) {
            throw new IllegalArgumentException("a settlement covers 1 to " + MAX_AUTHORIZATIONS + " authorizations, got "
                    + leaves.size());
        }
        List<List<byte[]>> levels = new ArrayList<>();
        List<byte[]> level = List.copyOf(leaves);
        level.forEach(leaf -> requireHash(leaf, "leaf"));
        levels.add(level);
        while (level.size() > 1) {
            List<byte[]> next = new ArrayList<>((level.size() + 1) / 2);
            for (int left = 0; left < level.size(); left += 2) {
                next.add(left + 1 < level.size() ? parent(level.get(left), level.get(left + 1)) : level.get(left));
            }
            levels.add(next);
            level = next;
        }
        return levels;
    }

    private static void uint(byte[] words, int word, BigInteger value) {
        byte[] bytes = value.toByteArray();
        int length = bytes.length > WORD ? WORD : bytes.length;
        System.arraycopy(bytes, bytes.length - length, words, (word + 1) * WORD - length, length);
    }

    private static void address(byte[] words, int word, String address, String what) {
        if (!isAddress(address)) {
            throw new IllegalArgumentException(what + " must be 0x and 40 hex digits");
        }
        byte[] bytes = HEX.parseHex(address, 2, address.length());
        System.arraycopy(bytes, 0, words, (word + 1) * WORD - bytes.length, bytes.length);
    }

    private static void requireHash(byte[] hash, String what) {
        if (hash == null || hash.length != WORD) {
            throw new IllegalArgumentException(what + " must be 32 bytes");
        }
    }
}

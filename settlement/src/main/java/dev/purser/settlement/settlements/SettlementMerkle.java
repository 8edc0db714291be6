package dev.purser.settlement.settlements;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.utils.Numeric;

/**
 * The Merkle tree whose root is the EIP-3009 nonce of a settlement (DESIGN.md, "Settlement nonce
 * and proofs"). A settlement pays one merchant ({@code to}) from one agent wallet ({@code from}) in
 * one token on one chain, and covers one or more settled authorizations:
 *
 * <pre>
 * leaf_i = keccak256(abi.encode(uint256 chainId, address token, address from, address to,
 *                               uint256 amount_micros_i, bytes32 keccak256(utf8(authorization_id_i))))
 * parent = keccak256(min(a, b) ‖ max(a, b))    (unsigned 32-byte big-endian order)
 * </pre>
 *
 * <p>Each level pairs its nodes left to right; when a level has an odd count, its last node is
 * promoted unchanged to the next level. The root of a single authorization is its leaf.
 *
 * <p>The order of the items is part of the nonce: the same authorizations in another order can
 * pair differently and give another root. Whoever forms a settlement must therefore keep the
 * order it built the tree in (the settlement's {@code authorization_ids}) to rebuild the same
 * tree and its proofs later.
 *
 * <p>Limits: at most {@link #MAX_ITEMS} items per tree, each with an amount above zero and a
 * distinct authorization id of at most {@link #MAX_AUTHORIZATION_ID_LENGTH} characters. Plain
 * Java, no Spring: the auditor's verifier can use it as it is.
 */
public final class SettlementMerkle {

    /**
     * The largest number of authorizations one settlement may cover. Far above what one EIP-3009
     * transfer needs to amortise its gas, and small enough that building a tree stays a matter of
     * milliseconds.
     */
    public static final int MAX_ITEMS = 10_000;

    /** Longer ids than this are not Purser ids; refusing them bounds the hashing work per item. */
    public static final int MAX_AUTHORIZATION_ID_LENGTH = 255;

    /**
     * The longest proof a tree of {@link #MAX_ITEMS} leaves can have (ceil(log2(10,000)) = 14).
     * A longer proof cannot belong to a tree built here, so {@link #verify} refuses it.
     */
    public static final int MAX_PROOF_LENGTH = 14;

    /** Hashes, leaves, roots and nonces are all 32 bytes. */
    public static final int HASH_LENGTH = 32;

    private static final int ADDRESS_LENGTH = 20;
    private static final int LEAF_PREIMAGE_WORDS = 6;
    private static final Pattern HASH_HEX = Pattern.compile("0x[0-9a-fA-F]{64}");
    private static final Pattern ADDRESS_HEX = Pattern.compile("0x[0-9a-fA-F]{40}");

    private SettlementMerkle() {}

    /**
     * One settled authorization inside a settlement: its id and the amount the merchant is paid
     * for it, in micro-USDC.
     */
    public record Item(String authorizationId, long amountMicros) {

        public Item {
            Objects.requireNonNull(authorizationId, "authorizationId");
            if (authorizationId.isBlank()) {
                throw new IllegalArgumentException("an authorization id cannot be blank");
            }
            if (authorizationId.length() > MAX_AUTHORIZATION_ID_LENGTH) {
                throw new IllegalArgumentException("an authorization id has at most "
                        + MAX_AUTHORIZATION_ID_LENGTH + " characters, got " + authorizationId.length());
            }
            if (amountMicros <= 0) {
                // A zero leaf would put an authorization in the proof that pays nothing, and a
                // negative one cannot be encoded as uint256 at all.
                throw new IllegalArgumentException("the amount of " + authorizationId
                        + " must be above zero, got " + amountMicros + " micros");
            }
        }
    }

    /**
     * The leaf of one authorization.
     *
     * @param chainId the chain the settlement is paid on, above zero
     * @param token the USDC contract address
     * @param from the agent wallet that pays
     * @param to the merchant that is paid
     * @throws IllegalArgumentException if the chain id is not positive or an address is malformed
     *     or fails its EIP-55 checksum
     */
    public static byte[] leaf(long chainId, String token, String from, String to, Item item) {
        Objects.requireNonNull(item, "item");
        return new Context(chainId, token, from, to).leaf(item);
    }

    /**
     * Builds the tree of a settlement over {@code items}, in their given order.
     *
     * @throws IllegalArgumentException if there are no items or more than {@link #MAX_ITEMS}, if
     *     two items share an authorization id, if the amounts overflow a {@code long} in sum, or if
     *     the chain id or an address is invalid
     */
    public static Tree build(long chainId, String token, String from, String to, List<Item> items) {
        Objects.requireNonNull(items, "items");
        if (items.isEmpty()) {
            throw new IllegalArgumentException("a settlement covers at least one authorization");
        }
        if (items.size() > MAX_ITEMS) {
            throw new IllegalArgumentException("a settlement covers at most " + MAX_ITEMS
                    + " authorizations, got " + items.size());
        }
        Context context = new Context(chainId, token, from, to);
        List<Item> copy = List.copyOf(items);
        Set<String> ids = new HashSet<>();
        long totalMicros = 0;
        byte[][] leaves = new byte[copy.size()][];
        for (int i = 0; i < copy.size(); i++) {
            Item item = copy.get(i);
            if (!ids.add(item.authorizationId())) {
                // The same authorization twice would pay the merchant twice for one spend.
                throw new IllegalArgumentException("authorization " + item.authorizationId()
                        + " appears more than once in one settlement");
            }
            try {
                totalMicros = Math.addExact(totalMicros, item.amountMicros());
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("the amounts of a settlement overflow when summed", e);
            }
            leaves[i] = context.leaf(item);
        }
        return new Tree(copy, totalMicros, levels(leaves));
    }

    /**
     * Whether {@code proof} (sibling hashes from the leaf upward) leads from {@code leaf} to
     * {@code root}. A proof longer than {@link #MAX_PROOF_LENGTH} never verifies.
     *
     * @throws IllegalArgumentException if the leaf, the root or a proof element is not 32 bytes
     */
    public static boolean verify(byte[] leaf, List<byte[]> proof, byte[] root) {
        requireHash(leaf, "leaf");
        requireHash(root, "root");
        Objects.requireNonNull(proof, "proof");
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

    /** {@code bytes} as lowercase hex with a {@code 0x} prefix. */
    public static String toHex(byte[] bytes) {
        return Numeric.toHexString(Objects.requireNonNull(bytes, "bytes"));
    }

    /** Each element as lowercase hex with a {@code 0x} prefix. */
    public static List<String> toHex(List<byte[]> hashes) {
        return hashes.stream().map(SettlementMerkle::toHex).toList();
    }

    /**
     * Parses a 32-byte hash written as {@code 0x} and 64 hex digits (either case), as the API
     * and the vectors write leaves, proofs and nonces.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static byte[] fromHex(String hash) {
        Objects.requireNonNull(hash, "hash");
        if (!HASH_HEX.matcher(hash).matches()) {
            throw new IllegalArgumentException("a hash is 0x and 64 hex digits");
        }
        return Numeric.hexStringToByteArray(hash);
    }

    /** keccak256(min(a, b) ‖ max(a, b)): the parent does not depend on which side a node was. */
    static byte[] parent(byte[] a, byte[] b) {
        byte[] pair = new byte[2 * HASH_LENGTH];
        boolean aFirst = Arrays.compareUnsigned(a, b) <= 0;
        System.arraycopy(aFirst ? a : b, 0, pair, 0, HASH_LENGTH);
        System.arraycopy(aFirst ? b : a, 0, pair, HASH_LENGTH, HASH_LENGTH);
        return Hash.sha3(pair);
    }

    /** Every level of the tree, leaves first, root last. */
    private static byte[][][] levels(byte[][] leaves) {
        List<byte[][]> levels = new ArrayList<>();
        byte[][] level = leaves;
        levels.add(level);
        while (level.length > 1) {
            byte[][] next = new byte[(level.length + 1) / 2][];
            for (int i = 0; i < next.length; i++) {
                int left = 2 * i;
                next[i] = left + 1 < level.length ? parent(level[left], level[left + 1]) : level[left];
            }
            levels.add(next);
            level = next;
        }
        return levels.toArray(byte[][][]::new);
    }

    private static void requireHash(byte[] hash, String what) {
        Objects.requireNonNull(hash, what);
        if (hash.length != HASH_LENGTH) {
            throw new IllegalArgumentException(what + " must be " + HASH_LENGTH + " bytes, got " + hash.length);
        }
    }

    /**
     * The part of every leaf that is the same across one settlement, validated once. Addresses
     * are checked against their EIP-55 checksum: a typo in the merchant must fail here, not pay a
     * stranger.
     */
    private record Context(long chainId, byte[] token, byte[] from, byte[] to) {

        Context(long chainId, String token, String from, String to) {
            this(positiveChainId(chainId), address(token, "token"), address(from, "from"), address(to, "to"));
        }

        /** The leaf: keccak256 over the six 32-byte words of abi.encode, all static types. */
        byte[] leaf(Item item) {
            byte[] idHash = Hash.sha3(item.authorizationId().getBytes(StandardCharsets.UTF_8));
            byte[] words = new byte[LEAF_PREIMAGE_WORDS * HASH_LENGTH];
            putUint256(words, 0, chainId);
            putAddress(words, 1, token);
            putAddress(words, 2, from);
            putAddress(words, 3, to);
            putUint256(words, 4, item.amountMicros());
            System.arraycopy(idHash, 0, words, 5 * HASH_LENGTH, HASH_LENGTH);
            return Hash.sha3(words);
        }

        private static long positiveChainId(long chainId) {
            if (chainId <= 0) {
                throw new IllegalArgumentException("a chain id is above zero, got " + chainId);
            }
            return chainId;
        }

        /**
         * The 20 bytes of an address. All-lowercase and all-uppercase hex carry no checksum and
         * are accepted; mixed case must be the EIP-55 form.
         */
        private static byte[] address(String address, String what) {
            Objects.requireNonNull(address, what);
            if (!ADDRESS_HEX.matcher(address).matches()) {
                throw new IllegalArgumentException(what + " must be 0x and 40 hex digits");
            }
            String digits = address.substring(2);
            boolean mixedCase = !digits.equals(digits.toLowerCase(Locale.ROOT))
                    && !digits.equals(digits.toUpperCase(Locale.ROOT));
            if (mixedCase && !Keys.toChecksumAddress(address).equals(address)) {
                throw new IllegalArgumentException(what + " " + address + " has a wrong EIP-55 checksum");
            }
            return Numeric.hexStringToByteArray(address);
        }

        /** A non-negative long, big-endian, left-padded with zeros to a 32-byte word. */
        private static void putUint256(byte[] words, int word, long value) {
            byte[] bytes = Numeric.toBytesPadded(BigInteger.valueOf(value), HASH_LENGTH);
            System.arraycopy(bytes, 0, words, word * HASH_LENGTH, HASH_LENGTH);
        }

        /** An address is a uint160: its 20 bytes right-aligned in the word. */
        private static void putAddress(byte[] words, int word, byte[] address) {
            System.arraycopy(address, 0, words, word * HASH_LENGTH + HASH_LENGTH - ADDRESS_LENGTH, ADDRESS_LENGTH);
        }
    }

    /**
     * The tree of one settlement: its root (the EIP-3009 nonce), its leaves in item order, and a
     * proof for each leaf. Immutable; every byte array handed out is a copy.
     */
    public static final class Tree {

        private final List<Item> items;
        private final long totalMicros;
        private final byte[][][] levels;

        private Tree(List<Item> items, long totalMicros, byte[][][] levels) {
            this.items = items;
            this.totalMicros = totalMicros;
            this.levels = levels;
        }

        /** The root, which is the settlement's EIP-3009 nonce. */
        public byte[] root() {
            return levels[levels.length - 1][0].clone();
        }

        /** The root as lowercase {@code 0x} hex. */
        public String rootHex() {
            return toHex(levels[levels.length - 1][0]);
        }

        /** The leaves, one per item, in item order. */
        public List<byte[]> leaves() {
            return Arrays.stream(levels[0]).map(byte[]::clone).toList();
        }

        /** The leaf of the item at {@code index}. */
        public byte[] leaf(int index) {
            Objects.checkIndex(index, levels[0].length);
            return levels[0][index].clone();
        }

        /** The leaf of the item at {@code index}, as lowercase {@code 0x} hex. */
        public String leafHex(int index) {
            Objects.checkIndex(index, levels[0].length);
            return toHex(levels[0][index]);
        }

        /**
         * The sibling hashes that lead from the leaf at {@code index} to the root, from the leaf
         * upward. A level where the node was promoted alone contributes nothing, so a single
         * item's proof is empty.
         */
        public List<byte[]> proof(int index) {
            Objects.checkIndex(index, levels[0].length);
            List<byte[]> proof = new ArrayList<>();
            int position = index;
            for (int level = 0; level < levels.length - 1; level++) {
                int sibling = position ^ 1;
                if (sibling < levels[level].length) {
                    proof.add(levels[level][sibling].clone());
                }
                position /= 2;
            }
            return List.copyOf(proof);
        }

        /** The proof of the leaf at {@code index}, each element as lowercase {@code 0x} hex. */
        public List<String> proofHex(int index) {
            return toHex(proof(index));
        }

        /** The items the tree was built over, in order. */
        public List<Item> items() {
            return items;
        }

        /** The number of items (leaves). */
        public int size() {
            return items.size();
        }

        /** Where the authorization sits among the items, if the settlement covers it. */
        public OptionalInt indexOf(String authorizationId) {
            for (int i = 0; i < items.size(); i++) {
                if (items.get(i).authorizationId().equals(authorizationId)) {
                    return OptionalInt.of(i);
                }
            }
            return OptionalInt.empty();
        }

        /** The sum of the items' amounts: the value the EIP-3009 transfer must carry. */
        public long totalMicros() {
            return totalMicros;
        }
    }
}

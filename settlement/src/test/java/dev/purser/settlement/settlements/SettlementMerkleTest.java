package dev.purser.settlement.settlements;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.purser.contracts.testing.PurserVectors;
import dev.purser.settlement.settlements.SettlementMerkle.Item;
import dev.purser.settlement.settlements.SettlementMerkle.Tree;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.utils.Numeric;

class SettlementMerkleTest {

    private static final long CHAIN_ID = 1337;
    private static final String TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    private static final String FROM = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    private static final String TO = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

    /** The vectors computed with ethers v6 (DESIGN.md, "Settlement nonce and proofs"). */
    @Nested
    class IndependentVectors {

        static Stream<Arguments> settlementMerkleVectors() {
            JsonNode cases = PurserVectors.section("settlement_merkle");
            return StreamSupport.stream(cases.spliterator(), false)
                    .map(vector -> Arguments.of(vector.get("name").asText(), vector));
        }

        @Test
        void coverOneTwoAndFiveAuthorizations() {
            // Guards the parameterized tests below against passing on an empty or shrunken file.
            assertThat(settlementMerkleVectors().map(a -> ((JsonNode) a.get()[1]).get("authorizations").size()))
                    .containsExactly(1, 2, 5);
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("settlementMerkleVectors")
        void leafOfEachAuthorizationMatchesTheVector(String name, JsonNode vector) {
            for (JsonNode authorization : vector.get("authorizations")) {
                byte[] leaf = SettlementMerkle.leaf(vector.get("chain_id").asLong(), vector.get("token").asText(),
                        vector.get("from").asText(), vector.get("to").asText(), item(authorization));
                assertThat(SettlementMerkle.toHex(leaf))
                        .as("leaf of %s in %s", authorization.get("id").asText(), name)
                        .isEqualTo(authorization.get("leaf").asText());
            }
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("settlementMerkleVectors")
        void treeHasTheVectorsLeavesProofsNonceAndTotal(String name, JsonNode vector) {
            Tree tree = tree(vector);
            JsonNode authorizations = vector.get("authorizations");

            assertThat(tree.rootHex()).as("nonce of %s", name).isEqualTo(vector.get("nonce").asText());
            assertThat(SettlementMerkle.toHex(tree.root())).isEqualTo(vector.get("nonce").asText());
            assertThat(tree.totalMicros()).isEqualTo(vector.get("total_micros").asLong());
            assertThat(SettlementMerkle.toHex(tree.leaves()))
                    .containsExactlyElementsOf(texts(authorizations, "leaf"));
            for (int i = 0; i < authorizations.size(); i++) {
                JsonNode authorization = authorizations.get(i);
                assertThat(tree.leafHex(i)).isEqualTo(authorization.get("leaf").asText());
                assertThat(tree.proofHex(i))
                        .as("proof of %s in %s", authorization.get("id").asText(), name)
                        .containsExactlyElementsOf(texts(authorization.get("proof"), null));
            }
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("settlementMerkleVectors")
        void vectorProofsVerifyAgainstTheVectorNonce(String name, JsonNode vector) {
            byte[] nonce = SettlementMerkle.fromHex(vector.get("nonce").asText());
            for (JsonNode authorization : vector.get("authorizations")) {
                byte[] leaf = SettlementMerkle.fromHex(authorization.get("leaf").asText());
                List<byte[]> proof = texts(authorization.get("proof"), null).stream()
                        .map(SettlementMerkle::fromHex).toList();
                assertThat(SettlementMerkle.verify(leaf, proof, nonce))
                        .as("proof of %s in %s", authorization.get("id").asText(), name)
                        .isTrue();
            }
        }

        @Test
        void singleAuthorizationNonceIsItsLeafAndItsProofIsEmpty() {
            JsonNode single = PurserVectors.section("settlement_merkle").get(0);
            Tree tree = tree(single);

            assertThat(tree.root()).isEqualTo(tree.leaf(0));
            assertThat(tree.proof(0)).isEmpty();
            assertThat(SettlementMerkle.verify(tree.leaf(0), List.of(), tree.root())).isTrue();
        }

        @Test
        void loneFifthLeafIsPromotedAndNeedsOneSibling() {
            JsonNode five = PurserVectors.section("settlement_merkle").get(2);
            Tree tree = tree(five);

            assertThat(tree.proof(4)).hasSize(1);
            assertThat(tree.proof(0)).hasSize(3);
        }

        private static Tree tree(JsonNode vector) {
            List<Item> items = new ArrayList<>();
            vector.get("authorizations").forEach(a -> items.add(item(a)));
            return SettlementMerkle.build(vector.get("chain_id").asLong(), vector.get("token").asText(),
                    vector.get("from").asText(), vector.get("to").asText(), items);
        }

        private static Item item(JsonNode authorization) {
            return new Item(authorization.get("id").asText(), authorization.get("amount_micros").asLong());
        }

        private static List<String> texts(JsonNode array, String field) {
            List<String> texts = new ArrayList<>();
            array.forEach(node -> texts.add(field == null ? node.asText() : node.get(field).asText()));
            return texts;
        }
    }

    @Test
    void leafEqualsKeccakOfWeb3jAbiEncoding() {
        Item item = new Item("auth_01HZX3K9Q2", 2_100_000);
        List<Type> parameters = List.of(
                new Uint256(CHAIN_ID), new Address(TOKEN), new Address(FROM), new Address(TO),
                new Uint256(item.amountMicros()),
                new Bytes32(Hash.sha3(item.authorizationId().getBytes(StandardCharsets.UTF_8))));
        byte[] expected = Hash.sha3(Numeric.hexStringToByteArray(FunctionEncoder.encodeConstructor(parameters)));

        assertThat(SettlementMerkle.leaf(CHAIN_ID, TOKEN, FROM, TO, item)).isEqualTo(expected);
    }

    @Test
    void leafHashesTheUtf8BytesOfTheAuthorizationId() {
        Item item = new Item("auth_ü€", 5);
        List<Type> parameters = List.of(
                new Uint256(CHAIN_ID), new Address(TOKEN), new Address(FROM), new Address(TO), new Uint256(5),
                new Bytes32(Hash.sha3("auth_ü€".getBytes(StandardCharsets.UTF_8))));
        byte[] expected = Hash.sha3(Numeric.hexStringToByteArray(FunctionEncoder.encodeConstructor(parameters)));

        assertThat(SettlementMerkle.leaf(CHAIN_ID, TOKEN, FROM, TO, item)).isEqualTo(expected);
    }

    @Test
    void leafChangesWithEveryField() {
        Item item = new Item("auth_a", 1_000_000);
        String other = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
        byte[] leaf = SettlementMerkle.leaf(CHAIN_ID, TOKEN, FROM, TO, item);

        List<byte[]> variants = List.of(
                SettlementMerkle.leaf(CHAIN_ID + 1, TOKEN, FROM, TO, item),
                SettlementMerkle.leaf(CHAIN_ID, other, FROM, TO, item),
                SettlementMerkle.leaf(CHAIN_ID, TOKEN, other, TO, item),
                SettlementMerkle.leaf(CHAIN_ID, TOKEN, FROM, other, item),
                SettlementMerkle.leaf(CHAIN_ID, TOKEN, FROM, TO, new Item("auth_a", 1_000_001)),
                SettlementMerkle.leaf(CHAIN_ID, TOKEN, FROM, TO, new Item("auth_b", 1_000_000)),
                // from and to swapped: the direction of a payment is part of the leaf.
                SettlementMerkle.leaf(CHAIN_ID, TOKEN, TO, FROM, item));
        for (byte[] variant : variants) {
            assertThat(variant).isNotEqualTo(leaf);
        }
    }

    @Test
    void lowercaseAndChecksummedAddressesGiveTheSameLeaf() {
        Item item = new Item("auth_a", 1);

        assertThat(SettlementMerkle.leaf(CHAIN_ID, TOKEN.toLowerCase(), FROM.toLowerCase(), "0x" + TO.substring(2).toUpperCase(), item))
                .isEqualTo(SettlementMerkle.leaf(CHAIN_ID, TOKEN, FROM, TO, item));
    }

    @Test
    void everyProofOfAnEightItemTreeVerifies() {
        Tree tree = SettlementMerkle.build(CHAIN_ID, TOKEN, FROM, TO, items(8));

        for (int i = 0; i < tree.size(); i++) {
            assertThat(SettlementMerkle.verify(tree.leaf(i), tree.proof(i), tree.root())).as("leaf %d", i).isTrue();
            assertThat(tree.proof(i)).hasSize(3);
        }
    }

    @Test
    void tamperedLeafFailsVerification() {
        Tree tree = SettlementMerkle.build(CHAIN_ID, TOKEN, FROM, TO, items(5));

        for (int i = 0; i < tree.size(); i++) {
            for (int bit = 0; bit < 256; bit += 37) {
                assertThat(SettlementMerkle.verify(flipBit(tree.leaf(i), bit), tree.proof(i), tree.root()))
                        .as("leaf %d with bit %d flipped", i, bit).isFalse();
            }
            // Another leaf of the same tree does not verify with this leaf's proof.
            int other = (i + 1) % tree.size();
            assertThat(SettlementMerkle.verify(tree.leaf(other), tree.proof(i), tree.root())).isFalse();
        }
    }

    @Test
    void tamperedAmountFailsVerification() {
        List<Item> items = items(5);
        Tree tree = SettlementMerkle.build(CHAIN_ID, TOKEN, FROM, TO, items);

        for (int i = 0; i < items.size(); i++) {
            Item original = items.get(i);
            for (long delta : new long[] {1, -1, 1_000_000}) {
                if (original.amountMicros() + delta <= 0) {
                    continue;
                }
                byte[] forged = SettlementMerkle.leaf(CHAIN_ID, TOKEN, FROM, TO,
                        new Item(original.authorizationId(), original.amountMicros() + delta));
                assertThat(SettlementMerkle.verify(forged, tree.proof(i), tree.root()))
                        .as("%s with amount changed by %d", original.authorizationId(), delta).isFalse();
            }
        }
    }

    @Test
    void tamperedProofFailsVerification() {
        Tree tree = SettlementMerkle.build(CHAIN_ID, TOKEN, FROM, TO, items(7));

        for (int i = 0; i < tree.size(); i++) {
            List<byte[]> proof = tree.proof(i);
            for (int element = 0; element < proof.size(); element++) {
                List<byte[]> tampered = new ArrayList<>(proof);
                tampered.set(element, flipBit(proof.get(element), 255));
                assertThat(SettlementMerkle.verify(tree.leaf(i), tampered, tree.root()))
                        .as("leaf %d, proof element %d flipped", i, element).isFalse();
            }
            List<byte[]> truncated = proof.subList(0, proof.size() - 1);
            assertThat(SettlementMerkle.verify(tree.leaf(i), truncated, tree.root())).isFalse();
            List<byte[]> extended = new ArrayList<>(proof);
            extended.add(tree.leaf(i));
            assertThat(SettlementMerkle.verify(tree.leaf(i), extended, tree.root())).isFalse();
            assertThat(SettlementMerkle.verify(tree.leaf(i), proof, flipBit(tree.root(), 0))).isFalse();
        }
    }

    @Test
    void proofLongerThanAnyTreeCanHaveNeverVerifies() {
        byte[] leaf = Hash.sha3(new byte[] {1});
        List<byte[]> proof = new ArrayList<>();
        byte[] root = leaf;
        for (int i = 0; i <= SettlementMerkle.MAX_PROOF_LENGTH; i++) {
            byte[] sibling = Hash.sha3(new byte[] {2, (byte) i});
            proof.add(sibling);
            root = SettlementMerkle.parent(root, sibling);
        }

        // The proof does lead to the root; it is refused only for its length.
        assertThat(SettlementMerkle.verify(leaf, proof, root)).isFalse();
        assertThat(SettlementMerkle.verify(SettlementMerkle.parent(leaf, proof.getFirst()),
                proof.subList(1, proof.size()), root)).isTrue();
    }

    @Test
    void parentDoesNotDependOnTheOrderOfSiblings() {
        byte[] a = Hash.sha3(new byte[] {1});
        byte[] b = Hash.sha3(new byte[] {2});
        byte[] low = Arrays.compareUnsigned(a, b) < 0 ? a : b;
        byte[] high = low == a ? b : a;
        byte[] concatenated = new byte[64];
        System.arraycopy(low, 0, concatenated, 0, 32);
        System.arraycopy(high, 0, concatenated, 32, 32);

        assertThat(SettlementMerkle.parent(a, b)).isEqualTo(SettlementMerkle.parent(b, a));
        assertThat(SettlementMerkle.parent(a, b)).isEqualTo(Hash.sha3(concatenated));
    }

    @Test
    void siblingsComparedAsUnsignedBytes() {
        // 0x80… is above 0x7f… unsigned but below it as signed Java bytes.
        byte[] high = new byte[32];
        high[0] = (byte) 0x80;
        byte[] low = new byte[32];
        low[0] = 0x7f;
        byte[] concatenated = new byte[64];
        System.arraycopy(low, 0, concatenated, 0, 32);
        System.arraycopy(high, 0, concatenated, 32, 32);

        assertThat(SettlementMerkle.parent(high, low)).isEqualTo(Hash.sha3(concatenated));
    }

    @Test
    void swappingTwoSiblingItemsKeepsTheRootButMovingAnItemAcrossPairsChangesIt() {
        List<Item> items = items(4);
        Tree tree = SettlementMerkle.build(CHAIN_ID, TOKEN, FROM, TO, items);

        List<Item> siblingsSwapped = List.of(items.get(1), items.get(0), items.get(3), items.get(2));
        assertThat(SettlementMerkle.build(CHAIN_ID, TOKEN, FROM, TO, siblingsSwapped).root()).isEqualTo(tree.root());

        List<Item> pairsSwapped = List.of(items.get(2), items.get(3), items.get(0), items.get(1));
        assertThat(SettlementMerkle.build(CHAIN_ID, TOKEN, FROM, TO, pairsSwapped).root()).isEqualTo(tree.root());

        List<Item> acrossPairs = List.of(items.get(0), items.get(2), items.get(1), items.get(3));
        assertThat(SettlementMerkle.build(CHAIN_ID, TOKEN, FROM, TO, acrossPairs).root()).isNotEqualTo(tree.root());
    }

    @Test
    void randomTreesOfOneToTwoHundredItemsVerifyEveryProof() {
        long seed = Long.getLong("purser.test.seed", new Random().nextLong());
        Random random = new Random(seed);
        for (int size = 1; size <= 200; size++) {
            long chainId = 1 + random.nextInt(100_000);
            String token = randomAddress(random);
            String from = randomAddress(random);
            String to = randomAddress(random);
            List<Item> items = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                String id = "auth_" + Long.toUnsignedString(random.nextLong(), 32) + "_" + i;
                items.add(new Item(id, 1 + (random.nextLong() & 0xFF_FFFF_FFFFL)));
            }
            Tree tree = SettlementMerkle.build(chainId, token, from, to, items);

            String replay = "seed " + seed + " (replay with -Dpurser.test.seed=" + seed + "), size " + size;
            assertThat(tree.root()).as(replay).isEqualTo(referenceRoot(tree.leaves()));
            assertThat(tree.totalMicros()).as(replay)
                    .isEqualTo(items.stream().mapToLong(Item::amountMicros).sum());
            int depth = 32 - Integer.numberOfLeadingZeros(size - 1);
            for (int i = 0; i < size; i++) {
                assertThat(tree.leaf(i)).as(replay).isEqualTo(SettlementMerkle.leaf(chainId, token, from, to, items.get(i)));
                List<byte[]> proof = tree.proof(i);
                assertThat(proof.size()).as(replay + ", leaf " + i).isLessThanOrEqualTo(depth);
                assertThat(SettlementMerkle.verify(tree.leaf(i), proof, tree.root())).as(replay + ", leaf " + i).isTrue();
            }
        }
    }

    @Test
    void acceptsTenThousandItemsAndRefusesOneMore() {
        Tree tree = SettlementMerkle.build(CHAIN_ID, TOKEN, FROM, TO, items(SettlementMerkle.MAX_ITEMS));
        assertThat(tree.size()).isEqualTo(10_000);
        for (int i : new int[] {0, 4_999, 9_998, 9_999}) {
            assertThat(tree.proof(i)).hasSizeLessThanOrEqualTo(SettlementMerkle.MAX_PROOF_LENGTH);
            assertThat(SettlementMerkle.verify(tree.leaf(i), tree.proof(i), tree.root())).isTrue();
        }

        assertThatThrownBy(() -> SettlementMerkle.build(CHAIN_ID, TOKEN, FROM, TO, items(SettlementMerkle.MAX_ITEMS + 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most 10000");
    }

    @Test
    void refusesAnEmptySettlement() {
        assertThatThrownBy(() -> SettlementMerkle.build(CHAIN_ID, TOKEN, FROM, TO, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesTheSameAuthorizationTwice() {
        List<Item> items = List.of(new Item("auth_a", 1), new Item("auth_b", 2), new Item("auth_a", 1));

        assertThatThrownBy(() -> SettlementMerkle.build(CHAIN_ID, TOKEN, FROM, TO, items))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("auth_a");
    }

    @Test
    void refusesAmountsThatAreNotAboveZero() {
        assertThatThrownBy(() -> new Item("auth_a", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Item("auth_a", -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesBlankOrOverlongAuthorizationIds() {
        assertThatThrownBy(() -> new Item(" ", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Item(null, 1)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new Item("a".repeat(SettlementMerkle.MAX_AUTHORIZATION_ID_LENGTH + 1), 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesAmountsWhoseSumOverflows() {
        List<Item> items = List.of(new Item("auth_a", Long.MAX_VALUE), new Item("auth_b", 1));

        assertThatThrownBy(() -> SettlementMerkle.build(CHAIN_ID, TOKEN, FROM, TO, items))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesInvalidAddressesAndChainIds() {
        Item item = new Item("auth_a", 1);
        String badChecksum = "0x70997970c51812dc3A010C7d01b50e0d17dc79C8";

        assertThatThrownBy(() -> SettlementMerkle.leaf(CHAIN_ID, TOKEN, badChecksum, TO, item))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("from");
        assertThatThrownBy(() -> SettlementMerkle.leaf(CHAIN_ID, TOKEN, FROM, "0x1234", item))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("to");
        assertThatThrownBy(() -> SettlementMerkle.leaf(CHAIN_ID, "5FbDB2315678afecb367f032d93F642f64180aa3", FROM, TO, item))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token");
        assertThatThrownBy(() -> SettlementMerkle.build(CHAIN_ID, TOKEN, FROM, badChecksum, List.of(item)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SettlementMerkle.leaf(0, TOKEN, FROM, TO, item))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SettlementMerkle.leaf(-8453, TOKEN, FROM, TO, item))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void verifyRefusesHashesThatAreNot32Bytes() {
        byte[] hash = new byte[32];

        assertThatThrownBy(() -> SettlementMerkle.verify(new byte[31], List.of(), hash))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SettlementMerkle.verify(hash, List.of(new byte[33]), hash))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SettlementMerkle.verify(hash, List.of(), new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void hexIsLowercaseWithPrefixAndRoundTrips() {
        Tree tree = SettlementMerkle.build(CHAIN_ID, TOKEN, FROM, TO, items(3));
        String rootHex = tree.rootHex();

        assertThat(rootHex).matches("0x[0-9a-f]{64}");
        assertThat(SettlementMerkle.fromHex(rootHex.toUpperCase().replace("0X", "0x"))).isEqualTo(tree.root());
        assertThat(SettlementMerkle.toHex(new byte[] {0, (byte) 0xAB})).isEqualTo("0x00ab");
        assertThat(tree.proofHex(0)).allSatisfy(h -> assertThat(h).matches("0x[0-9a-f]{64}"));
        assertThatThrownBy(() -> SettlementMerkle.fromHex("0x1234")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SettlementMerkle.fromHex(rootHex.substring(2))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void handsOutCopiesSoCallersCannotCorruptTheTree() {
        Tree tree = SettlementMerkle.build(CHAIN_ID, TOKEN, FROM, TO, items(3));
        String root = tree.rootHex();
        String leaf = tree.leafHex(0);
        String proof = tree.proofHex(0).getFirst();

        tree.root()[0] ^= 1;
        tree.leaves().getFirst()[0] ^= 1;
        tree.leaf(0)[0] ^= 1;
        tree.proof(0).getFirst()[0] ^= 1;

        assertThat(tree.rootHex()).isEqualTo(root);
        assertThat(tree.leafHex(0)).isEqualTo(leaf);
        assertThat(tree.proofHex(0).getFirst()).isEqualTo(proof);
    }

    @Test
    void findsTheIndexOfAnAuthorization() {
        Tree tree = SettlementMerkle.build(CHAIN_ID, TOKEN, FROM, TO, items(3));

        assertThat(tree.indexOf("auth_2")).hasValue(2);
        assertThat(tree.indexOf("auth_9")).isEmpty();
        assertThatThrownBy(() -> tree.proof(3)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> tree.proof(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    /**
     * The root computed another way: split at the largest power of two below the count
     * (RFC 6962's shape), which is what pairing left to right with promotion of the lone node
     * produces, level by level.
     */
    private static byte[] referenceRoot(List<byte[]> leaves) {
        if (leaves.size() == 1) {
            return leaves.getFirst();
        }
        int split = Integer.highestOneBit(leaves.size() - 1);
        return SettlementMerkle.parent(referenceRoot(leaves.subList(0, split)),
                referenceRoot(leaves.subList(split, leaves.size())));
    }

    private static List<Item> items(int count) {
        return IntStream.range(0, count).mapToObj(i -> new Item("auth_" + i, 10_000L * (i + 1))).toList();
    }

    private static String randomAddress(Random random) {
        byte[] bytes = new byte[20];
        random.nextBytes(bytes);
        return Keys.toChecksumAddress(HexFormat.of().formatHex(bytes));
    }

    private static byte[] flipBit(byte[] hash, int bit) {
        byte[] copy = hash.clone();
        copy[bit / 8] ^= (byte) (1 << (bit % 8));
        return copy;
    }
}

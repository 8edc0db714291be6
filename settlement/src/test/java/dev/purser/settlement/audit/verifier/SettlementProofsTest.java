package dev.purser.settlement.audit.verifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.purser.contracts.testing.PurserVectors;
import dev.purser.settlement.settlements.SettlementMerkle;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The auditor's own Merkle code agrees with the independent vectors (ethers v6) and with the
 * settler's {@link SettlementMerkle}, leaf for leaf and proof for proof.
 */
class SettlementProofsTest {

    @Test
    void leavesRootsAndProofsMatchTheIndependentVectors() {
        JsonNode cases = PurserVectors.section("settlement_merkle");
        int checked = 0;
        for (JsonNode v : cases) {
            List<byte[]> leaves = new ArrayList<>();
            for (JsonNode a : v.get("authorizations")) {
                byte[] leaf = SettlementProofs.leaf(v.get("chain_id").asLong(), v.get("token").asText(), v.get("from").asText(),
                        v.get("to").asText(), a.get("amount_micros").asLong(), a.get("id").asText());
                assertThat(SettlementProofs.hex(leaf)).as("leaf of %s", a.get("id")).isEqualTo(a.get("leaf").asText());
                leaves.add(leaf);
            }
            byte[] root = SettlementProofs.root(leaves);
            assertThat(SettlementProofs.hex(root)).as(v.get("name").asText()).isEqualTo(v.get("nonce").asText());
            List<List<byte[]>> proofs = SettlementProofs.proofs(leaves);
            for (int i = 0; i < leaves.size(); i++) {
                List<String> expected = new ArrayList<>();
                v.get("authorizations").get(i).get("proof").forEach(p -> expected.add(p.asText()));
                assertThat(proofs.get(i).stream().map(SettlementProofs::hex).toList()).isEqualTo(expected);
                assertThat(SettlementProofs.verify(leaves.get(i), proofs.get(i), root)).isTrue();
                checked++;
            }
        }
        assertThat(checked).as("authorizations in the vectors").isEqualTo(1 + 2 + 5);
    }

    @Test
    void agreesWithTheSettlersTreeOnRandomSettlements() {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        String token = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
        String from = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
        String to = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
        for (int round = 0; round < 50; round++) {
            int n = 1 + random.nextInt(40);
            List<SettlementMerkle.Item> items = new ArrayList<>();
            List<byte[]> leaves = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                SettlementMerkle.Item item = new SettlementMerkle.Item("auth_" + round + "x" + i, 1 + random.nextInt(50_000_000));
                items.add(item);
                leaves.add(SettlementProofs.leaf(8453, token, from, to, item.amountMicros(), item.authorizationId()));
            }
            SettlementMerkle.Tree tree = SettlementMerkle.build(8453, token, from, to, items);
            List<List<byte[]>> proofs = SettlementProofs.proofs(leaves);
            assertThat(SettlementProofs.hex(SettlementProofs.root(leaves))).as("seed %d round %d", seed, round)
                    .isEqualTo(tree.rootHex());
            for (int i = 0; i < n; i++) {
                assertThat(SettlementProofs.hex(leaves.get(i))).as("seed %d", seed).isEqualTo(tree.leafHex(i));
                assertThat(proofs.get(i).stream().map(SettlementProofs::hex).toList()).as("seed %d", seed)
                        .isEqualTo(tree.proofHex(i));
            }
        }
    }

    @Test
    void aProofDoesNotVerifyForAnotherAmountOrWithAnAlteredSibling() {
        String token = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
        String from = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
        String to = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
        List<byte[]> leaves = List.of(SettlementProofs.leaf(1, token, from, to, 10, "auth_a"),
                SettlementProofs.leaf(1, token, from, to, 20, "auth_b"), SettlementProofs.leaf(1, token, from, to, 30, "auth_c"));
        byte[] root = SettlementProofs.root(leaves);
        List<byte[]> proof = SettlementProofs.proofs(leaves).get(1);
        assertThat(SettlementProofs.verify(leaves.get(1), proof, root)).isTrue();
        assertThat(SettlementProofs.verify(SettlementProofs.leaf(1, token, from, to, 21, "auth_b"), proof, root)).isFalse();
        byte[] altered = proof.getFirst().clone();
        altered[31] ^= 1;
        assertThat(SettlementProofs.verify(leaves.get(1), List.of(altered, proof.get(1)), root)).isFalse();
        assertThatThrownBy(() -> SettlementProofs.leaf(1, token, from, to, 0, "auth_a")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SettlementProofs.root(List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}

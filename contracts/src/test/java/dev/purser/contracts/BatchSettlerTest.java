package dev.purser.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.purser.contracts.testing.DeployedContracts;
import dev.purser.contracts.testing.Eip3009TestSigning;
import dev.purser.contracts.testing.Eip3009TestSigning.Authorization;
import dev.purser.contracts.testing.Eip3009TestSigning.Domain;
import dev.purser.contracts.testing.Eip3009TestSigning.SignedAuthorization;
import dev.purser.contracts.testing.GanacheExtension;
import dev.purser.contracts.testing.GanacheNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/**
 * BatchSettler pays many EIP-3009 authorizations in one transaction, and a bad item costs only
 * itself: the others are paid, and the receipt names every item's outcome by index and nonce.
 */
@ExtendWith(GanacheExtension.class)
class BatchSettlerTest {

    private static final int BATCH_SIZE = 50;
    private static final int PAYERS = 5;
    private static final long PAYER_FUNDS_MICROS = 100_000_000;

    private static final int USED_NONCE_INDEX = 7;
    private static final int EXPIRED_INDEX = 23;
    private static final int UNFUNDED_PAYER_INDEX = 41;

    private final GanacheNode node;
    private final DeployedContracts contracts;
    private final Domain domain;
    private final BatchSettler relayerSettler;
    private final TestUSDC relayerToken;

    BatchSettlerTest(GanacheNode node, DeployedContracts contracts) {
        this.node = node;
        this.contracts = contracts;
        this.domain = Domain.of(contracts);
        Credentials relayer = node.fundedAccount();
        this.relayerSettler = contracts.batchSettlerAs(relayer);
        this.relayerToken = contracts.tokenAs(relayer);
    }

    @Test
    void paysTheGoodItemsOfABatchAndReportsEachBadOneWithItsIndexNonceAndReason() throws Exception {
        List<Credentials> payers = IntStream.range(0, PAYERS).mapToObj(i -> GanacheNode.newAccount()).toList();
        payers.forEach(p -> contracts.mint(p.getAddress(), PAYER_FUNDS_MICROS));
        Credentials unfundedPayer = GanacheNode.newAccount();
        List<String> merchants = List.of(GanacheNode.newAccount().getAddress(), GanacheNode.newAccount().getAddress());
        long now = node.latestBlockTimestamp();

        List<SignedAuthorization> items = new ArrayList<>();
        for (int i = 0; i < BATCH_SIZE; i++) {
            Credentials payer = i == UNFUNDED_PAYER_INDEX ? unfundedPayer : payers.get(i % PAYERS);
            // Distinct values, so that an item paid to the wrong party or twice shows in the balances.
            long valueMicros = 1_000_000 + i * 1_000L;
            long validBefore = i == EXPIRED_INDEX ? now : now + 3_600;
            Authorization a = Authorization.of(payer.getAddress(), merchants.get(i % 2), valueMicros, validBefore);
            items.add(Eip3009TestSigning.signTransfer(domain, a, payer));
        }
        // The used item was already paid on its own, as after a lost receipt and a resubmission.
        items.get(USED_NONCE_INDEX).transferWithAuthorization(relayerToken).send();
        Map<String, Long> before = balancesOf(payers, unfundedPayer, merchants);

        TransactionReceipt receipt = relayerSettler.settle(tokenAddress(),
                items.stream().map(SignedAuthorization::toBatchItem).toList()).send();

        assertThat(receipt.isStatusOK()).isTrue();
        List<Integer> bad = List.of(USED_NONCE_INDEX, EXPIRED_INDEX, UNFUNDED_PAYER_INDEX);
        List<Integer> good = IntStream.range(0, BATCH_SIZE).filter(i -> !bad.contains(i)).boxed().toList();

        List<BatchSettler.ItemSettledEventResponse> settled = BatchSettler.getItemSettledEvents(receipt);
        assertThat(settled).hasSize(47);
        assertThat(settled).extracting(e -> e.index.intValueExact()).containsExactlyElementsOf(good);
        assertThat(settled).allSatisfy(e -> {
            Authorization a = items.get(e.index.intValueExact()).authorization();
            assertThat(e.log.getAddress()).isEqualToIgnoringCase(relayerSettler.getContractAddress());
            assertThat(e.token).isEqualToIgnoringCase(tokenAddress());
            assertThat(e.from).isEqualToIgnoringCase(a.from());
            assertThat(e.to).isEqualToIgnoringCase(a.to());
            assertThat(e.value).isEqualTo(a.value());
            assertThat(e.nonce).isEqualTo(a.nonce());
        });
        assertThat(BatchSettler.getItemFailedEvents(receipt))
                .extracting(e -> e.index.intValueExact(), e -> e.from.toLowerCase(Locale.ROOT),
                        e -> Numeric.toHexString(e.nonce), e -> e.reason)
                .containsExactly(
                        failure(items, USED_NONCE_INDEX, "FiatTokenV2: authorization is used or canceled"),
                        failure(items, EXPIRED_INDEX, "FiatTokenV2: authorization is expired"),
                        failure(items, UNFUNDED_PAYER_INDEX, "ERC20: transfer amount exceeds balance"));
        assertThat(TestUSDC.getAuthorizationUsedEvents(receipt)).hasSize(47);
        assertThat(TestUSDC.getTransferEvents(receipt)).hasSize(47);

        Map<String, Long> expected = new HashMap<>(before);
        for (int i : good) {
            Authorization a = items.get(i).authorization();
            expected.merge(key(a.from()), -a.value().longValueExact(), Long::sum);
            expected.merge(key(a.to()), a.value().longValueExact(), Long::sum);
        }
        assertThat(balancesOf(payers, unfundedPayer, merchants)).isEqualTo(expected);
        assertThat(contracts.balanceOf(relayerSettler.getContractAddress())).isZero();

        for (int i = 0; i < BATCH_SIZE; i++) {
            Authorization a = items.get(i).authorization();
            boolean used = i != EXPIRED_INDEX && i != UNFUNDED_PAYER_INDEX;
            assertThat(contracts.token().authorizationState(a.from(), a.nonce()).send())
                    .as("authorizationState of item %d", i).isEqualTo(used);
        }
    }

    @Test
    void paysAnAuthorizationRepeatedWithinOneBatchOnlyOnce() throws Exception {
        Credentials payer = GanacheNode.newAccount();
        contracts.mint(payer.getAddress(), 10_000_000);
        String merchant = GanacheNode.newAccount().getAddress();
        SignedAuthorization signed = Eip3009TestSigning.signTransfer(domain,
                Authorization.of(payer.getAddress(), merchant, 4_000_000, node.latestBlockTimestamp() + 3_600), payer);

        TransactionReceipt receipt = relayerSettler.settle(tokenAddress(),
                List.of(signed.toBatchItem(), signed.toBatchItem())).send();

        assertThat(BatchSettler.getItemSettledEvents(receipt)).extracting(e -> e.index.intValueExact())
                .containsExactly(0);
        assertThat(BatchSettler.getItemFailedEvents(receipt)).extracting(e -> e.index.intValueExact(), e -> e.reason)
                .containsExactly(tuple(1, "FiatTokenV2: authorization is used or canceled"));
        assertThat(contracts.balanceOf(payer.getAddress())).isEqualTo(6_000_000);
        assertThat(contracts.balanceOf(merchant)).isEqualTo(4_000_000);
    }

    @Test
    void reportsAForgedSignatureAsAFailedItem() throws Exception {
        Credentials payer = GanacheNode.newAccount();
        contracts.mint(payer.getAddress(), 10_000_000);
        Credentials thief = GanacheNode.newAccount();
        Authorization a = Authorization.of(payer.getAddress(), thief.getAddress(), 10_000_000,
                node.latestBlockTimestamp() + 3_600);

        TransactionReceipt receipt = relayerSettler.settle(tokenAddress(),
                List.of(Eip3009TestSigning.signTransfer(domain, a, thief).toBatchItem())).send();

        assertThat(receipt.isStatusOK()).isTrue();
        assertThat(BatchSettler.getItemSettledEvents(receipt)).isEmpty();
        assertThat(BatchSettler.getItemFailedEvents(receipt)).singleElement().satisfies(e -> {
            assertThat(e.index).isZero();
            assertThat(e.nonce).isEqualTo(a.nonce());
            assertThat(e.reason).isEqualTo("FiatTokenV2: invalid signature");
        });
        assertThat(contracts.balanceOf(payer.getAddress())).isEqualTo(10_000_000);
        assertThat(contracts.balanceOf(thief.getAddress())).isZero();
    }

    private Map<String, Long> balancesOf(List<Credentials> payers, Credentials unfundedPayer, List<String> merchants) {
        Map<String, Long> balances = new HashMap<>();
        payers.forEach(p -> balances.put(key(p.getAddress()), contracts.balanceOf(p.getAddress())));
        balances.put(key(unfundedPayer.getAddress()), contracts.balanceOf(unfundedPayer.getAddress()));
        merchants.forEach(m -> balances.put(key(m), contracts.balanceOf(m)));
        return balances;
    }

    private static Tuple failure(List<SignedAuthorization> items, int index, String reason) {
        Authorization a = items.get(index).authorization();
        return tuple(index, key(a.from()), a.nonceHex(), reason);
    }

    private static String key(String address) {
        return address.toLowerCase(Locale.ROOT);
    }

    private String tokenAddress() {
        return contracts.token().getContractAddress();
    }
}

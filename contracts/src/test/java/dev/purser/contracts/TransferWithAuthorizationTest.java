package dev.purser.contracts;

import static dev.purser.contracts.Reverts.assertReverted;
import static org.assertj.core.api.Assertions.assertThat;

import dev.purser.contracts.testing.DeployedContracts;
import dev.purser.contracts.testing.Eip3009TestSigning;
import dev.purser.contracts.testing.Eip3009TestSigning.Authorization;
import dev.purser.contracts.testing.Eip3009TestSigning.Domain;
import dev.purser.contracts.testing.Eip3009TestSigning.Signature;
import dev.purser.contracts.testing.Eip3009TestSigning.SignedAuthorization;
import dev.purser.contracts.testing.GanacheExtension;
import dev.purser.contracts.testing.GanacheNode;
import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/**
 * EIP-3009 {@code transferWithAuthorization} on TestUSDC, signed with real keys and submitted by
 * a relayer that is neither payer nor payee, as Purser's settler does.
 */
@ExtendWith(GanacheExtension.class)
class TransferWithAuthorizationTest {

    // Full topic hashes, written out so that a change of an event's signature fails here; DESIGN.md
    // names them by their first and last bytes.
    static final String TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
    static final String AUTHORIZATION_USED_TOPIC =
            "0x98de503528ee59b575ef0c0a2576a82497bfc029a5685b209e9ec333479b10a5";
    static final String AUTHORIZATION_CANCELED_TOPIC =
            "0x1cdd46ff242716cdaa72d159d339a485b3438398348d68f09d7c8c0a59353d81";

    private static final long PAYER_FUNDS_MICROS = 10_000_000;
    private static final long ONE_HOUR_SECONDS = 3_600;

    private final GanacheNode node;
    private final DeployedContracts contracts;
    private final Domain domain;
    private final TestUSDC relayerToken;
    private final Credentials payer = GanacheNode.newAccount();
    private final String merchant = GanacheNode.newAccount().getAddress();

    TransferWithAuthorizationTest(GanacheNode node, DeployedContracts contracts) {
        this.node = node;
        this.contracts = contracts;
        this.domain = Domain.of(contracts);
        this.relayerToken = contracts.tokenAs(node.fundedAccount());
        contracts.mint(payer.getAddress(), PAYER_FUNDS_MICROS);
    }

    @Test
    void movesFundsAndEmitsAuthorizationUsedThenTransfer() throws Exception {
        Authorization authorization = authorization(2_100_000, validForAnHour());

        TransactionReceipt receipt = sign(authorization).transferWithAuthorization(relayerToken).send();

        assertThat(receipt.isStatusOK()).isTrue();
        assertThat(contracts.balanceOf(payer.getAddress())).isEqualTo(PAYER_FUNDS_MICROS - 2_100_000);
        assertThat(contracts.balanceOf(merchant)).isEqualTo(2_100_000);
        assertThat(authorizationState(authorization)).isTrue();

        List<Log> logs = receipt.getLogs();
        assertThat(logs).hasSize(2);
        assertThat(logs).allSatisfy(log -> assertThat(log.getAddress()).isEqualToIgnoringCase(tokenAddress()));
        // FiatToken marks the nonce used before it moves the funds; indexers rely on both logs.
        assertThat(logs.get(0).getTopics())
                .containsExactly(AUTHORIZATION_USED_TOPIC, topic(payer.getAddress()), authorization.nonceHex());
        assertThat(logs.get(0).getData()).isEqualTo("0x");
        assertThat(logs.get(1).getTopics())
                .containsExactly(TRANSFER_TOPIC, topic(payer.getAddress()), topic(merchant));
        assertThat(Numeric.toBigInt(logs.get(1).getData())).isEqualTo(BigInteger.valueOf(2_100_000));

        TestUSDC.AuthorizationUsedEventResponse used = TestUSDC.getAuthorizationUsedEvents(receipt).getFirst();
        assertThat(used.authorizer).isEqualToIgnoringCase(payer.getAddress());
        assertThat(used.nonce).isEqualTo(authorization.nonce());
        TestUSDC.TransferEventResponse transfer = TestUSDC.getTransferEvents(receipt).getFirst();
        assertThat(transfer.from).isEqualToIgnoringCase(payer.getAddress());
        assertThat(transfer.to).isEqualToIgnoringCase(merchant);
        assertThat(transfer.value).isEqualTo(BigInteger.valueOf(2_100_000));
    }

    @Test
    void refusesReplayOfAUsedNonce() throws Exception {
        SignedAuthorization signed = sign(authorization(1_000_000, validForAnHour()));
        signed.transferWithAuthorization(relayerToken).send();

        assertReverted(signed.transferWithAuthorization(relayerToken),
                "FiatTokenV2: authorization is used or canceled");

        assertThat(contracts.balanceOf(payer.getAddress())).isEqualTo(PAYER_FUNDS_MICROS - 1_000_000);
        assertThat(contracts.balanceOf(merchant)).isEqualTo(1_000_000);
    }

    @Test
    void refusesACancelledNonceAndCancelEmitsAuthorizationCanceled() throws Exception {
        SignedAuthorization signed = sign(authorization(1_000_000, validForAnHour()));
        byte[] nonce = signed.authorization().nonce();
        Signature cancel = Eip3009TestSigning.signCancel(domain, nonce, payer);

        TransactionReceipt cancelled = relayerToken
                .cancelAuthorization(payer.getAddress(), nonce, cancel.v(), cancel.r(), cancel.s()).send();

        assertThat(cancelled.getLogs()).singleElement().satisfies(log -> {
            assertThat(log.getAddress()).isEqualToIgnoringCase(tokenAddress());
            assertThat(log.getTopics()).containsExactly(
                    AUTHORIZATION_CANCELED_TOPIC, topic(payer.getAddress()), Numeric.toHexString(nonce));
        });
        assertThat(authorizationState(signed.authorization())).isTrue();

        assertReverted(signed.transferWithAuthorization(relayerToken),
                "FiatTokenV2: authorization is used or canceled");
        assertBalancesUnchanged();
        assertReverted(relayerToken.cancelAuthorization(payer.getAddress(), nonce, cancel.v(), cancel.r(), cancel.s()),
                "FiatTokenV2: authorization is used or canceled");
    }

    @Test
    void refusesAnAuthorizationSignedByAnotherKey() throws Exception {
        Authorization authorization = authorization(1_000_000, validForAnHour());
        SignedAuthorization forged = Eip3009TestSigning.signTransfer(domain, authorization, GanacheNode.newAccount());

        assertReverted(forged.transferWithAuthorization(relayerToken), "FiatTokenV2: invalid signature");

        assertBalancesUnchanged();
        assertThat(authorizationState(authorization)).isFalse();
    }

    @Test
    void refusesAnAuthorizationWhoseSignedValueWasChanged() throws Exception {
        SignedAuthorization signed = sign(authorization(1_000_000, validForAnHour()));
        Authorization a = signed.authorization();
        SignedAuthorization raised = new SignedAuthorization(
                new Authorization(a.from(), a.to(), BigInteger.valueOf(9_000_000), a.validAfter(), a.validBefore(),
                        a.nonce()),
                signed.signature());

        assertReverted(raised.transferWithAuthorization(relayerToken), "FiatTokenV2: invalid signature");

        assertBalancesUnchanged();
    }

    @Test
    void refusesTheMalleableHighSCopyOfAValidSignature() throws Exception {
        SignedAuthorization signed = sign(authorization(1_000_000, validForAnHour()));
        Signature low = signed.signature();
        // (r, n - s, the other v) recovers the same signer; FiatToken accepts only the low-s form so that
        // a signature has exactly one encoding.
        BigInteger n = new BigInteger("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", 16);
        Signature high = new Signature(BigInteger.valueOf(27 + 28).subtract(low.v()), low.r(),
                Numeric.toBytesPadded(n.subtract(Numeric.toBigInt(low.s())), 32));
        SignedAuthorization malleated = new SignedAuthorization(signed.authorization(), high);

        assertReverted(malleated.transferWithAuthorization(relayerToken), "ECRecover: invalid signature 's' value");

        assertBalancesUnchanged();
    }

    @Test
    void refusesAnAuthorizationThatIsNotYetValid() throws Exception {
        long now = node.latestBlockTimestamp();
        Authorization authorization = new Authorization(payer.getAddress(), merchant, BigInteger.valueOf(1_000_000),
                BigInteger.valueOf(now + ONE_HOUR_SECONDS), BigInteger.valueOf(now + 2 * ONE_HOUR_SECONDS),
                Eip3009TestSigning.randomNonce());

        assertReverted(sign(authorization).transferWithAuthorization(relayerToken),
                "FiatTokenV2: authorization is not yet valid");

        assertBalancesUnchanged();
        assertThat(authorizationState(authorization)).isFalse();
    }

    @Test
    void refusesAnAuthorizationWhoseValidBeforeHasBeenReached() throws Exception {
        // The next block's timestamp is at least the latest one's, so block.timestamp < validBefore
        // cannot hold; AuthorizationTimeWindowTest pins the exact boundaries on a controlled clock.
        Authorization authorization = authorization(1_000_000, node.latestBlockTimestamp());

        assertReverted(sign(authorization).transferWithAuthorization(relayerToken),
                "FiatTokenV2: authorization is expired");

        assertBalancesUnchanged();
        assertThat(authorizationState(authorization)).isFalse();
    }

    @Test
    void refusesATransferAboveThePayersBalanceAndLeavesTheNonceUnused() throws Exception {
        Authorization authorization = authorization(PAYER_FUNDS_MICROS + 1, validForAnHour());

        assertReverted(sign(authorization).transferWithAuthorization(relayerToken),
                "ERC20: transfer amount exceeds balance");

        assertBalancesUnchanged();
        // The whole call reverted, so the nonce was not consumed: the same signed authorization can
        // still be paid once the payer is funded.
        assertThat(authorizationState(authorization)).isFalse();
    }

    private Authorization authorization(long valueMicros, long validBefore) {
        return Authorization.of(payer.getAddress(), merchant, valueMicros, validBefore);
    }

    private long validForAnHour() {
        return node.latestBlockTimestamp() + ONE_HOUR_SECONDS;
    }

    private SignedAuthorization sign(Authorization authorization) {
        return Eip3009TestSigning.signTransfer(domain, authorization, payer);
    }

    private boolean authorizationState(Authorization authorization) throws Exception {
        return contracts.token().authorizationState(authorization.from(), authorization.nonce()).send();
    }

    private void assertBalancesUnchanged() {
        assertThat(contracts.balanceOf(payer.getAddress())).isEqualTo(PAYER_FUNDS_MICROS);
        assertThat(contracts.balanceOf(merchant)).isZero();
    }

    private String tokenAddress() {
        return contracts.token().getContractAddress();
    }

    /** An address as an indexed event topic: left-padded to 32 bytes, lower case. */
    static String topic(String address) {
        return Numeric.toHexString(Numeric.toBytesPadded(Numeric.toBigInt(address), 32));
    }
}

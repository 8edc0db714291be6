package dev.purser.contracts;

import static dev.purser.contracts.Reverts.assertReverted;
import static org.assertj.core.api.Assertions.assertThat;

import dev.purser.contracts.testing.DeployedContracts;
import dev.purser.contracts.testing.Eip3009TestSigning;
import dev.purser.contracts.testing.Eip3009TestSigning.Authorization;
import dev.purser.contracts.testing.Eip3009TestSigning.Domain;
import dev.purser.contracts.testing.Eip3009TestSigning.SignedAuthorization;
import dev.purser.contracts.testing.GanacheExtension;
import dev.purser.contracts.testing.GanacheNode;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * EIP-3009 {@code receiveWithAuthorization}: only the payee may submit it, which is what protects
 * it from being front-run, and its signature cannot be used as a transfer authorization (nor the
 * other way round) because the two sign different EIP-712 types.
 */
@ExtendWith(GanacheExtension.class)
class ReceiveWithAuthorizationTest {

    private static final long PAYER_FUNDS_MICROS = 5_000_000;
    private static final long VALUE_MICROS = 1_500_000;

    private final GanacheNode node;
    private final DeployedContracts contracts;
    private final Domain domain;
    private final Credentials payer = GanacheNode.newAccount();
    private final Credentials payee;

    ReceiveWithAuthorizationTest(GanacheNode node, DeployedContracts contracts) {
        this.node = node;
        this.contracts = contracts;
        this.domain = Domain.of(contracts);
        this.payee = node.fundedAccount();
        contracts.mint(payer.getAddress(), PAYER_FUNDS_MICROS);
    }

    @Test
    void paysWhenThePayeeSubmitsIt() throws Exception {
        SignedAuthorization signed = Eip3009TestSigning.signReceive(domain, authorization(), payer);

        TransactionReceipt receipt = signed.receiveWithAuthorization(contracts.tokenAs(payee)).send();

        assertThat(receipt.isStatusOK()).isTrue();
        assertThat(contracts.balanceOf(payer.getAddress())).isEqualTo(PAYER_FUNDS_MICROS - VALUE_MICROS);
        assertThat(contracts.balanceOf(payee.getAddress())).isEqualTo(VALUE_MICROS);
        assertThat(TestUSDC.getAuthorizationUsedEvents(receipt)).singleElement().satisfies(used -> {
            assertThat(used.authorizer).isEqualToIgnoringCase(payer.getAddress());
            assertThat(used.nonce).isEqualTo(signed.authorization().nonce());
        });
        assertThat(contracts.token().authorizationState(payer.getAddress(), signed.authorization().nonce()).send())
                .isTrue();
    }

    @Test
    void refusesWhenTheCallerIsNotThePayee() {
        SignedAuthorization signed = Eip3009TestSigning.signReceive(domain, authorization(), payer);

        assertReverted(signed.receiveWithAuthorization(contracts.tokenAs(node.fundedAccount())),
                "FiatTokenV2: caller must be the payee");

        assertBalancesUnchanged();
    }

    @Test
    void refusesAReceiveSignatureSubmittedThroughTransferWithAuthorization() {
        // Otherwise anyone who saw the payee's pending receive could front-run it as a transfer.
        SignedAuthorization signed = Eip3009TestSigning.signReceive(domain, authorization(), payer);

        assertReverted(signed.transferWithAuthorization(contracts.tokenAs(node.fundedAccount())),
                "FiatTokenV2: invalid signature");

        assertBalancesUnchanged();
    }

    @Test
    void refusesATransferSignatureSubmittedThroughReceiveWithAuthorization() {
        SignedAuthorization signed = Eip3009TestSigning.signTransfer(domain, authorization(), payer);

        assertReverted(signed.receiveWithAuthorization(contracts.tokenAs(payee)), "FiatTokenV2: invalid signature");

        assertBalancesUnchanged();
    }

    private Authorization authorization() {
        return new Authorization(payer.getAddress(), payee.getAddress(), BigInteger.valueOf(VALUE_MICROS),
                BigInteger.ZERO, BigInteger.valueOf(node.latestBlockTimestamp() + 3_600),
                Eip3009TestSigning.randomNonce());
    }

    private void assertBalancesUnchanged() {
        assertThat(contracts.balanceOf(payer.getAddress())).isEqualTo(PAYER_FUNDS_MICROS);
        assertThat(contracts.balanceOf(payee.getAddress())).isZero();
    }
}

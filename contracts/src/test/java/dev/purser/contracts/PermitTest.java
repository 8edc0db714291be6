package dev.purser.contracts;

import static dev.purser.contracts.Reverts.assertReverted;
import static org.assertj.core.api.Assertions.assertThat;

import dev.purser.contracts.testing.DeployedContracts;
import dev.purser.contracts.testing.Eip3009TestSigning;
import dev.purser.contracts.testing.Eip3009TestSigning.Domain;
import dev.purser.contracts.testing.Eip3009TestSigning.Signature;
import dev.purser.contracts.testing.GanacheExtension;
import dev.purser.contracts.testing.GanacheNode;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/** EIP-2612 {@code permit}: an allowance granted by signature, submitted by anyone. */
@ExtendWith(GanacheExtension.class)
class PermitTest {

    private static final long OWNER_FUNDS_MICROS = 8_000_000;
    private static final BigInteger ALLOWANCE_MICROS = BigInteger.valueOf(3_000_000);

    private final GanacheNode node;
    private final DeployedContracts contracts;
    private final Domain domain;
    private final Credentials owner = GanacheNode.newAccount();
    private final Credentials spender;
    private final TestUSDC relayerToken;

    PermitTest(GanacheNode node, DeployedContracts contracts) {
        this.node = node;
        this.contracts = contracts;
        this.domain = Domain.of(contracts);
        this.spender = node.fundedAccount();
        this.relayerToken = contracts.tokenAs(node.fundedAccount());
        contracts.mint(owner.getAddress(), OWNER_FUNDS_MICROS);
    }

    @Test
    void setsTheAllowanceAndTheNonceThenTransferFromSpendsIt() throws Exception {
        BigInteger deadline = BigInteger.valueOf(node.latestBlockTimestamp() + 3_600);
        Signature signature = signPermit(BigInteger.ZERO, deadline, owner);

        TransactionReceipt receipt = relayerToken.permit(owner.getAddress(), spender.getAddress(), ALLOWANCE_MICROS,
                deadline, signature.v(), signature.r(), signature.s()).send();

        assertThat(receipt.isStatusOK()).isTrue();
        assertThat(TestUSDC.getApprovalEvents(receipt)).singleElement().satisfies(approval -> {
            assertThat(approval.owner).isEqualToIgnoringCase(owner.getAddress());
            assertThat(approval.spender).isEqualToIgnoringCase(spender.getAddress());
            assertThat(approval.value).isEqualTo(ALLOWANCE_MICROS);
        });
        assertThat(allowance()).isEqualTo(ALLOWANCE_MICROS);
        assertThat(contracts.token().nonces(owner.getAddress()).send()).isEqualTo(BigInteger.ONE);

        String merchant = GanacheNode.newAccount().getAddress();
        contracts.tokenAs(spender).transferFrom(owner.getAddress(), merchant, BigInteger.valueOf(2_000_000)).send();

        assertThat(contracts.balanceOf(merchant)).isEqualTo(2_000_000);
        assertThat(contracts.balanceOf(owner.getAddress())).isEqualTo(OWNER_FUNDS_MICROS - 2_000_000);
        assertThat(allowance()).isEqualTo(BigInteger.valueOf(1_000_000));
        assertReverted(
                contracts.tokenAs(spender).transferFrom(owner.getAddress(), merchant, BigInteger.valueOf(1_000_001)),
                "ERC20: transfer amount exceeds allowance");
    }

    @Test
    void refusesAPermitPastItsDeadline() throws Exception {
        // permit requires deadline >= block.timestamp, and the next block is no earlier than the latest.
        BigInteger deadline = BigInteger.valueOf(node.latestBlockTimestamp() - 1);
        Signature signature = signPermit(BigInteger.ZERO, deadline, owner);

        assertReverted(relayerToken.permit(owner.getAddress(), spender.getAddress(), ALLOWANCE_MICROS, deadline,
                signature.v(), signature.r(), signature.s()), "FiatTokenV2: permit is expired");

        assertNothingGranted();
    }

    @Test
    void refusesAPermitSignedByAnotherKey() throws Exception {
        BigInteger deadline = BigInteger.valueOf(node.latestBlockTimestamp() + 3_600);
        Signature forged = signPermit(BigInteger.ZERO, deadline, GanacheNode.newAccount());

        assertReverted(relayerToken.permit(owner.getAddress(), spender.getAddress(), ALLOWANCE_MICROS, deadline,
                forged.v(), forged.r(), forged.s()), "EIP2612: invalid signature");

        assertNothingGranted();
    }

    @Test
    void refusesAReplayedPermitBecauseTheNonceMovedOn() throws Exception {
        BigInteger deadline = BigInteger.valueOf(node.latestBlockTimestamp() + 3_600);
        Signature signature = signPermit(BigInteger.ZERO, deadline, owner);
        relayerToken.permit(owner.getAddress(), spender.getAddress(), ALLOWANCE_MICROS, deadline,
                signature.v(), signature.r(), signature.s()).send();
        contracts.tokenAs(spender).transferFrom(owner.getAddress(), spender.getAddress(), ALLOWANCE_MICROS).send();

        assertReverted(relayerToken.permit(owner.getAddress(), spender.getAddress(), ALLOWANCE_MICROS, deadline,
                signature.v(), signature.r(), signature.s()), "EIP2612: invalid signature");

        assertThat(allowance()).isZero();
        assertThat(contracts.token().nonces(owner.getAddress()).send()).isEqualTo(BigInteger.ONE);
    }

    private Signature signPermit(BigInteger nonce, BigInteger deadline, Credentials signer) {
        return Eip3009TestSigning.signPermit(
                domain, owner.getAddress(), spender.getAddress(), ALLOWANCE_MICROS, nonce, deadline, signer);
    }

    private BigInteger allowance() throws Exception {
        return contracts.token().allowance(owner.getAddress(), spender.getAddress()).send();
    }

    private void assertNothingGranted() throws Exception {
        assertThat(allowance()).isZero();
        assertThat(contracts.token().nonces(owner.getAddress()).send()).isZero();
        assertThat(contracts.balanceOf(owner.getAddress())).isEqualTo(OWNER_FUNDS_MICROS);
    }
}

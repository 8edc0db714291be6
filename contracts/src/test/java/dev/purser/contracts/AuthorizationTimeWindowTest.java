package dev.purser.contracts;

import static dev.purser.contracts.Reverts.assertReverted;
import static org.assertj.core.api.Assertions.assertThat;

import dev.purser.contracts.testing.DeployedContracts;
import dev.purser.contracts.testing.Eip3009TestSigning;
import dev.purser.contracts.testing.Eip3009TestSigning.Authorization;
import dev.purser.contracts.testing.Eip3009TestSigning.Domain;
import dev.purser.contracts.testing.GanacheNode;
import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * The exact bounds of an authorization's validity, {@code validAfter < block.timestamp <
 * validBefore}, both strict as in FiatToken.
 *
 * <p>The shared node's block timestamps follow the wall clock, so an exact bound cannot be hit
 * there. This class starts its own node whose clock advances exactly one second per block: the
 * next transaction's block timestamp is always the latest block's plus one.
 */
class AuthorizationTimeWindowTest {

    private static final long VALUE_MICROS = 1_000_000;

    private static GanacheNode node;
    private static DeployedContracts contracts;

    private final Credentials payer = GanacheNode.newAccount();
    private final String merchant = GanacheNode.newAccount().getAddress();

    @BeforeAll
    static void startNodeWithOneSecondPerBlock() {
        node = GanacheNode.start(List.of("--miner.timestampIncrement", "1"));
        contracts = DeployedContracts.deploy(node);
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void refusesInTheBlockWhoseTimestampEqualsValidAfter() throws Exception {
        long nextBlockTime = fundPayerAndGetNextBlockTime();

        TransactionReceipt receipt = submitRefused(nextBlockTime, nextBlockTime + 3_600,
                "FiatTokenV2: authorization is not yet valid");

        assertThat(node.blockTimestamp(receipt.getBlockNumber())).isEqualTo(nextBlockTime);
    }

    @Test
    void refusesInTheBlockWhoseTimestampEqualsValidBefore() throws Exception {
        long nextBlockTime = fundPayerAndGetNextBlockTime();

        TransactionReceipt receipt = submitRefused(0, nextBlockTime, "FiatTokenV2: authorization is expired");

        assertThat(node.blockTimestamp(receipt.getBlockNumber())).isEqualTo(nextBlockTime);
    }

    @Test
    void paysInTheOnlySecondStrictlyInsideTheWindow() throws Exception {
        long nextBlockTime = fundPayerAndGetNextBlockTime();
        Authorization authorization = authorization(nextBlockTime - 1, nextBlockTime + 1);

        TransactionReceipt receipt = Eip3009TestSigning.signTransfer(Domain.of(contracts), authorization, payer)
                .transferWithAuthorization(contracts.token()).send();

        assertThat(receipt.isStatusOK()).isTrue();
        assertThat(node.blockTimestamp(receipt.getBlockNumber())).isEqualTo(nextBlockTime);
        assertThat(contracts.balanceOf(merchant)).isEqualTo(VALUE_MICROS);
        assertThat(contracts.token().authorizationState(payer.getAddress(), authorization.nonce()).send()).isTrue();
    }

    private long fundPayerAndGetNextBlockTime() {
        contracts.mint(payer.getAddress(), VALUE_MICROS);
        return node.latestBlockTimestamp() + 1;
    }

    private TransactionReceipt submitRefused(long validAfter, long validBefore, String reason) throws Exception {
        Authorization authorization = authorization(validAfter, validBefore);

        TransactionReceipt receipt = assertReverted(
                Eip3009TestSigning.signTransfer(Domain.of(contracts), authorization, payer)
                        .transferWithAuthorization(contracts.token()),
                reason);

        assertThat(contracts.balanceOf(payer.getAddress())).isEqualTo(VALUE_MICROS);
        assertThat(contracts.balanceOf(merchant)).isZero();
        assertThat(contracts.token().authorizationState(payer.getAddress(), authorization.nonce()).send()).isFalse();
        return receipt;
    }

    private Authorization authorization(long validAfter, long validBefore) {
        return new Authorization(payer.getAddress(), merchant, BigInteger.valueOf(VALUE_MICROS),
                BigInteger.valueOf(validAfter), BigInteger.valueOf(validBefore), Eip3009TestSigning.randomNonce());
    }
}

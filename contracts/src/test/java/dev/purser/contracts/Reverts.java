package dev.purser.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.web3j.protocol.core.RemoteFunctionCall;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.exceptions.TransactionException;

/** Assertions on transactions the contracts must refuse. */
final class Reverts {

    private Reverts() {}

    /**
     * Sends {@code call} and asserts that it was mined and reverted with {@code reason}. web3j
     * reports a mined failure as a {@link TransactionException} carrying the receipt, and replays
     * the call to read the revert message into the exception's message.
     */
    static TransactionReceipt assertReverted(RemoteFunctionCall<TransactionReceipt> call, String reason) {
        TransactionException refused = catchThrowableOfType(TransactionException.class, call::send);
        assertThat(refused).as("the transaction should have reverted with \"%s\"", reason).isNotNull();
        TransactionReceipt receipt = refused.getTransactionReceipt().orElseThrow(
                () -> new AssertionError("the transaction was not mined: " + refused.getMessage(), refused));
        assertThat(receipt.isStatusOK()).as("receipt status").isFalse();
        assertThat(receipt.getLogs()).as("a reverted transaction leaves no logs").isEmpty();
        // Ganache words the replayed reason "VM Exception while processing transaction: revert <reason>".
        assertThat(refused.getMessage()).containsAnyOf(
                "Revert reason: '" + reason + "'",
                "Revert reason: 'VM Exception while processing transaction: revert " + reason + "'");
        return receipt;
    }
}

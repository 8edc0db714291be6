package dev.purser.wallet.tx;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NodeRefusalTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "already known | ALREADY_KNOWN",
        "Known transaction: 0xabc | ALREADY_KNOWN",
        "AlreadyKnown | ALREADY_KNOWN",
        "nonce too low | NONCE_TOO_LOW",
        "nonce too low: next nonce 5, tx nonce 3 | NONCE_TOO_LOW",
        "NONCE_TOO_LOW | NONCE_TOO_LOW",
        "OldNonce | NONCE_TOO_LOW",
        "the tx doesn't have the correct nonce. account has nonce of: 6 tx has nonce of: 1 | NONCE_TOO_LOW",
        "replacement transaction underpriced | REPLACEMENT_UNDERPRICED",
        "transaction underpriced | FEES_TOO_LOW",
        "max fee per gas less than block base fee: address 0x1, maxFeePerGas: 1 baseFee: 7 | FEES_TOO_LOW",
        "insufficient funds for gas * price + value | INSUFFICIENT_FUNDS",
        "intrinsic gas too low | OTHER",
        "exceeds block gas limit | OTHER"
    })
    void readsWhatEachClientMeans(String message, NodeRefusal expected) {
        assertThat(NodeRefusal.of(message)).isEqualTo(expected);
    }
}

package dev.purser.wallet.tx;

import java.io.IOException;
import java.util.HexFormat;
import java.util.Objects;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.methods.response.EthSendTransaction;

/** The real {@link Broadcaster}: {@code eth_sendRawTransaction} through web3j. */
public final class Web3jBroadcaster implements Broadcaster {

    private final Web3j web3j;

    public Web3jBroadcaster(Web3j web3j) {
        this.web3j = Objects.requireNonNull(web3j, "web3j");
    }

    @Override
    public BroadcastResult broadcast(byte[] signedRaw) throws IOException {
        EthSendTransaction answer = web3j.ethSendRawTransaction("0x" + HexFormat.of().formatHex(signedRaw)).send();
        if (answer.hasError()) {
            return new BroadcastResult.Rejected(Objects.toString(answer.getError().getMessage(), "(no message)"));
        }
        return new BroadcastResult.Accepted(answer.getTransactionHash());
    }
}

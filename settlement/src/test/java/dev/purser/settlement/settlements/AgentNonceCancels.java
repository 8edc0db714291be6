package dev.purser.settlement.settlements;

import static org.assertj.core.api.Assertions.assertThat;

import dev.purser.contracts.TestUSDC;
import dev.purser.contracts.testing.Eip3009TestSigning;
import dev.purser.contracts.testing.GanacheNode;
import dev.purser.wallet.keys.Signer;
import java.math.BigInteger;
import java.util.List;
import org.web3j.crypto.Sign;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.gas.StaticGasProvider;
import org.web3j.utils.Numeric;

/**
 * For tests: the nonce a one-authorization settlement will carry, and the agent's wallet
 * canceling it on-chain before the settler gets to it.
 */
final class AgentNonceCancels {

    private AgentNonceCancels() {}

    /**
     * The nonce of the settlement that will pay one authorization (DESIGN.md: a single
     * authorization's nonce is its leaf), known before the settlement exists.
     */
    static String nonceOf(String token, String wallet, String merchant, String authorizationId, long amountMicros) {
        return SettlementMerkle.build(GanacheNode.CHAIN_ID, token, wallet, merchant,
                List.of(new SettlementMerkle.Item(authorizationId, amountMicros))).rootHex();
    }

    /**
     * The agent's wallet signs CancelAuthorization(wallet, nonce) and a stranger submits it to the
     * token (anyone may); returns the cancel's transaction hash once it is mined.
     */
    static String cancel(GanacheNode chain, String token, Signer agentWallet, String nonce) throws Exception {
        TestUSDC asStranger = TestUSDC.load(token, chain.web3j(),
                new RawTransactionManager(chain.web3j(), chain.fundedAccount(), GanacheNode.CHAIN_ID),
                new StaticGasProvider(BigInteger.valueOf(20_000_000_000L), BigInteger.valueOf(200_000)));
        Eip3009TestSigning.Domain domain = new Eip3009TestSigning.Domain(asStranger.name().send(), asStranger.version().send(),
                GanacheNode.CHAIN_ID, token);
        byte[] nonceBytes = Numeric.hexStringToByteArray(nonce);
        Sign.SignatureData signature = agentWallet.signDigest(
                Eip3009TestSigning.cancelDigest(domain, agentWallet.address(), nonceBytes));
        TransactionReceipt receipt = asStranger.cancelAuthorization(agentWallet.address(), nonceBytes,
                Numeric.toBigInt(signature.getV()), signature.getR(), signature.getS()).send();
        assertThat(receipt.isStatusOK()).as("the token accepts the wallet's cancel").isTrue();
        assertThat(asStranger.authorizationState(agentWallet.address(), nonceBytes).send()).isTrue();
        return receipt.getTransactionHash();
    }
}

package dev.purser.wallet.eip3009;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.purser.contracts.TestUSDC;
import dev.purser.contracts.testing.DeployedContracts;
import dev.purser.contracts.testing.GanacheExtension;
import dev.purser.contracts.testing.GanacheNode;
import dev.purser.wallet.keys.HdWallet;
import dev.purser.wallet.keys.Signer;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Sign;

/** EIP-3009 signatures made by the wallet, submitted to TestUSDC (FiatToken v2.2 semantics) on Ganache. */
@ExtendWith(GanacheExtension.class)
class Eip3009OnChainTest {

    // Agents in this mnemonic's tree are used by no other test on the shared node.
    private static final HdWallet WALLET = HdWallet.fromMnemonic(
            "legal winner thank year wave sausage worth useful legal winner thank yellow");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DeployedContracts contracts;
    private final Eip712Domain domain;
    private final TestUSDC relayerView;
    private Signer agent;
    private String merchant;

    Eip3009OnChainTest(DeployedContracts contracts) {
        this.contracts = contracts;
        this.domain = TokenDomains.read(contracts.node().web3j(), contracts.token().getContractAddress(), GanacheNode.CHAIN_ID);
        this.relayerView = contracts.tokenAs(contracts.node().account(2));
    }

    @BeforeEach
    void fundAFreshAgent() {
        // A fresh agent and merchant per test, so balances start known on the shared chain.
        long index = RANDOM.nextInt(1_000_000);
        agent = WALLET.agentSigner(index);
        merchant = WALLET.agentAddress(index + 1_000_000);
        contracts.mint(agent.address(), 10_000_000);
    }

    @Test
    void readsTheTokensDomainFromTheChain() throws Exception {
        assertThat(domain.name()).isEqualTo("USD Coin");
        assertThat(domain.version()).isEqualTo("2");
        assertThat(domain.chainId()).isEqualTo(GanacheNode.CHAIN_ID);
        assertThat(domain.separator().toArray()).isEqualTo(contracts.token().DOMAIN_SEPARATOR().send());
    }

    @Test
    void tokenAcceptsTheSignedAuthorizationAndMovesTheBalances() throws Exception {
        SignedTransferAuthorization signed = Eip3009.sign(agent, domain, authorization(2_100_000));

        submit(signed);

        assertThat(contracts.balanceOf(agent.address())).isEqualTo(7_900_000);
        assertThat(contracts.balanceOf(merchant)).isEqualTo(2_100_000);
        assertThat(contracts.token().authorizationState(agent.address(), signed.authorization().nonce().toArray()).send())
                .isTrue();
    }

    @Test
    void tokenRefusesTheSameAuthorizationTwice() throws Exception {
        SignedTransferAuthorization signed = Eip3009.sign(agent, domain, authorization(1_000_000));
        submit(signed);

        assertThatThrownBy(() -> submit(signed)).hasMessageContaining("authorization is used or canceled");
        assertThat(contracts.balanceOf(merchant)).isEqualTo(1_000_000);
    }

    @Test
    void tokenRefusesATamperedValueAndNothingMoves() throws Exception {
        SignedTransferAuthorization signed = Eip3009.sign(agent, domain, authorization(1_000_000));
        TransferAuthorization tampered = signed.authorization().withValueMicros(1_000_001);

        assertThatThrownBy(() -> submit(new SignedTransferAuthorization(tampered, signed.v(), signed.r(), signed.s())))
                .hasMessageContaining("invalid signature");
        assertUnchanged(signed.authorization());
    }

    @Test
    void tokenRefusesASignatureByAnotherKeyAndNothingMoves() throws Exception {
        TransferAuthorization authorization = authorization(1_000_000);
        Signer impostor = WALLET.relayer();
        Sign.SignatureData forged = impostor.signDigest(Eip3009.digest(domain, authorization).toArray());
        SignedTransferAuthorization signed = new SignedTransferAuthorization(
                authorization, forged.getV()[0], Bytes32.of(forged.getR()), Bytes32.of(forged.getS()));

        assertThatThrownBy(() -> submit(signed)).hasMessageContaining("invalid signature");
        assertUnchanged(authorization);
    }

    @Test
    void tokenRefusesASignatureForAnotherChainsDomain() throws Exception {
        Eip712Domain base = new Eip712Domain(domain.name(), domain.version(), 8453, domain.verifyingContract());
        SignedTransferAuthorization signed = Eip3009.sign(agent, base, authorization(1_000_000));

        assertThatThrownBy(() -> submit(signed)).hasMessageContaining("invalid signature");
        assertUnchanged(signed.authorization());
    }

    private TransferAuthorization authorization(long micros) {
        byte[] nonce = new byte[32];
        RANDOM.nextBytes(nonce);
        long now = Instant.now().getEpochSecond();
        return new TransferAuthorization(agent.address(), merchant, micros, 0, now + 3600, Bytes32.of(nonce));
    }

    private void submit(SignedTransferAuthorization signed) throws Exception {
        TransferAuthorization a = signed.authorization();
        relayerView.transferWithAuthorization(a.from(), a.to(), BigInteger.valueOf(a.valueMicros()),
                BigInteger.valueOf(a.validAfterEpochSeconds()), BigInteger.valueOf(a.validBeforeEpochSeconds()),
                a.nonce().toArray(), BigInteger.valueOf(signed.v()), signed.r().toArray(), signed.s().toArray()).send();
    }

    private void assertUnchanged(TransferAuthorization authorization) throws Exception {
        assertThat(contracts.balanceOf(agent.address())).isEqualTo(10_000_000);
        assertThat(contracts.balanceOf(merchant)).isZero();
        assertThat(contracts.token().authorizationState(agent.address(), authorization.nonce().toArray()).send()).isFalse();
    }
}

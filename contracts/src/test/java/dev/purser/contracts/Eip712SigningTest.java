package dev.purser.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.purser.contracts.testing.DeployedContracts;
import dev.purser.contracts.testing.Eip3009TestSigning;
import dev.purser.contracts.testing.Eip3009TestSigning.Authorization;
import dev.purser.contracts.testing.Eip3009TestSigning.Domain;
import dev.purser.contracts.testing.Eip3009TestSigning.Signature;
import dev.purser.contracts.testing.GanacheExtension;
import dev.purser.contracts.testing.GanacheNode;
import dev.purser.contracts.testing.PurserVectors;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Sign;
import org.web3j.utils.Numeric;

/**
 * The EIP-712 encoding the Java side signs with agrees with the token's and with an independent
 * implementation (ethers v6, through the shared test vectors).
 */
@ExtendWith(GanacheExtension.class)
class Eip712SigningTest {

    @Test
    void tokenDomainSeparatorEqualsTheOneWeb3jComputes(DeployedContracts contracts) throws Exception {
        Domain domain = new Domain("USD Coin", "2", 1337, contracts.token().getContractAddress());

        byte[] onChain = contracts.token().DOMAIN_SEPARATOR().send();

        assertThat(Numeric.toHexString(onChain))
                .isEqualTo(Numeric.toHexString(Eip3009TestSigning.domainSeparator(domain)));
        assertThat(contracts.token().name().send()).isEqualTo(domain.name());
        assertThat(contracts.token().version().send()).isEqualTo(domain.version());
        assertThat(contracts.node().web3j().ethChainId().send().getChainId()).isEqualTo(BigInteger.valueOf(1337));
        assertThat(GanacheNode.CHAIN_ID).isEqualTo(1337);
    }

    @Test
    void tokenTypehashesAreFiatTokens(DeployedContracts contracts) throws Exception {
        // The values of Circle's FiatToken v2.2; a signer and the token must agree on them bit for bit.
        TestUSDC token = contracts.token();
        assertThat(Numeric.toHexString(token.TRANSFER_WITH_AUTHORIZATION_TYPEHASH().send()))
                .isEqualTo("0x7c7c6cdb67a18743f49ec6fa9b35f50d52ed05cbed4cc592e13b44501c1a2267");
        assertThat(Numeric.toHexString(token.RECEIVE_WITH_AUTHORIZATION_TYPEHASH().send()))
                .isEqualTo("0xd099cc98ef71107a616c4f0f941f04c322d8e254fe26b3c6668db87aae413de8");
        assertThat(Numeric.toHexString(token.CANCEL_AUTHORIZATION_TYPEHASH().send()))
                .isEqualTo("0x158b0a9edf7a828aad02f63cd515c68ef2f50ba807396f6d12842833a1597429");
        assertThat(Numeric.toHexString(token.PERMIT_TYPEHASH().send()))
                .isEqualTo("0x6e71edae12b1b97f4d1f60370fef10105fa2faae0126114a169c64845d6126c9");
    }

    @Test
    void signingReproducesTheEthersVectorExactly() throws Exception {
        JsonNode vector = PurserVectors.section("eip3009_transfer_with_authorization");
        JsonNode d = vector.get("domain");
        JsonNode m = vector.get("message");
        Domain domain = new Domain(d.get("name").asText(), d.get("version").asText(), d.get("chainId").asLong(),
                d.get("verifyingContract").asText());
        Authorization authorization = new Authorization(m.get("from").asText(), m.get("to").asText(),
                new BigInteger(m.get("value").asText()), new BigInteger(m.get("validAfter").asText()),
                new BigInteger(m.get("validBefore").asText()), Numeric.hexStringToByteArray(m.get("nonce").asText()));
        Credentials key = Credentials.create(vector.get("private_key").asText());

        byte[] digest = Eip3009TestSigning.transferDigest(domain, authorization);
        Signature signature = Eip3009TestSigning.signTransfer(domain, authorization, key).signature();

        assertThat(Numeric.toHexString(Eip3009TestSigning.domainSeparator(domain)))
                .isEqualTo(vector.get("domain_separator").asText());
        assertThat(Numeric.toHexString(digest)).isEqualTo(vector.get("digest").asText());
        assertThat(signature.v()).isEqualTo(vector.get("v").bigIntegerValue());
        assertThat(Numeric.toHexString(signature.r())).isEqualTo(vector.get("r").asText());
        assertThat(Numeric.toHexString(signature.s())).isEqualTo(vector.get("s").asText());
        // The vector's key is the payer's: the signature recovers to message.from.
        assertThat(key.getAddress()).isEqualToIgnoringCase(authorization.from());
        BigInteger recovered = Sign.signedMessageHashToKey(digest,
                new Sign.SignatureData(signature.v().byteValueExact(), signature.r(), signature.s()));
        assertThat(recovered).isEqualTo(key.getEcKeyPair().getPublicKey());
    }
}

package dev.purser.wallet.eip3009;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import com.fasterxml.jackson.databind.JsonNode;
import dev.purser.wallet.Vectors;
import dev.purser.wallet.keys.LocalSigner;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.StructuredDataEncoder;
import org.web3j.utils.Numeric;

class Eip3009Test {

    private static final JsonNode VECTOR = Vectors.get("eip3009_transfer_with_authorization");
    private static final LocalSigner SIGNER = LocalSigner.fromPrivateKeyHex(VECTOR.get("private_key").asText());

    private static Eip712Domain vectorDomain() {
        JsonNode d = VECTOR.get("domain");
        return new Eip712Domain(d.get("name").asText(), d.get("version").asText(), d.get("chainId").asLong(),
                d.get("verifyingContract").asText());
    }

    private static TransferAuthorization vectorMessage() {
        JsonNode m = VECTOR.get("message");
        return new TransferAuthorization(m.get("from").asText(), m.get("to").asText(), m.get("value").asLong(),
                m.get("validAfter").asLong(), m.get("validBefore").asLong(), Bytes32.fromHex(m.get("nonce").asText()));
    }

    @Test
    void computesTheVectorDomainSeparatorAndDigest() {
        assertThat(vectorDomain().separator().toHex()).isEqualTo(VECTOR.get("domain_separator").asText());
        assertThat(Eip3009.digest(vectorDomain(), vectorMessage()).toHex()).isEqualTo(VECTOR.get("digest").asText());
    }

    @Test
    void signsExactlyTheVectorSignature() {
        SignedTransferAuthorization signed = Eip3009.sign(SIGNER, vectorDomain(), vectorMessage());

        assertThat(signed.v()).isEqualTo(VECTOR.get("v").asInt());
        assertThat(signed.r().toHex()).isEqualTo(VECTOR.get("r").asText());
        assertThat(signed.s().toHex()).isEqualTo(VECTOR.get("s").asText());
        assertThat(signed.authorization()).isEqualTo(vectorMessage());
        assertThat(signed.signature65()).hasSize(65);
    }

    @Test
    void agreesWithWeb3jStructuredDataEncoder() throws Exception {
        JsonNode d = VECTOR.get("domain");
        JsonNode m = VECTOR.get("message");
        String typedData = """
                {"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"version","type":"string"},
                  {"name":"chainId","type":"uint256"},{"name":"verifyingContract","type":"address"}],
                 "TransferWithAuthorization":[{"name":"from","type":"address"},{"name":"to","type":"address"},
                  {"name":"value","type":"uint256"},{"name":"validAfter","type":"uint256"},
                  {"name":"validBefore","type":"uint256"},{"name":"nonce","type":"bytes32"}]},
                 "primaryType":"TransferWithAuthorization",
                 "domain":{"name":"%s","version":"%s","chainId":%d,"verifyingContract":"%s"},
                 "message":{"from":"%s","to":"%s","value":"%s","validAfter":"%s","validBefore":"%s","nonce":"%s"}}
                """.formatted(d.get("name").asText(), d.get("version").asText(), d.get("chainId").asLong(),
                d.get("verifyingContract").asText(), m.get("from").asText(), m.get("to").asText(),
                m.get("value").asText(), m.get("validAfter").asText(), m.get("validBefore").asText(),
                m.get("nonce").asText());

        byte[] web3jDigest = new StructuredDataEncoder(typedData).hashStructuredData();

        assertThat(Numeric.toHexString(web3jDigest)).isEqualTo(Eip3009.digest(vectorDomain(), vectorMessage()).toHex());
    }

    @Test
    void recoversTheSignerAndNotTheSignerOfATamperedMessage() {
        SignedTransferAuthorization signed = Eip3009.sign(SIGNER, vectorDomain(), vectorMessage());
        SignedTransferAuthorization tampered = new SignedTransferAuthorization(
                vectorMessage().withValueMicros(vectorMessage().valueMicros() + 1), signed.v(), signed.r(), signed.s());

        assertThat(Eip3009.recoverSigner(vectorDomain(), signed)).isEqualTo(SIGNER.address());
        assertThat(Eip3009.recoverSigner(vectorDomain(), tampered)).isNotEqualTo(SIGNER.address());
    }

    @Test
    void refusesToSignForAnotherPayer() {
        LocalSigner other = LocalSigner.fromPrivateKeyHex("0x" + "11".repeat(32));

        assertThatIllegalArgumentException()
                .isThrownBy(() -> Eip3009.sign(other, vectorDomain(), vectorMessage()))
                .withMessageContaining("cannot authorize a transfer from " + vectorMessage().from());
    }

    @Test
    void refusesInvalidAuthorizations() {
        TransferAuthorization ok = vectorMessage();
        assertThatIllegalArgumentException().isThrownBy(() -> ok.withValueMicros(0));
        assertThatIllegalArgumentException().isThrownBy(() -> new TransferAuthorization(ok.from(), ok.to(), 1, 10, 10, ok.nonce()))
                .withMessageContaining("must be after validAfter");
        assertThatIllegalArgumentException().isThrownBy(() -> new TransferAuthorization(ok.from(), ok.from(), 1, 0, 10, ok.nonce()));
        assertThatIllegalArgumentException().isThrownBy(() -> new TransferAuthorization("0x1234", ok.to(), 1, 0, 10, ok.nonce()));
        String badChecksum = ok.to().replace("C44", "c44");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new TransferAuthorization(ok.from(), badChecksum, 1, 0, 10, ok.nonce()))
                .withMessageContaining("checksum");
        assertThat(new TransferAuthorization(ok.from(), ok.to().toLowerCase(), 1, 0, 10, ok.nonce()).to()).isEqualTo(ok.to());
    }

    @Test
    void refusesAHighSOrAnInvalidV() {
        SignedTransferAuthorization signed = Eip3009.sign(SIGNER, vectorDomain(), vectorMessage());
        Bytes32 highS = Bytes32.fromHex("0x" + "f".repeat(64));

        assertThatIllegalArgumentException().isThrownBy(
                () -> new SignedTransferAuthorization(signed.authorization(), signed.v(), signed.r(), highS));
        assertThatIllegalArgumentException().isThrownBy(
                () -> new SignedTransferAuthorization(signed.authorization(), 1, signed.r(), signed.s()));
    }
}

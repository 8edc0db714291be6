package dev.purser.wallet.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.Sign;
import org.web3j.crypto.SignedRawTransaction;
import org.web3j.crypto.TransactionDecoder;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.crypto.transaction.type.Transaction1559;

class LocalSignerTest {

    // Ganache's deterministic account 1: public knowledge, worthless outside a local chain.
    private static final String KEY = "0x6cbed15c793ce57650b9877cf6fa156fbef513c4e6134f022a85b1ffdd59b2a1";
    private static final String ADDRESS = "0xFFcf8FDEE72ac11b5c542428B35EEF5769C409f0";

    private final LocalSigner signer = LocalSigner.fromPrivateKeyHex(KEY);

    @Test
    void hasTheChecksummedAddressOfItsKey() {
        assertThat(signer.address()).isEqualTo(ADDRESS);
    }

    @Test
    void signsADigestAsItIsWithVOf27Or28() throws Exception {
        byte[] digest = Hash.sha3("anything".getBytes());

        Sign.SignatureData signature = signer.signDigest(digest);

        assertThat(signature.getV()[0]).isIn((byte) 27, (byte) 28);
        BigInteger recovered = Sign.signedMessageHashToKey(digest, signature);
        assertThat(Keys.toChecksumAddress(Keys.getAddress(recovered))).isEqualTo(ADDRESS);
        assertThat(signer.signDigest(digest).getR()).as("RFC 6979: deterministic").isEqualTo(signature.getR());
    }

    @Test
    void signsExactlyAsWeb3jDoesForRandomKeysAndDigests() {
        long seed = System.nanoTime();
        java.util.Random random = new java.util.Random(seed);
        for (int i = 0; i < 300; i++) {
            byte[] secret = new byte[32];
            random.nextBytes(secret);
            secret[0] &= 0x7f;
            secret[31] |= 1;
            byte[] digest = new byte[32];
            random.nextBytes(digest);
            org.web3j.crypto.ECKeyPair key = org.web3j.crypto.ECKeyPair.create(new BigInteger(1, secret));

            Sign.SignatureData ours = new LocalSigner(key).signDigest(digest);
            Sign.SignatureData web3j = Sign.signMessage(digest, key, false);

            assertThat(ours.getR()).as("seed %d, case %d", seed, i).isEqualTo(web3j.getR());
            assertThat(ours.getS()).as("seed %d, case %d", seed, i).isEqualTo(web3j.getS());
            assertThat(ours.getV()).as("seed %d, case %d", seed, i).isEqualTo(web3j.getV());
        }
    }

    @Test
    void refusesADigestThatIsNot32Bytes() {
        assertThatIllegalArgumentException().isThrownBy(() -> signer.signDigest(new byte[31]));
    }

    @Test
    void signsAnEip1559TransactionThatDecodesToItsAddressAndChain() throws Exception {
        RawTransaction tx = RawTransaction.createTransaction(1337, BigInteger.valueOf(5), BigInteger.valueOf(21_000),
                "0x0000000000000000000000000000000000000001", BigInteger.ONE, "0x", BigInteger.ONE,
                BigInteger.valueOf(2_000_000_000L));

        byte[] raw = signer.signTransaction(tx, 1337);

        SignedRawTransaction decoded = (SignedRawTransaction) TransactionDecoder.decode(org.web3j.utils.Numeric.toHexString(raw));
        assertThat(decoded.getFrom()).isEqualToIgnoringCase(ADDRESS);
        assertThat(((Transaction1559) decoded.getTransaction()).getChainId()).isEqualTo(1337);
        assertThat(decoded.getNonce()).isEqualTo(5);
    }

    @Test
    void signsTransactionsWithTheSameBytesAsWeb3j() {
        org.web3j.crypto.Credentials credentials = org.web3j.crypto.Credentials.create(KEY);
        for (int nonce = 0; nonce < 50; nonce++) {
            RawTransaction typed = RawTransaction.createTransaction(8453, BigInteger.valueOf(nonce), BigInteger.valueOf(90_000),
                    "0x0000000000000000000000000000000000000001", BigInteger.valueOf(nonce), "0xabcdef" + nonce % 10 + "0",
                    BigInteger.valueOf(1_000 + nonce), BigInteger.valueOf(2_000_000 + nonce));
            RawTransaction legacy = RawTransaction.createTransaction(BigInteger.valueOf(nonce), BigInteger.valueOf(1_000_000),
                    BigInteger.valueOf(21_000), "0x0000000000000000000000000000000000000002", BigInteger.TEN, "0x");

            assertThat(signer.signTransaction(typed, 8453)).isEqualTo(TransactionEncoder.signMessage(typed, 8453, credentials));
            assertThat(signer.signTransaction(legacy, 1337)).isEqualTo(TransactionEncoder.signMessage(legacy, 1337, credentials));
        }
    }

    @Test
    void refusesATypedTransactionForAnotherChain() {
        RawTransaction tx = RawTransaction.createTransaction(8453, BigInteger.ZERO, BigInteger.valueOf(21_000),
                "0x0000000000000000000000000000000000000001", BigInteger.ONE, "0x", BigInteger.ONE, BigInteger.TEN);

        assertThatIllegalArgumentException().isThrownBy(() -> signer.signTransaction(tx, 1337))
                .withMessageContaining("chain 8453");
    }

    @Test
    void refusesMalformedOrOutOfRangeKeysWithoutQuotingThem() {
        assertThatIllegalArgumentException().isThrownBy(() -> LocalSigner.fromPrivateKeyHex(KEY.substring(0, 60)))
                .withMessageNotContaining(KEY.substring(2, 20));
        assertThatIllegalArgumentException().isThrownBy(() -> LocalSigner.fromPrivateKeyHex("0x" + "0".repeat(64)))
                .withMessageContaining("outside");
        assertThatIllegalArgumentException().isThrownBy(() -> LocalSigner.fromPrivateKeyHex("0x" + "f".repeat(64)))
                .withMessageContaining("outside");
    }

    @Test
    void printsOnlyItsAddress() {
        assertThat(signer.toString()).isEqualTo("LocalSigner[" + ADDRESS + ", key redacted]").doesNotContain(KEY.substring(2));
    }
}

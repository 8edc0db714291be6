package dev.purser.wallet.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.MnemonicUtils;

class SeedEnvelopeTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String MNEMONIC = MnemonicUtils.generateMnemonic(new byte[32]);

    private final MasterKey key = MasterKey.generate(RANDOM);

    @Test
    void decryptsWhatItEncrypted() {
        byte[] envelope = SeedEnvelope.seal(key, MNEMONIC, RANDOM);

        assertThat(SeedEnvelope.open(key, envelope)).isEqualTo(MNEMONIC);
        assertThat(envelope[0]).isEqualTo(SeedEnvelope.VERSION_1);
        assertThat(new String(envelope, StandardCharsets.ISO_8859_1)).doesNotContain("abandon");
    }

    @Test
    void usesAFreshIvForEveryEncryption() {
        byte[] first = SeedEnvelope.seal(key, MNEMONIC, RANDOM);
        byte[] second = SeedEnvelope.seal(key, MNEMONIC, RANDOM);

        assertThat(Arrays.copyOfRange(first, 9, 21)).isNotEqualTo(Arrays.copyOfRange(second, 9, 21));
        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void refusesAnotherMasterKeyWithAClearException() {
        byte[] envelope = SeedEnvelope.seal(key, MNEMONIC, RANDOM);
        MasterKey other = MasterKey.generate(RANDOM);

        assertThatThrownBy(() -> SeedEnvelope.open(other, envelope))
                .isInstanceOf(WrongMasterKeyException.class)
                .hasMessageStartingWith("the master key does not decrypt the stored wallet seed");
    }

    @Test
    void refusesEveryAlteredByteAndNeverReturnsAMnemonic() {
        byte[] envelope = SeedEnvelope.seal(key, MNEMONIC, RANDOM);
        for (int i = 0; i < envelope.length; i++) {
            byte[] altered = envelope.clone();
            altered[i] ^= 0x01;
            int index = i;
            assertThatThrownBy(() -> SeedEnvelope.open(key, altered))
                    .as("flipping a bit of byte %d", index)
                    .isInstanceOfAny(CorruptSeedEnvelopeException.class, WrongMasterKeyException.class);
        }
    }

    @Test
    void refusesAnUnknownVersionATruncatedAndAnOversizedEnvelope() {
        byte[] envelope = SeedEnvelope.seal(key, MNEMONIC, RANDOM);
        byte[] version2 = envelope.clone();
        version2[0] = 2;

        assertThatThrownBy(() -> SeedEnvelope.open(key, version2))
                .isInstanceOf(CorruptSeedEnvelopeException.class).hasMessageContaining("unknown format version 2");
        assertThatThrownBy(() -> SeedEnvelope.open(key, Arrays.copyOf(envelope, 30)))
                .isInstanceOf(CorruptSeedEnvelopeException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> SeedEnvelope.open(key, new byte[SeedEnvelope.MAX_ENVELOPE_BYTES + 1]))
                .isInstanceOf(CorruptSeedEnvelopeException.class).hasMessageContaining("more than");
    }

    @Test
    void refusesACiphertextSealedForAnotherPurposeUnderTheSameKey() throws Exception {
        byte[] iv = new byte[12];
        RANDOM.nextBytes(iv);
        byte[] header = ByteBuffer.allocate(21).put(SeedEnvelope.VERSION_1).put(SeedEnvelope.keyCheck(key)).put(iv)
                .array();
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, key.aesKey(), new GCMParameterSpec(128, iv));
        cipher.updateAAD("purser/api-secret/v1".getBytes(StandardCharsets.US_ASCII));
        cipher.updateAAD(header);
        byte[] sealed = cipher.doFinal(MNEMONIC.getBytes(StandardCharsets.UTF_8));
        byte[] foreign = ByteBuffer.allocate(header.length + sealed.length).put(header).put(sealed).array();

        assertThatThrownBy(() -> SeedEnvelope.open(key, foreign))
                .isInstanceOf(CorruptSeedEnvelopeException.class)
                .hasMessageContaining("fails authentication");
    }
}

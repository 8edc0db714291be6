package dev.purser.wallet.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class MasterKeyTest {

    private static final String KEY_BASE64 = Base64.getEncoder().encodeToString(new byte[] {
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
        30, 31, 32});

    @Test
    void parsesThirtyTwoBytesOfBase64AndExportsThemUnchanged() {
        MasterKey key = MasterKey.fromBase64("  " + KEY_BASE64 + "\n");

        assertThat(key.exportBase64()).isEqualTo(KEY_BASE64);
        assertThat(key).isEqualTo(MasterKey.fromBase64(KEY_BASE64));
    }

    @Test
    void refusesAKeyOfTheWrongLengthWithoutQuotingIt() {
        String sixteenBytes = Base64.getEncoder().encodeToString("0123456789abcdef".getBytes());

        assertThatIllegalArgumentException()
                .isThrownBy(() -> MasterKey.fromBase64(sixteenBytes))
                .withMessageContaining("decodes to 16 bytes")
                .withMessageContaining("exactly 32 bytes")
                .withMessageNotContaining(sixteenBytes);
    }

    @Test
    void refusesTextThatIsNotBase64WithoutQuotingIt() {
        String notBase64 = "this is not base64 at all!!";

        assertThatIllegalArgumentException()
                .isThrownBy(() -> MasterKey.fromBase64(notBase64))
                .withMessageContaining("not valid base64")
                .withMessageNotContaining("this is not");
    }

    @Test
    void refusesAnEmptyOrHugeKey() {
        assertThatIllegalArgumentException().isThrownBy(() -> MasterKey.fromBase64("   "))
                .withMessageContaining("empty");
        assertThatIllegalArgumentException().isThrownBy(() -> MasterKey.fromBase64("A".repeat(10_000)))
                .withMessageContaining("too long");
    }

    @Test
    void neverPrintsItself() {
        MasterKey key = MasterKey.fromBase64(KEY_BASE64);

        assertThat(key.toString()).isEqualTo("MasterKey[redacted]").doesNotContain(KEY_BASE64);
        assertThat(String.valueOf(key.hashCode())).isNotEqualTo(KEY_BASE64);
    }

    @Test
    void generatesDistinctRandomKeys() {
        SecureRandom random = new SecureRandom();

        assertThat(MasterKey.generate(random)).isNotEqualTo(MasterKey.generate(random));
        assertThat(Base64.getDecoder().decode(MasterKey.generate(random).exportBase64())).hasSize(32);
    }
}

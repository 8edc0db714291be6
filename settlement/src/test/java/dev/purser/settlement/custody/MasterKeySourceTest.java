package dev.purser.settlement.custody;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.purser.settlement.config.PurserProperties;
import dev.purser.settlement.support.TestDataDirs;
import dev.purser.wallet.keys.MasterKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

/** Where the master key comes from, by profile. */
class MasterKeySourceTest {

    private static PurserProperties properties(String profile, Path dataDir, String masterKey) {
        return new PurserProperties(profile, dataDir, null, null, masterKey, null, null);
    }

    @Test
    void theBaseProfilesRefuseToStartWithoutAMasterKey() {
        Path dir = TestDataDirs.create("mk-base");
        for (String profile : new String[] {"base", "base-sepolia"}) {
            assertThatThrownBy(() -> MasterKeySource.resolve(properties(profile, dir, ""), new SecureRandom()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("PURSER_MASTER_KEY");
        }
        assertThat(dir.resolve(MasterKeySource.LOCAL_KEY_FILE)).doesNotExist();
    }

    @Test
    void theLocalProfileGeneratesOneKeyOnceAndReusesIt() throws Exception {
        Path dir = TestDataDirs.create("mk-local");
        MasterKey first = MasterKeySource.resolve(properties("local", dir, null), new SecureRandom());
        MasterKey second = MasterKeySource.resolve(properties("local", dir, null), new SecureRandom());
        assertThat(second).isEqualTo(first);
        assertThat(Files.getPosixFilePermissions(dir.resolve(MasterKeySource.LOCAL_KEY_FILE)).toString())
                .isEqualTo("[OWNER_READ, OWNER_WRITE]");
    }

    @Test
    void aConfiguredKeyWinsOverTheLocalFileAndABadOneIsAClearError() {
        Path dir = TestDataDirs.create("mk-configured");
        MasterKey configured = MasterKey.generate(new SecureRandom());
        assertThat(MasterKeySource.resolve(properties("base", dir, configured.exportBase64()), new SecureRandom()))
                .isEqualTo(configured);
        assertThatThrownBy(() -> MasterKeySource.resolve(properties("base", dir, "bm90LTMyLWJ5dGVz"), new SecureRandom()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("bm90LTMyLWJ5dGVz");
    }
}

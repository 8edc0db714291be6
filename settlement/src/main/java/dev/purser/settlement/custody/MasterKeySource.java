package dev.purser.settlement.custody;

import dev.purser.settlement.config.PurserProperties;
import dev.purser.wallet.keys.MasterKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the master key comes from: PURSER_MASTER_KEY, always, when it is set. Without it the Base
 * profiles refuse to start, and the local profile makes one in its data directory and says so
 * loudly, because a key stored beside the data it protects protects nothing in production.
 */
final class MasterKeySource {

    private static final Logger log = LoggerFactory.getLogger(MasterKeySource.class);
    static final String LOCAL_KEY_FILE = "master.key";

    private MasterKeySource() {}

    static MasterKey resolve(PurserProperties properties, SecureRandom random) {
        String configured = properties.masterKey();
        if (configured != null && !configured.isBlank()) {
            return MasterKey.fromBase64(configured.trim());
        }
        if (!properties.deploymentProfile().isLocal()) {
            throw new IllegalStateException("PURSER_MASTER_KEY (32 bytes, base64) is required with PURSER_PROFILE="
                    + properties.profile() + "; Purser will not create or guess one outside the local profile");
        }
        Path file = properties.dataDir().toAbsolutePath().resolve(LOCAL_KEY_FILE);
        try {
            if (!Files.exists(file)) {
                byte[] key = new byte[32];
                random.nextBytes(key);
                Files.createDirectories(file.getParent());
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(file, Base64.getEncoder().encodeToString(key) + "\n", StandardCharsets.US_ASCII);
                log.warn("""

                        ******************************************************************************
                        * LOCAL PROFILE: no PURSER_MASTER_KEY was given, so a new master key was     *
                        * generated into {}.
                        * It encrypts the wallet seed. Anyone who can read that file and the         *
                        * database holds every wallet key. Never run real money this way: set        *
                        * PURSER_MASTER_KEY from a secret store instead.                             *
                        ******************************************************************************""", file);
            } else {
                log.warn("LOCAL PROFILE: using the master key kept in {} (set PURSER_MASTER_KEY for anything but local"
                        + " development)", file);
            }
            return MasterKey.fromBase64(Files.readString(file, StandardCharsets.US_ASCII).trim());
        } catch (IOException e) {
            throw new UncheckedIOException("could not read or create the local master key " + file, e);
        }
    }
}

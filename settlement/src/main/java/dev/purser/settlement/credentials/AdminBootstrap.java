package dev.purser.settlement.credentials;

import dev.purser.settlement.common.Ids;
import dev.purser.settlement.config.PurserProperties;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.core.annotation.Order;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Makes sure an operator can get in. PURSER_BOOTSTRAP_ADMIN_SECRET is accepted from the first
 * start on. Without it, the first start that finds no admin credential generates one and prints
 * it once, on standard output and never through the logger. The local profile also keeps it in
 * its data directory (beside the local master key) so scripts/run-local.sh can show it again.
 */
@Component
@Order(10)
class AdminBootstrap implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(AdminBootstrap.class);
    static final String LOCAL_SECRET_FILE = "admin-secret";

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final PurserProperties properties;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final PrintStream console = System.out;

    AdminBootstrap(JdbcClient jdbc, TransactionTemplate tx, PurserProperties properties, Clock clock) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.properties = properties;
        this.clock = clock;
    }

    @Override
    public void run(ApplicationArguments args) {
        String configured = properties.bootstrapAdminSecret();
        if (configured != null && !configured.isBlank()) {
            CredentialSecret secret = CredentialSecret.parseOrNull(configured.trim());
            if (secret == null || !secret.scopePrefix().equals("admin") || !secret.hasFullEntropy()) {
                throw new IllegalStateException("PURSER_BOOTSTRAP_ADMIN_SECRET must look like psr_admin_ followed by"
                        + " at least 43 base64url characters (256 random bits)");
            }
            int inserted = insertAdmin(secret, "bootstrap (PURSER_BOOTSTRAP_ADMIN_SECRET)");
            if (inserted > 0) {
                log.info("Bootstrap admin credential from PURSER_BOOTSTRAP_ADMIN_SECRET registered");
            }
            return;
        }
        CredentialSecret generated = tx.execute(status -> {
            // One instance at a time decides, so two first starts cannot both print a secret.
            jdbc.sql("SELECT pg_advisory_xact_lock(hashtext('purser.admin-bootstrap'))").query().singleValue();
            boolean anyAdmin = jdbc.sql("SELECT EXISTS (SELECT 1 FROM credentials WHERE scope = 'admin')")
                    .query(Boolean.class).single();
            if (anyAdmin) {
                return null;
            }
            CredentialSecret secret = CredentialSecret.generate("admin", random);
            insertAdmin(secret, "bootstrap (generated)");
            return secret;
        });
        if (generated != null) {
            announce(generated);
        }
    }

    private int insertAdmin(CredentialSecret secret, String label) {
        return jdbc.sql("""
                INSERT INTO credentials (id, scope, label, secret_sha256, created_at)
                VALUES (:id, 'admin', :label, :hash, :now)
                ON CONFLICT (secret_sha256) DO NOTHING
                """)
                .param("id", Ids.newId("cred", clock.instant()))
                .param("label", label)
                .param("hash", secret.sha256())
                .param("now", java.sql.Timestamp.from(clock.instant()))
                .update();
    }

    private void announce(CredentialSecret secret) {
        console.println();
        console.println("==================================================================");
        console.println(" Purser generated the first admin credential. It is shown only now:");
        console.println();
        console.println("   " + secret.reveal());
        console.println();
        console.println(" Set PURSER_BOOTSTRAP_ADMIN_SECRET to choose your own instead.");
        console.println("==================================================================");
        console.println();
        if (properties.deploymentProfile().isLocal()) {
            writeLocalCopy(properties.dataDir().resolve(LOCAL_SECRET_FILE), secret);
        }
    }

    private static void writeLocalCopy(Path file, CredentialSecret secret) {
        try {
            Files.createDirectories(file.getParent());
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, secret.reveal() + "\n", StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("could not keep the local admin secret in " + file, e);
        }
    }
}

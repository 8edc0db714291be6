package dev.purser.settlement.custody;

import dev.purser.settlement.config.PurserProperties;
import dev.purser.wallet.keys.HdWallet;
import java.security.SecureRandom;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Opens the deployment's HD wallet at start: the seed is read from PostgreSQL and decrypted with
 * the master key, or created and stored encrypted on the very first start. A master key that does
 * not decrypt the stored seed stops the start with a clear error.
 */
@Configuration(proxyBeanMethods = false)
class CustodyConfiguration {

    @Bean
    @DependsOnDatabaseInitialization
    Custody custody(PurserProperties properties, JdbcClient jdbc) {
        SecureRandom random = new SecureRandom();
        HdWallet wallet = HdWallet.openOrCreate(
                MasterKeySource.resolve(properties, random), new JdbcEncryptedSeedStore(jdbc), random);
        return new Custody(wallet);
    }
}

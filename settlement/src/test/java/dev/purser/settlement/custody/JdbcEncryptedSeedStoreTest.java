package dev.purser.settlement.custody;

import dev.purser.settlement.support.MigratedDatabase;
import dev.purser.wallet.keys.EncryptedSeedStore;
import dev.purser.wallet.keys.EncryptedSeedStoreContract;

/** The wallet seed in PostgreSQL keeps every promise of EncryptedSeedStore (first writer wins). */
class JdbcEncryptedSeedStoreTest extends EncryptedSeedStoreContract {

    @Override
    protected EncryptedSeedStore emptyStore() {
        MigratedDatabase db = MigratedDatabase.shared();
        db.jdbc().sql("TRUNCATE wallet_seed").update();
        return new JdbcEncryptedSeedStore(db.jdbc());
    }
}

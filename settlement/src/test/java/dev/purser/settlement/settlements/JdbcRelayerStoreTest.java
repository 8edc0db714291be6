package dev.purser.settlement.settlements;

import dev.purser.settlement.support.MigratedDatabase;
import dev.purser.wallet.tx.RelayerStore;
import dev.purser.wallet.tx.RelayerStoreContract;

/** The PostgreSQL relayer store keeps every promise of RelayerStore (the wallet module's contract tests). */
class JdbcRelayerStoreTest extends RelayerStoreContract {

    @Override
    protected RelayerStore emptyStore() {
        MigratedDatabase db = MigratedDatabase.shared();
        db.jdbc().sql("TRUNCATE relayer_attempt, relayer_transaction, relayer_nonce CASCADE").update();
        return new JdbcRelayerStore(db.jdbc(), db.tx());
    }
}

package dev.purser.wallet.keys;

class InMemoryEncryptedSeedStoreTest extends EncryptedSeedStoreContract {

    @Override
    protected EncryptedSeedStore emptyStore() {
        return new InMemoryEncryptedSeedStore();
    }
}

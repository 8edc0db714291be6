package dev.purser.wallet.tx;

class InMemoryRelayerStoreTest extends RelayerStoreContract {

    @Override
    protected RelayerStore emptyStore() {
        return new InMemoryRelayerStore();
    }
}

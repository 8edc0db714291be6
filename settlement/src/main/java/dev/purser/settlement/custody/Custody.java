package dev.purser.settlement.custody;

import dev.purser.wallet.keys.HdWallet;
import dev.purser.wallet.keys.Signer;

/**
 * The deployment's wallets as the rest of the service sees them: addresses, and signers whose
 * keys never leave the wallet module.
 */
public final class Custody {

    private final HdWallet wallet;

    Custody(HdWallet wallet) {
        this.wallet = wallet;
    }

    /** Agent wallet {@code index}, at m/44'/60'/0'/0/index, EIP-55. */
    public String agentAddress(long index) {
        return wallet.agentAddress(index);
    }

    public Signer agentSigner(long index) {
        return wallet.agentSigner(index);
    }

    /** The treasury, at m/44'/60'/1'/0/0: funds agent wallets. */
    public Signer treasury() {
        return wallet.treasury();
    }

    /** The relayer, at m/44'/60'/2'/0/0: holds ETH only and pays the gas of settlements. */
    public Signer relayer() {
        return wallet.relayer();
    }

    @Override
    public String toString() {
        return "Custody[<keys redacted>]";
    }
}

package dev.purser.wallet.keys;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Bip32ECKeyPair;
import org.web3j.crypto.MnemonicUtils;

/**
 * The deployment's HD wallet: one BIP-39 seed, kept encrypted at rest, from which every Purser key
 * is derived (BIP-32/44, coin type 60):
 *
 * <ul>
 *   <li>agent wallet <i>n</i>: {@code m/44'/60'/0'/0/n}</li>
 *   <li>treasury: {@code m/44'/60'/1'/0/0}</li>
 *   <li>relayer (pays gas, holds ETH only): {@code m/44'/60'/2'/0/0}</li>
 * </ul>
 *
 * <p>Contract: keys leave only as {@link Signer}s. The instance keeps the three account-level
 * nodes it needs and forgets the seed and mnemonic once they are derived; it is thread-safe and
 * redacted in {@code toString}.
 */
public final class HdWallet {

    /** Largest agent index: BIP-32 non-hardened children are numbered 0 to 2^31 - 1. */
    public static final long MAX_AGENT_INDEX = Integer.MAX_VALUE;

    private static final Logger log = LoggerFactory.getLogger(HdWallet.class);
    private static final int H = Bip32ECKeyPair.HARDENED_BIT;
    // 256 bits of entropy give the 24-word mnemonic DESIGN.md asks for.
    private static final int ENTROPY_BYTES = 32;
    // Agent signers are cached because deriving one costs an elliptic-curve multiplication; the
    // bound keeps a service with millions of agents from holding every key in memory.
    private static final int AGENT_CACHE_MAX = 4096;

    private final Bip32ECKeyPair agentChain;
    private final LocalSigner treasury;
    private final LocalSigner relayer;
    private final SeedOrigin origin;
    private final Map<Long, LocalSigner> agents = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, LocalSigner> eldest) {
            return size() > AGENT_CACHE_MAX;
        }
    };

    private HdWallet(String mnemonic, SeedOrigin origin) {
        if (!MnemonicUtils.validateMnemonic(mnemonic)) {
            // Never quote the words: a mnemonic that is almost right is still a secret.
            throw new IllegalArgumentException("not a valid BIP-39 mnemonic (English word list, correct checksum)");
        }
        byte[] seed = MnemonicUtils.generateSeed(mnemonic, "");
        try {
            Bip32ECKeyPair master = Bip32ECKeyPair.generateKeyPair(seed);
            this.agentChain = Bip32ECKeyPair.deriveKeyPair(master, new int[] {44 | H, 60 | H, 0 | H, 0});
            this.treasury = new LocalSigner(Bip32ECKeyPair.deriveKeyPair(master, new int[] {44 | H, 60 | H, 1 | H, 0, 0}));
            this.relayer = new LocalSigner(Bip32ECKeyPair.deriveKeyPair(master, new int[] {44 | H, 60 | H, 2 | H, 0, 0}));
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
        this.origin = origin;
    }

    /**
     * Opens the deployment's wallet: decrypts the stored seed, or, when the store is empty,
     * generates a fresh 24-word mnemonic, stores it encrypted and uses whichever envelope the store
     * kept (another instance may have stored its own first).
     *
     * @throws WrongMasterKeyException if the stored seed was encrypted under another master key
     * @throws CorruptSeedEnvelopeException if the stored envelope is damaged or holds no valid mnemonic
     */
    public static HdWallet openOrCreate(MasterKey masterKey, EncryptedSeedStore store, SecureRandom random) {
        Objects.requireNonNull(masterKey, "masterKey");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(random, "random");
        Optional<byte[]> stored = store.load();
        SeedOrigin origin = SeedOrigin.LOADED;
        byte[] envelope;
        if (stored.isPresent()) {
            envelope = stored.get();
        } else {
            byte[] entropy = new byte[ENTROPY_BYTES];
            random.nextBytes(entropy);
            String fresh = MnemonicUtils.generateMnemonic(entropy);
            Arrays.fill(entropy, (byte) 0);
            byte[] sealed = SeedEnvelope.seal(masterKey, fresh, random);
            envelope = store.saveIfAbsent(sealed);
            if (Arrays.equals(envelope, sealed)) {
                origin = SeedOrigin.CREATED;
            } else {
                log.info("another instance stored the wallet seed first; using the stored one");
            }
        }
        // Decrypting what the store holds (even right after creating it) proves the stored copy is
        // readable before any wallet address is handed out.
        String mnemonic = SeedEnvelope.open(masterKey, envelope);
        if (!MnemonicUtils.validateMnemonic(mnemonic)) {
            throw new CorruptSeedEnvelopeException("the stored wallet seed decrypts to something that is not a "
                    + "valid BIP-39 mnemonic");
        }
        HdWallet wallet = new HdWallet(mnemonic, origin);
        log.debug("wallet seed {}; relayer {}, treasury {}", origin == SeedOrigin.CREATED ? "created" : "loaded",
                wallet.relayer.address(), wallet.treasury.address());
        return wallet;
    }

    /**
     * A wallet over a known mnemonic (empty BIP-39 passphrase), for tests and vectors. Production
     * code uses {@link #openOrCreate}.
     *
     * @throws IllegalArgumentException if the mnemonic is not valid BIP-39 English
     */
    public static HdWallet fromMnemonic(String mnemonic) {
        Objects.requireNonNull(mnemonic, "mnemonic");
        return new HdWallet(mnemonic, SeedOrigin.GIVEN);
    }

    /** Where the seed came from; {@link SeedOrigin#CREATED} tells the service to say so loudly. */
    public SeedOrigin origin() {
        return origin;
    }

    /** The EIP-55 checksummed address of agent wallet {@code n} ({@code m/44'/60'/0'/0/n}). */
    public String agentAddress(long n) {
        return agentSigner(n).address();
    }

    /**
     * The signer of agent wallet {@code n} ({@code m/44'/60'/0'/0/n}).
     *
     * @throws IllegalArgumentException unless 0 &lt;= n &lt;= {@link #MAX_AGENT_INDEX}
     */
    public Signer agentSigner(long n) {
        if (n < 0 || n > MAX_AGENT_INDEX) {
            throw new IllegalArgumentException("agent index must be between 0 and " + MAX_AGENT_INDEX + ", got " + n);
        }
        synchronized (agents) {
            LocalSigner cached = agents.get(n);
            if (cached != null) {
                return cached;
            }
        }
        LocalSigner derived = new LocalSigner(Bip32ECKeyPair.deriveKeyPair(agentChain, new int[] {(int) n}));
        log.debug("derived agent wallet {} at m/44'/60'/0'/0/{}", derived.address(), n);
        synchronized (agents) {
            agents.putIfAbsent(n, derived);
            return agents.get(n);
        }
    }

    /** The treasury's signer ({@code m/44'/60'/1'/0/0}). */
    public Signer treasury() {
        return treasury;
    }

    /** The relayer's signer ({@code m/44'/60'/2'/0/0}): pays gas, holds ETH only. */
    public Signer relayer() {
        return relayer;
    }

    @Override
    public String toString() {
        return "HdWallet[" + origin + ", seed redacted]";
    }
}

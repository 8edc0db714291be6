package dev.purser.wallet.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import dev.purser.contracts.testing.GanacheExtension;
import dev.purser.contracts.testing.GanacheNode;
import dev.purser.wallet.eip3009.Bytes32;
import dev.purser.wallet.eip3009.Eip3009;
import dev.purser.wallet.eip3009.Eip712Domain;
import dev.purser.wallet.eip3009.SignedTransferAuthorization;
import dev.purser.wallet.eip3009.TransferAuthorization;
import dev.purser.wallet.tx.InMemoryRelayerStore;
import dev.purser.wallet.tx.SenderConfig;
import dev.purser.wallet.tx.StoredTransaction;
import dev.purser.wallet.tx.TransactionRequest;
import dev.purser.wallet.tx.TransactionSender;
import dev.purser.wallet.tx.TransactionStatus;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.Transfer;
import org.web3j.utils.Convert;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Bip32ECKeyPair;
import org.web3j.crypto.MnemonicUtils;
import org.web3j.crypto.RawTransaction;

/**
 * Runs the whole custody, signing and sending flow with every logger at DEBUG (web3j's HTTP
 * bodies included) and checks that no secret reaches the logs, standard output, standard error,
 * any {@code toString} or any exception message.
 */
@ExtendWith(GanacheExtension.class)
class SecretsNeverLoggedTest {

    private static final Logger log = LoggerFactory.getLogger(SecretsNeverLoggedTest.class);
    private static final int H = Bip32ECKeyPair.HARDENED_BIT;

    private final LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private PrintStream originalOut;
    private PrintStream originalErr;
    private Level originalLevel;

    @BeforeEach
    void captureEverything() {
        ch.qos.logback.classic.Logger root = logging.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        originalLevel = root.getLevel();
        root.setLevel(Level.DEBUG);
        logging.getLoggerList().forEach(l -> {
            if (l.getLevel() != null && l != root) {
                l.setLevel(Level.DEBUG);
            }
        });
        events.start();
        root.addAppender(events);
        originalOut = System.out;
        originalErr = System.err;
        PrintStream tee = new PrintStream(console, true, StandardCharsets.UTF_8);
        System.setOut(tee);
        System.setErr(tee);
    }

    @AfterEach
    void restore() {
        System.setOut(originalOut);
        System.setErr(originalErr);
        ch.qos.logback.classic.Logger root = logging.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAppender(events);
        root.setLevel(originalLevel);
        // Put back the levels logback-test.xml configured.
        logging.getLogger("org.web3j.protocol.http").setLevel(Level.INFO);
        logging.getLogger("okhttp3").setLevel(Level.INFO);
    }

    @Test
    void noKeySeedMnemonicOrMasterKeyAppearsInAnyOutputOfTheFullFlow(GanacheNode node) throws Exception {
        SecureRandom random = new SecureRandom();
        MasterKey masterKey = MasterKey.generate(random);
        InMemoryEncryptedSeedStore store = new InMemoryEncryptedSeedStore();
        List<String> rendered = new ArrayList<>();

        HdWallet wallet = HdWallet.openOrCreate(masterKey, store, random);
        HdWallet reopened = HdWallet.openOrCreate(masterKey, store, random);
        Signer agent = wallet.agentSigner(3);
        Signer merchant = reopened.agentSigner(4);
        Eip712Domain domain = new Eip712Domain("USD Coin", "2", 8453, "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913");
        TransferAuthorization authorization = new TransferAuthorization(agent.address(), merchant.address(), 2_100_000,
                0, 1_767_225_600L, Bytes32.of(new byte[32]));
        SignedTransferAuthorization signed = Eip3009.sign(agent, domain, authorization);
        RawTransaction tx = RawTransaction.createTransaction(8453, BigInteger.ZERO, BigInteger.valueOf(21_000),
                wallet.treasury().address(), BigInteger.ONE, "0x", BigInteger.ONE, BigInteger.TEN);
        byte[] rawTx = wallet.relayer().signTransaction(tx, 8453);
        log.debug("flow: {} {} {} {} {} {} {} {} {}", masterKey, store, wallet, reopened, agent, wallet.treasury(),
                wallet.relayer(), signed, HexFormat.of().formatHex(rawTx));
        rendered.addAll(List.of(masterKey.toString(), store.toString(), wallet.toString(), agent.toString(),
                wallet.relayer().toString(), wallet.treasury().toString(), signed.toString()));

        // The relayer key sends a real transaction; built now, web3j's client logs every HTTP body.
        Transfer.sendFunds(node.web3j(), node.account(9), wallet.relayer().address(), BigDecimal.ONE, Convert.Unit.ETHER)
                .send();
        Web3j debugWeb3j = Web3j.build(new HttpService(node.rpcUrl()));
        try (TransactionSender sender = TransactionSender.start(
                SenderConfig.builder(GanacheNode.CHAIN_ID, BigInteger.valueOf(100_000_000_000L))
                        .pollInterval(Duration.ofMillis(50)).build(),
                debugWeb3j, wallet.relayer(), new InMemoryRelayerStore())) {
            StoredTransaction sent = sender.send(TransactionRequest.transfer("secrets-flow", merchant.address(),
                    BigInteger.ONE)).resolved().get(30, TimeUnit.SECONDS);
            assertThat(sent.status()).isEqualTo(TransactionStatus.MINED);
            rendered.add(sent.toString());
        } finally {
            debugWeb3j.shutdown();
        }

        // Failures are logged the way a service logs them: message and stack trace.
        Throwable wrongKey = catchThrown(() -> HdWallet.openOrCreate(MasterKey.generate(random), store, random));
        log.error("could not open the wallet", wrongKey);
        String mnemonic = SeedEnvelope.open(masterKey, store.load().orElseThrow());
        String almost = mnemonic.substring(0, mnemonic.lastIndexOf(' ')) + " zoo";
        Throwable badMnemonic = catchThrown(() -> HdWallet.fromMnemonic(almost));
        log.error("could not import the wallet", badMnemonic);
        Throwable badMasterKey = catchThrown(() -> MasterKey.fromBase64(masterKey.exportBase64().substring(4)));
        log.error("bad master key", badMasterKey);
        rendered.addAll(List.of(Objects.toString(wrongKey.getMessage()), Objects.toString(badMnemonic.getMessage()),
                Objects.toString(badMasterKey.getMessage())));

        String everything = events.list.stream()
                        .map(e -> e.getFormattedMessage() + "\n"
                                + (e.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(e.getThrowableProxy())))
                        .collect(Collectors.joining("\n"))
                + console.toString(StandardCharsets.UTF_8) + String.join("\n", rendered);

        assertThat(events.list).as("DEBUG logging really was on").anyMatch(e -> e.getLevel() == Level.DEBUG);
        assertThat(events.list).as("web3j's HTTP bodies were logged").anyMatch(e -> e.getFormattedMessage().contains("eth_sendRawTransaction"));
        assertThat(everything).contains(agent.address());
        Map<String, String> secrets = secretsOf(masterKey, mnemonic);
        secrets.forEach((what, secret) -> assertThat(everything).as(what).doesNotContainIgnoringCase(secret));
        String[] words = mnemonic.split(" ");
        for (int i = 0; i + 4 <= words.length; i++) {
            String window = String.join(" ", List.of(words).subList(i, i + 4));
            assertThat(everything).as("mnemonic words %d to %d", i, i + 3).doesNotContain(window);
        }
    }

    /** Every secret of the flow, computed independently of the code under test. */
    private static Map<String, String> secretsOf(MasterKey masterKey, String mnemonic) {
        byte[] seed = MnemonicUtils.generateSeed(mnemonic, "");
        Bip32ECKeyPair root = Bip32ECKeyPair.generateKeyPair(seed);
        Bip32ECKeyPair agent3 = Bip32ECKeyPair.deriveKeyPair(root, new int[] {44 | H, 60 | H, 0 | H, 0, 3});
        Bip32ECKeyPair relayer = Bip32ECKeyPair.deriveKeyPair(root, new int[] {44 | H, 60 | H, 2 | H, 0, 0});
        Bip32ECKeyPair treasury = Bip32ECKeyPair.deriveKeyPair(root, new int[] {44 | H, 60 | H, 1 | H, 0, 0});
        byte[] master = java.util.Base64.getDecoder().decode(masterKey.exportBase64());
        return Map.ofEntries(
                Map.entry("mnemonic", mnemonic),
                Map.entry("seed hex", HexFormat.of().formatHex(seed)),
                Map.entry("root private key hex", root.getPrivateKey().toString(16)),
                Map.entry("agent private key hex", agent3.getPrivateKey().toString(16)),
                Map.entry("agent private key decimal", agent3.getPrivateKey().toString()),
                Map.entry("relayer private key hex", relayer.getPrivateKey().toString(16)),
                Map.entry("relayer private key decimal", relayer.getPrivateKey().toString()),
                Map.entry("treasury private key hex", treasury.getPrivateKey().toString(16)),
                Map.entry("master key base64", masterKey.exportBase64()),
                Map.entry("master key base64 without padding", masterKey.exportBase64().replace("=", "").substring(0, 40)),
                Map.entry("master key hex", HexFormat.of().formatHex(master)));
    }

    private static Throwable catchThrown(Runnable action) {
        Throwable[] thrown = new Throwable[1];
        assertThatThrownBy(() -> {
            try {
                action.run();
            } catch (RuntimeException e) {
                thrown[0] = e;
                throw e;
            }
        }).isNotNull();
        return thrown[0];
    }
}

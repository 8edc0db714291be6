package dev.purser.contracts.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.Request;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/**
 * A real Ganache node, started from the copy pinned in {@code contracts/package-lock.json} on a
 * free loopback port, with deterministic accounts and chain id 1337. Close it to stop the
 * process. Tests that rewind the chain or stop the miner should start their own node; the rest
 * share one through {@link GanacheExtension}.
 */
public final class GanacheNode implements AutoCloseable {

    /** Chain id of every local chain Purser's tests start. */
    public static final long CHAIN_ID = 1337;

    /**
     * Private keys of Ganache's {@code --wallet.deterministic} accounts 0 to 9. They are public
     * knowledge and hold value only on this local chain.
     */
    public static final List<String> DETERMINISTIC_KEYS = List.of(
            "0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d",
            "0x6cbed15c793ce57650b9877cf6fa156fbef513c4e6134f022a85b1ffdd59b2a1",
            "0x6370fd033278c143179d81c5526140625662b8daa446c22ee2d73db3707e620c",
            "0x646f1ce2fdad0e6deeeb5c7e8e5543bdde65e86029e2fd9fc169899c440a7913",
            "0xadd53f9a7e588d003326d1cbf9e4a43c061aadd9bc938c843a79e7b4fd2ad743",
            "0x395df67f0c2d2d9fe1ad08d1bc8b6627011959b79c53d7dd6a3536a33ab8a4fd",
            "0xe485d098507f54e7733a205420dfddbe58db035fa577fc294ebd14db90767a52",
            "0xa453611d9419d0e56f499079478fd72c37b251a94bfde4d19872c44cf65386e3",
            "0x829e924fdf021ba3dbbc4225edfece9aca04b929d6e75613329ca6f1d31c0bb4",
            "0xb0057716d5917badaf911b193b12b910811c1497b5bada8d7711f758981c3773");

    private static final Logger log = LoggerFactory.getLogger(GanacheNode.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final BigInteger HUNDRED_ETH_WEI = BigInteger.TEN.pow(20);

    private final Process process;
    private final int port;
    private final HttpService http;
    private final Web3j web3j;
    private final Path logFile;

    private GanacheNode(Process process, int port, Path logFile) {
        this.process = process;
        this.port = port;
        this.logFile = logFile;
        this.http = new HttpService(rpcUrl());
        this.web3j = Web3j.build(http);
    }

    /** Starts a node with the default options and waits until it answers. */
    public static GanacheNode start() {
        return start(List.of());
    }

    /** Starts a node with extra Ganache command-line options and waits until it answers. */
    public static GanacheNode start(List<String> extraOptions) {
        Path contracts = contractsDir();
        Path cli = contracts.resolve("node_modules/ganache/dist/node/cli.js");
        if (!Files.isRegularFile(cli)) {
            throw new IllegalStateException("Ganache is not installed at " + cli
                    + "; build the contracts module first (it runs npm ci)");
        }
        int port = freePort();
        List<String> command = new ArrayList<>(List.of(
                System.getenv().getOrDefault("PURSER_NODE", "node"), cli.toString(),
                "--chain.chainId", Long.toString(CHAIN_ID),
                "--chain.hardfork", "shanghai",
                "--wallet.deterministic",
                "--wallet.totalAccounts", "10",
                "--miner.blockGasLimit", "30000000",
                "--server.host", "127.0.0.1",
                "--server.port", Integer.toString(port),
                "--logging.quiet"));
        command.addAll(extraOptions);
        try {
            Path logFile = Files.createTempFile("ganache-" + port + "-", ".log");
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(logFile.toFile())
                    .start();
            GanacheNode node = new GanacheNode(process, port, logFile);
            node.awaitReady();
            log.info("Ganache started on {} (pid {})", node.rpcUrl(), process.pid());
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start Ganache", e);
        }
    }

    /** The contracts module's folder, where node_modules holds the pinned Ganache and solc. */
    public static Path contractsDir() {
        String configured = System.getProperty("purser.contracts.dir");
        if (configured != null && Files.isDirectory(Paths.get(configured))) {
            return Paths.get(configured).toAbsolutePath();
        }
        // Outside Maven (an IDE run), walk up from the working directory.
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("contracts/package.json"))) {
                return p.resolve("contracts");
            }
            if (Files.isRegularFile(p.resolve("package.json")) && p.getFileName().toString().equals("contracts")) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the contracts module; set -Dpurser.contracts.dir");
    }

    public String rpcUrl() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public Web3j web3j() {
        return web3j;
    }

    /** Deterministic account {@code index} (0 to 9), funded with 1000 ETH at genesis. */
    public Credentials account(int index) {
        return Credentials.create(DETERMINISTIC_KEYS.get(index));
    }

    /**
     * A new account with a random key and 100 ETH for gas, set directly in the node's state (no
     * transaction, so no sender nonce is shared with other tests). It holds no TestUSDC.
     */
    public Credentials fundedAccount() {
        Credentials account = newAccount();
        call("evm_setAccountBalance", List.of(account.getAddress(), Numeric.toHexStringWithPrefix(HUNDRED_ETH_WEI)));
        return account;
    }

    /** A new account with a random key and nothing on chain: a payer that never sends transactions. */
    public static Credentials newAccount() {
        try {
            return Credentials.create(Keys.createEcKeyPair());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot create a key pair", e);
        }
    }

    /** The timestamp (seconds) of the latest block: the next block's is at least this. */
    public long latestBlockTimestamp() {
        return blockTimestamp(DefaultBlockParameterName.LATEST);
    }

    /** The timestamp (seconds) of block {@code number}, e.g. the block of a receipt. */
    public long blockTimestamp(BigInteger number) {
        return blockTimestamp(DefaultBlockParameter.valueOf(number));
    }

    private long blockTimestamp(DefaultBlockParameter block) {
        try {
            return web3j.ethGetBlockByNumber(block, false).send().getBlock().getTimestamp().longValueExact();
        } catch (IOException e) {
            throw new UncheckedIOException("eth_getBlockByNumber failed", e);
        }
    }

    /** Mines one block now. */
    public void mine() {
        call("evm_mine", List.of());
    }

    /** Takes a snapshot of the chain and returns its id, for {@link #revert(String)}. */
    public String snapshot() {
        return (String) call("evm_snapshot", List.of());
    }

    /** Rewinds the chain to a snapshot; the blocks after it are forgotten. */
    public void revert(String snapshotId) {
        Object ok = call("evm_revert", List.of(snapshotId));
        if (!Boolean.TRUE.equals(ok)) {
            throw new IllegalStateException("evm_revert(" + snapshotId + ") answered " + ok);
        }
    }

    /** Stops mining: transactions stay in the pool until {@link #startMiner()}. */
    public void stopMiner() {
        call("miner_stop", List.of());
    }

    public void startMiner() {
        call("miner_start", List.of());
    }

    /** Sets the next block's timestamp (seconds), then mines nothing: the next block uses it. */
    public void setNextBlockTimestamp(long epochSeconds) {
        call("evm_setTime", List.of(epochSeconds * 1000));
    }

    /** Advances the chain's clock by {@code seconds} and mines a block. */
    public void increaseTime(long seconds) {
        call("evm_increaseTime", List.of(seconds));
        mine();
    }

    /** Sends a raw JSON-RPC call and returns its result, failing on an error answer. */
    public Object call(String method, List<?> params) {
        try {
            Response<?> response = new Request<>(method, params, http, GenericResponse.class).send();
            if (response.hasError()) {
                throw new IllegalStateException(method + " failed: " + response.getError().getMessage());
            }
            return response.getResult();
        } catch (IOException e) {
            throw new UncheckedIOException(method + " failed", e);
        }
    }

    /** The node's own output, for a failing test's message. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(logFile);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private void awaitReady() {
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Ganache exited with " + process.exitValue() + ":\n" + logTail());
            }
            try {
                long chainId = web3j.ethChainId().send().getChainId().longValueExact();
                if (chainId == CHAIN_ID) {
                    return;
                }
            } catch (Exception notYet) {
                // The port is not open yet; poll again shortly.
            }
            sleep(Duration.ofMillis(200));
        }
        close();
        throw new IllegalStateException("Ganache did not answer within " + START_TIMEOUT + ":\n" + logTail());
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        web3j.shutdown();
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(logFile);
        } catch (IOException ignored) {
            // A leftover temporary log file is harmless.
        }
    }

    /** A JSON-RPC answer whose result is left as Jackson decodes it. */
    public static final class GenericResponse extends Response<Object> {}
}

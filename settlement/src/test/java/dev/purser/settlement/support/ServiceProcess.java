package dev.purser.settlement.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One Purser service running as a child JVM started from the test classpath, so that a test can
 * kill it with SIGKILL ({@link #kill9()}) exactly as an operating system or an operator would, and
 * start it again over the same PostgreSQL and chain. Its output goes to a log file (appended
 * across restarts) that a failing test can quote.
 *
 * <p>The child's configuration is command-line {@code --purser.…} arguments: application.yml maps
 * every purser.* property from the environment, and command-line arguments override both.
 */
public final class ServiceProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
    /**
     * A class-data archive shared by every child of this test JVM: the first child that exits
     * normally writes it, and later starts (the tests restart the service dozens of times) load
     * Spring's classes from it instead of parsing them again.
     */
    private static final Path CDS_ARCHIVE = Paths.get("target", "purser-child-" + ProcessHandle.current().pid() + ".jsa")
            .toAbsolutePath();

    private final String name;
    private final int port;
    private final Path logFile;
    private final Map<String, String> properties;
    private Process process;
    private Instant startedAt;

    private ServiceProcess(String name, int port, Path logFile, Map<String, String> properties) {
        this.name = name;
        this.port = port;
        this.logFile = logFile;
        this.properties = properties;
    }

    /**
     * A service that is not running yet: {@code properties} are purser.* (and any Spring) properties
     * without the leading dashes; {@code server.port} is set to {@code port}.
     */
    public static ServiceProcess configure(String name, int port, Path logFile, Map<String, String> properties) {
        Map<String, String> all = new LinkedHashMap<>(properties);
        all.put("server.port", Integer.toString(port));
        // A killed child answers nothing; a stopped one should not linger for the graceful period.
        all.putIfAbsent("spring.lifecycle.timeout-per-shutdown-phase", "5s");
        return new ServiceProcess(name, port, logFile, all);
    }

    /** The properties every child of these tests shares: one PostgreSQL, one chain, fixed secrets. */
    public static Map<String, String> baseProperties(Path dataDir, String jdbcUrl, String rpcUrl, String token,
            String batchSettler, String masterKey, String adminSecret) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("purser.profile", "local");
        p.put("purser.data-dir", dataDir.toString());
        p.put("purser.db.url", jdbcUrl);
        p.put("purser.db.user", "postgres");
        p.put("purser.db.password", "");
        p.put("purser.master-key", masterKey);
        p.put("purser.bootstrap-admin-secret", adminSecret);
        p.put("purser.chain.rpc-url", rpcUrl);
        p.put("purser.chain.token-address", token);
        p.put("purser.chain.batch-settler-address", batchSettler);
        return p;
    }

    /**
     * A free loopback port below the kernel's ephemeral range (32768 and up on Linux), so that no
     * outgoing connection of another process takes it between this check and the child's bind.
     */
    public static int freePort() {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++) {
            int candidate = 20_000 + random.nextInt(12_000);
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(true);
                socket.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), candidate));
                return candidate;
            } catch (IOException taken) {
                // Try another.
            }
        }
        throw new IllegalStateException("no free port between 20000 and 32000");
    }

    private static final Path CHILD_JARS = Paths.get("target", "child-classpath-" + ProcessHandle.current().pid())
            .toAbsolutePath();
    private static String childClasspath;
    /** Children still running when the test JVM exits (a failed or interrupted test) are killed. */
    private static final java.util.Set<Process> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LIVE.forEach(Process::destroyForcibly);
            // The archive and the packed classes are this test JVM's alone (named by its pid).
            deleteQuietly(CDS_ARCHIVE);
            deleteQuietly(CHILD_JARS);
        }, "purser-children-stop"));
    }

    /**
     * The test classpath with each directory (target/classes, target/test-classes) packed into a
     * jar once per test JVM: the JVM's class-data archive accepts jars only, and it is what makes a
     * restarted child start in a few seconds rather than ten.
     */
    static synchronized String childClasspath() {
        if (childClasspath != null) {
            return childClasspath;
        }
        List<String> entries = new ArrayList<>();
        Path jars = CHILD_JARS;
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Paths.get(entry);
            if (Files.isDirectory(p)) {
                Path jar = jars.resolve((n++) + "-" + p.getFileName() + ".jar");
                jarDirectory(p, jar);
                entries.add(jar.toString());
            } else if (!entry.isBlank()) {
                entries.add(entry);
            }
        }
        childClasspath = String.join(java.io.File.pathSeparator, entries);
        return childClasspath;
    }

    private static void deleteQuietly(Path path) {
        try {
            if (Files.isDirectory(path)) {
                try (var files = Files.walk(path)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            } else {
                Files.deleteIfExists(path);
            }
        } catch (IOException | RuntimeException ignored) {
            // Left in target/, which mvn clean removes.
        }
    }

    private static void jarDirectory(Path dir, Path jar) {
        try {
            Files.createDirectories(jar.getParent());
            try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar));
                    var files = Files.walk(dir)) {
                for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                    String name = dir.relativize(f).toString().replace(java.io.File.separatorChar, '/');
                    if (name.isEmpty()) {
                        continue;
                    }
                    if (Files.isDirectory(f)) {
                        out.putNextEntry(new java.util.jar.JarEntry(name + "/"));
                        out.closeEntry();
                    } else {
                        out.putNextEntry(new java.util.jar.JarEntry(name));
                        Files.copy(f, out);
                        out.closeEntry();
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not pack " + dir + " into " + jar, e);
        }
    }

    /** Launches the child JVM (it must not be running) and returns at once. */
    public synchronized ServiceProcess launch() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is already running (pid " + process.pid() + ")");
        }
        List<String> command = new ArrayList<>(List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                // Start-up speed over peak speed: the tests restart the service many times on two cores.
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss512k", "-Xmx384m",
                "-XX:+AutoCreateSharedArchive", "-XX:SharedArchiveFile=" + CDS_ARCHIVE, "-Xlog:cds=off", "-Xlog:cds+dynamic=off",
                "-cp", childClasspath(),
                "dev.purser.settlement.PurserApplication"));
        properties.forEach((k, v) -> command.add("--" + k + "=" + v));
        try {
            Files.createDirectories(logFile.getParent());
            Files.writeString(logFile, "\n==== " + Instant.now() + " launching " + name + " ====\n",
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
            startedAt = Instant.now();
            LIVE.add(process);
            process.onExit().thenRun(() -> LIVE.remove(process));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + name, e);
        }
    }

    /** Waits until the service answers /actuator/health (UP or DOWN, as long as it answers). */
    public ServiceProcess awaitAnswering(Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (process == null || !process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + (process == null ? "?" : process.exitValue())
                        + ":\n" + logTail(60));
            }
            if (health().isPresent()) {
                return this;
            }
            sleep(Duration.ofMillis(100));
        }
        throw new IllegalStateException(name + " did not answer within " + timeout + ":\n" + logTail(60));
    }

    /** The /actuator/health body, or empty when the service does not answer. */
    public Optional<String> health() {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/actuator/health"))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 || r.statusCode() == 503 ? Optional.of(r.body()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** SIGKILL: no shutdown hook, no graceful stop, no flushing; waits until the process is gone. */
    public synchronized void kill9() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        waitGone();
    }

    /** SIGTERM and a graceful stop; SIGKILL if it takes too long. */
    public synchronized void stop() {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        waitGone();
    }

    private void waitGone() {
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(name + " (pid " + process.pid() + ") did not die");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    public boolean alive() {
        return process != null && process.isAlive();
    }

    public long pid() {
        return process == null ? -1 : process.pid();
    }

    public Instant startedAt() {
        return startedAt;
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public Api api() {
        return new Api(port);
    }

    public Path logFile() {
        return logFile;
    }

    /** The whole log, for counting what every run of this service said. */
    public String log() {
        try {
            return Files.exists(logFile) ? Files.readString(logFile) : "";
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    public String logTail(int lines) {
        List<String> all = log().lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    @Override
    public void close() {
        stop();
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
    public String toString() {
        return name + "[port " + port + ", pid " + pid() + "]";
    }
}

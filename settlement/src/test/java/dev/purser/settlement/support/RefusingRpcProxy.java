package dev.purser.settlement.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A JSON-RPC forwarder in front of a real node that answers eth_getLogs itself when the asked
 * block range is wider than a limit, the way hosted nodes do: {@code -32005 "query returned more
 * than 10000 results"}, and, when told to, refuses the {@code finalized} block tag. Everything else
 * goes to the node untouched. It records every eth_getLogs it saw, so a test can tell what the
 * service asked and what was refused.
 */
public final class RefusingRpcProxy implements AutoCloseable {

    /** One eth_getLogs call: its range, whether it was refused, and its filter as sent. */
    public record GetLogs(long from, long to, boolean refused, JsonNode filter) {
        public long blocks() {
            return to - from + 1;
        }
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpServer server;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI upstream;
    private final List<GetLogs> calls = new CopyOnWriteArrayList<>();
    private volatile long maxBlocks = Long.MAX_VALUE;
    private volatile boolean finalizedTag = true;
    private final java.util.concurrent.atomic.AtomicReference<BeforeGetLogs> beforeGetLogs =
            new java.util.concurrent.atomic.AtomicReference<>();

    private record BeforeGetLogs(long fromBlock, Runnable action) {}

    private RefusingRpcProxy(URI upstream) throws IOException {
        this.upstream = upstream;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.start();
    }

    public static RefusingRpcProxy start(String upstreamUrl) {
        try {
            return new RefusingRpcProxy(URI.create(upstreamUrl));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** eth_getLogs over more than {@code blocks} blocks is refused from now on. */
    public void refuseRangesAbove(long blocks) {
        this.maxBlocks = blocks;
    }

    /** From now on the node knows no {@code finalized} block tag, as chains without finality gadgets. */
    public void refuseFinalizedTag() {
        this.finalizedTag = false;
    }

    /**
     * Runs {@code action} once, when the first eth_getLogs from {@code fromBlock} arrives, before
     * the node sees that call: a chain event at an exact point of the indexer's work.
     */
    public void beforeGetLogsFrom(long fromBlock, Runnable action) {
        beforeGetLogs.set(new BeforeGetLogs(fromBlock, action));
    }

    public void refuseNothing() {
        this.maxBlocks = Long.MAX_VALUE;
    }

    public List<GetLogs> getLogsCalls() {
        return List.copyOf(calls);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            JsonNode request = JSON.readTree(body);
            byte[] answer;
            if (request.isObject() && "eth_getLogs".equals(request.path("method").asString(""))) {
                JsonNode filter = request.path("params").path(0);
                long from = block(filter.path("fromBlock"));
                long to = block(filter.path("toBlock"));
                BeforeGetLogs hook = beforeGetLogs.get();
                if (hook != null && hook.fromBlock() == from && beforeGetLogs.compareAndSet(hook, null)) {
                    hook.action().run();
                }
                boolean refuse = from >= 0 && to >= from && to - from + 1 > maxBlocks;
                calls.add(new GetLogs(from, to, refuse, filter));
                answer = refuse
                        ? ("{\"jsonrpc\":\"2.0\",\"id\":" + request.path("id") + ",\"error\":{\"code\":-32005,"
                                + "\"message\":\"query returned more than 10000 results\"}}").getBytes(StandardCharsets.UTF_8)
                        : forward(body);
            } else if (!finalizedTag && request.isObject() && "eth_getBlockByNumber".equals(request.path("method").asString(""))
                    && "finalized".equals(request.path("params").path(0).asString(""))) {
                answer = ("{\"jsonrpc\":\"2.0\",\"id\":" + request.path("id") + ",\"error\":{\"code\":-32602,"
                        + "\"message\":\"invalid block tag finalized\"}}").getBytes(StandardCharsets.UTF_8);
            } else {
                answer = forward(body);
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
        } catch (RuntimeException e) {
            exchange.sendResponseHeaders(502, -1);
        }
    }

    private byte[] forward(byte[] body) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(upstream)
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofByteArray()).body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** A block number parameter; -1 for a tag such as "latest". */
    private static long block(JsonNode n) {
        String s = n.asString("");
        return s.startsWith("0x") ? new BigInteger(s.substring(2), 16).longValueExact() : -1;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}

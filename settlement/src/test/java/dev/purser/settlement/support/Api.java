package dev.purser.settlement.support;

import com.jayway.jsonpath.JsonPath;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

/** A real HTTP client of one running Purser, speaking its JSON API with bearer secrets. */
public final class Api {

    private final String baseUrl;

    public Api(int port) {
        this.baseUrl = "http://127.0.0.1:" + port;
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** A response with JSONPath access to its body. */
    public record Response(int status, String body, java.net.http.HttpHeaders headers) {
        public <T> T json(String path) {
            return JsonPath.read(body, path);
        }

        public String string(String path) {
            return JsonPath.read(body, path);
        }

        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    public Response get(String path, String secret) {
        return send("GET", path, secret, null, null);
    }

    /** A POST with a fresh Idempotency-Key. */
    public Response post(String path, String secret, String body) {
        return send("POST", path, secret, body, UUID.randomUUID().toString());
    }

    public Response postWithKey(String path, String secret, String body, String idempotencyKey) {
        return send("POST", path, secret, body, idempotencyKey);
    }

    public Response patch(String path, String secret, String body) {
        return send("PATCH", path, secret, body, null);
    }

    public Response delete(String path, String secret) {
        return send("DELETE", path, secret, null, null);
    }

    public Response send(String method, String path, String secret, String body, String idempotencyKey) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(60));
        if (secret != null) {
            b.header("Authorization", "Bearer " + secret);
        }
        if (idempotencyKey != null) {
            b.header("Idempotency-Key", idempotencyKey);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = Http.send(b.build());
        return new Response(r.statusCode(), r.body(), r.headers());
    }
}

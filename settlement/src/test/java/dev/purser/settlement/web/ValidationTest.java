package dev.purser.settlement.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.Http;
import dev.purser.settlement.support.PurserTestBase;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every bad input of the spend API is a 400 with its own code and the offending field in
 * {@code details.field}, changes nothing, and never shows the service's insides; amounts are
 * answered in their shortest exact form.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ValidationTest extends PurserTestBase {

    /** MERCHANT with the case of its first letter flipped: still mixed case, so its checksum must fail. */
    private static final String BAD_CHECKSUM = "0x1Df62f291b2E969fB0849d99D9Ce41e2F137006e";

    /** An agent that never gets a valid request: whatever it sends must leave it untouched. */
    private Funded untouched;
    /** A funded agent whose tests each spend through a credential of their own (one mint for all). */
    private Funded spender;

    @BeforeAll
    void createAgents() {
        untouched = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", 20_000_000);
        spender = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", 200_000_000);
    }

    /** A fresh credential of the spender: its daily budget and its authorizations are its own. */
    private Funded spenderCredential(String capsJson) {
        return new Funded(spender.agentId(), spender.wallet(), issueCredential(spender.agentId(), capsJson));
    }

    private static String spend(String amountJson) {
        return "{\"amount\":" + amountJson + ",\"merchant\":\"" + MERCHANT + "\"}";
    }

    private static String withAmount(String extraFields) {
        return "{\"amount\":\"1\",\"merchant\":\"" + MERCHANT + "\"," + extraFields + "}";
    }

    private static String metadataWithKeys(int n) {
        return IntStream.range(0, n).mapToObj(i -> "\"k" + i + "\":\"v\"").collect(Collectors.joining(",", "{", "}"));
    }

    static Stream<Arguments> badAuthorizationBodies() {
        return Stream.of(
                Arguments.of("amount as a JSON number", spend("2.5"), "invalid_amount", "amount"),
                Arguments.of("amount as a JSON integer", spend("2"), "invalid_amount", "amount"),
                Arguments.of("seven fraction digits", spend("\"1.0000001\""), "invalid_amount", "amount"),
                Arguments.of("zero", spend("\"0\""), "invalid_amount", "amount"),
                Arguments.of("zero with fraction digits", spend("\"0.000000\""), "invalid_amount", "amount"),
                Arguments.of("negative", spend("\"-1\""), "invalid_amount", "amount"),
                Arguments.of("plus sign", spend("\"+1\""), "invalid_amount", "amount"),
                Arguments.of("exponent", spend("\"1e3\""), "invalid_amount", "amount"),
                Arguments.of("leading space", spend("\" 1\""), "invalid_amount", "amount"),
                Arguments.of("trailing space", spend("\"1 \""), "invalid_amount", "amount"),
                Arguments.of("empty string", spend("\"\""), "invalid_amount", "amount"),
                Arguments.of("point without digits", spend("\"1.\""), "invalid_amount", "amount"),
                Arguments.of("amount null", spend("null"), "invalid_amount", "amount"),
                Arguments.of("amount missing", "{\"merchant\":\"" + MERCHANT + "\"}", "invalid_amount", "amount"),
                Arguments.of("amount above the largest amount", spend("\"1000000000000.000001\""), "invalid_amount", "amount"),
                Arguments.of("merchant with a wrong checksum", "{\"amount\":\"1\",\"merchant\":\"" + BAD_CHECKSUM + "\"}",
                        "invalid_address", "merchant"),
                Arguments.of("merchant too short", "{\"amount\":\"1\",\"merchant\":\"0x1dF62f291b2E969f\"}",
                        "invalid_address", "merchant"),
                Arguments.of("merchant without 0x", "{\"amount\":\"1\",\"merchant\":\"" + MERCHANT.substring(2) + "\"}",
                        "invalid_address", "merchant"),
                Arguments.of("merchant as a number", "{\"amount\":\"1\",\"merchant\":12345}", "invalid_address", "merchant"),
                Arguments.of("merchant missing", "{\"amount\":\"1\"}", "invalid_address", "merchant"),
                Arguments.of("unknown field", withAmount("\"memo\":\"hi\""), "unknown_field", "memo"),
                Arguments.of("purpose of 501 characters", withAmount("\"purpose\":\"" + "p".repeat(501) + "\""),
                        "invalid_field", "purpose"),
                Arguments.of("purpose as a number", withAmount("\"purpose\":7"), "invalid_field", "purpose"),
                Arguments.of("purpose holding a NUL character", withAmount("\"purpose\":\"a\\u0000b\""), "invalid_field", "purpose"),
                Arguments.of("metadata value holding a NUL character", withAmount("\"metadata\":{\"job\":\"a\\u0000b\"}"),
                        "invalid_metadata", "metadata"),
                Arguments.of("metadata key holding a NUL character", withAmount("\"metadata\":{\"a\\u0000b\":\"job\"}"),
                        "invalid_metadata", "metadata"),
                Arguments.of("metadata with a number value", withAmount("\"metadata\":{\"job\":42}"), "invalid_metadata", "metadata"),
                Arguments.of("metadata with a nested object", withAmount("\"metadata\":{\"job\":{\"id\":\"1\"}}"),
                        "invalid_metadata", "metadata"),
                Arguments.of("metadata as an array", withAmount("\"metadata\":[\"a\"]"), "invalid_metadata", "metadata"),
                Arguments.of("metadata with 21 keys", withAmount("\"metadata\":" + metadataWithKeys(21)), "invalid_metadata", "metadata"),
                Arguments.of("expires_in 59", withAmount("\"expires_in\":59"), "invalid_field", "expires_in"),
                Arguments.of("expires_in 604801", withAmount("\"expires_in\":604801"), "invalid_field", "expires_in"),
                Arguments.of("expires_in as a string", withAmount("\"expires_in\":\"900\""), "invalid_field", "expires_in"),
                Arguments.of("expires_in with a fraction", withAmount("\"expires_in\":900.5"), "invalid_field", "expires_in"),
                Arguments.of("malformed JSON", "{\"amount\":\"1\",", "malformed_json", "body"),
                Arguments.of("not JSON at all", "amount=1", "malformed_json", "body"),
                Arguments.of("body an array", "[\"1\"]", "invalid_body", "body"),
                Arguments.of("body a string", "\"1\"", "invalid_body", "body"),
                Arguments.of("body a number", "42", "invalid_body", "body"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badAuthorizationBodies")
    void refusesABadAuthorizationRequestWithItsCodeAndFieldAndChangesNothing(String what, String body, String code, String field) {
        Api.Response r = api().post("/v1/authorizations", untouched.secret(), body);

        assertThat(r.status()).as(r.toString()).isEqualTo(400);
        assertThat(r.<Boolean>json("$.ok")).isFalse();
        assertThat(r.string("$.error.code")).as(r.toString()).isEqualTo(code);
        assertThat(r.<Map<String, Object>>json("$.error.details")).as(r.toString()).containsEntry("field", field);
        assertThat(r.string("$.error.message")).isNotBlank();
        assertNoInternals(r);
        assertUntouched();
    }

    @Test
    void acceptsTheLimitsOfEveryBoundedField() {
        Funded agent = spenderCredential("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"");
        Api.Response r = api().post("/v1/authorizations", agent.secret(), withAmount("\"purpose\":\"" + "p".repeat(500) + "\","
                + "\"metadata\":" + metadataWithKeys(20) + ",\"expires_in\":604800"));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.string("$.data.purpose")).hasSize(500);
        assertThat(r.<Map<String, String>>json("$.data.metadata")).hasSize(20);
        Api.Response shortest = api().post("/v1/authorizations", agent.secret(), withAmount("\"expires_in\":60"));
        assertThat(shortest.status()).as(shortest.toString()).isEqualTo(201);
    }

    @Test
    void refusesBadSettleAndVoidBodiesAndLeavesTheHoldAsItWas() {
        Funded agent = spenderCredential("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"");
        String id = api().post("/v1/authorizations", agent.secret(), spend("\"2\"")).string("$.data.id");
        String settle = "/v1/authorizations/" + id + "/settle";
        String voidPath = "/v1/authorizations/" + id + "/void";
        record Bad(String path, String body, String code, String field) {}
        for (Bad bad : List.of(
                new Bad(settle, "{\"amount\":1}", "invalid_amount", "amount"),
                new Bad(settle, "{\"amount\":\"0\"}", "invalid_amount", "amount"),
                new Bad(settle, "{\"amount\":\"1.0000001\"}", "invalid_amount", "amount"),
                new Bad(settle, "{\"amout\":\"1\"}", "unknown_field", "amout"),
                new Bad(settle, "{\"amount\":", "malformed_json", "body"),
                new Bad(settle, "[]", "invalid_body", "body"),
                new Bad(voidPath, "{\"reason\":\"x\"}", "unknown_field", "reason"),
                new Bad(voidPath, "nope", "malformed_json", "body"))) {
            Api.Response r = api().post(bad.path(), agent.secret(), bad.body());
            assertThat(r.status()).as(bad + " -> " + r).isEqualTo(400);
            assertThat(r.string("$.error.code")).as(bad + " -> " + r).isEqualTo(bad.code());
            assertThat(r.string("$.error.details.field")).as(bad + " -> " + r).isEqualTo(bad.field());
            assertNoInternals(r);
        }
        assertThat(api().get("/v1/authorizations/" + id, agent.secret()).string("$.data.status")).isEqualTo("authorized");
        Api.Response me = api().get("/v1/me", agent.secret());
        assertThat(me.string("$.data.today.held")).isEqualTo("2");
        assertThat(me.string("$.data.today.spent")).isEqualTo("0");
    }

    @Test
    void refusesTheNulCharacterInOperatorTextAsAClientMistake() {
        Agent agent = createAgent("nul-" + System.nanoTime());
        record Bad(String path, String body, String field) {}
        for (Bad bad : List.of(
                new Bad("/v1/agents", "{\"name\":\"a\\u0000b\"}", "name"),
                new Bad("/v1/agents/" + agent.id() + "/credentials",
                        "{\"per_transaction_limit\":\"1\",\"daily_limit\":\"1\",\"label\":\"a\\u0000b\"}", "label"),
                new Bad("/v1/agents/" + agent.id() + "/freeze", "{\"reason\":\"a\\u0000b\"}", "reason"))) {
            Api.Response r = api().post(bad.path(), ADMIN, bad.body());
            assertThat(r.status()).as(bad + " -> " + r).isEqualTo(400);
            assertThat(r.string("$.error.code")).isEqualTo("invalid_field");
            assertThat(r.string("$.error.details.field")).isEqualTo(bad.field());
        }
        Api.Response read = api().get("/v1/agents/" + agent.id(), ADMIN);
        assertThat(read.string("$.data.status")).isEqualTo("active");
        assertThat(api().get("/v1/agents/" + agent.id() + "/credentials", ADMIN).<List<Object>>json("$.data.items")).isEmpty();
    }

    @Test
    void refusesABodyAbove64KiBWithPayloadTooLarge() {
        String big = withAmount("\"purpose\":\"" + "p".repeat(70_000) + "\"");
        Api.Response r = api().post("/v1/authorizations", untouched.secret(), big);
        assertThat(r.status()).as(r.toString()).isEqualTo(413);
        assertThat(r.string("$.error.code")).isEqualTo("payload_too_large");
        assertNoInternals(r);

        // Without a Content-Length (chunked), the limit holds as the body is read.
        HttpRequest chunked = HttpRequest.newBuilder(URI.create(api().baseUrl() + "/v1/authorizations"))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + untouched.secret())
                .header("Idempotency-Key", UUID.randomUUID().toString())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
                .build();
        HttpResponse<String> c = Http.send(chunked);
        assertThat(c.statusCode()).as(c.body()).isEqualTo(413);
        assertThat(c.body()).contains("payload_too_large");
        assertUntouched();
    }

    @Test
    void acceptsABodyOfExactly64KiBForValidation() {
        String head = "{\"amount\":\"1\",\"merchant\":\"" + MERCHANT + "\",\"purpose\":\"";
        String tail = "\"}";
        String exact = head + "p".repeat(64 * 1024 - head.length() - tail.length()) + tail;
        assertThat(exact.getBytes(StandardCharsets.UTF_8)).hasSize(64 * 1024);

        Api.Response r = api().post("/v1/authorizations", untouched.secret(), exact);
        assertThat(r.status()).as(r.toString()).isEqualTo(400);
        assertThat(r.string("$.error.code")).isEqualTo("invalid_field");
        assertThat(r.string("$.error.details.field")).isEqualTo("purpose");
        assertUntouched();
    }

    @Test
    void requiresAnIdempotencyKeyOnEveryPostThatMovesMoney() {
        Funded agent = spenderCredential("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"");
        Api.Response hold = api().post("/v1/authorizations", agent.secret(), withAmount("\"purpose\":\"keyless\""));
        assertThat(hold.status()).as(hold.toString()).isEqualTo(201);
        String id = hold.string("$.data.id");

        List<Api.Response> keyless = List.of(
                api().send("POST", "/v1/authorizations", untouched.secret(), spend("\"1\""), null),
                api().send("POST", "/v1/authorizations", agent.secret(), spend("\"1\""), null),
                api().send("POST", "/v1/authorizations/" + id + "/settle", agent.secret(), "{}", null),
                api().send("POST", "/v1/authorizations/" + id + "/settle", agent.secret(), null, null),
                api().send("POST", "/v1/authorizations/" + id + "/void", agent.secret(), null, null));
        for (Api.Response r : keyless) {
            assertThat(r.status()).as(r.toString()).isEqualTo(400);
            assertThat(r.string("$.error.code")).isEqualTo("idempotency_key_required");
            assertThat(r.string("$.error.details.field")).isEqualTo("Idempotency-Key");
            assertNoInternals(r);
        }
        assertUntouched();
        assertThat(api().get("/v1/authorizations/" + id, agent.secret()).string("$.data.status")).isEqualTo("authorized");
        assertThat(authorizationsOfCredential(agent.secret())).isEqualTo(1);
        assertThat(api().get("/v1/me", agent.secret()).string("$.data.today.held")).isEqualTo("1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "501", "-1", "abc", "99999999999"})
    void refusesAListLimitOutside1To500(String limit) {
        for (Api.Response r : List.of(api().get("/v1/authorizations?limit=" + limit, untouched.secret()),
                api().get("/v1/agents?limit=" + limit, ADMIN))) {
            assertThat(r.status()).as(r.toString()).isEqualTo(400);
            assertThat(r.string("$.error.code")).isEqualTo("invalid_parameter");
            assertThat(r.string("$.error.details.field")).isEqualTo("limit");
            assertNoInternals(r);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"!!!", "abc", "bm9wZQ", "MjAyNi0xMy00MFQwMDowMDowMFp8YXV0aF94"})
    void refusesACursorTheApiDidNotReturn(String cursor) {
        for (Api.Response r : List.of(api().get("/v1/authorizations?cursor=" + cursor, untouched.secret()),
                api().get("/v1/agents?cursor=" + cursor, ADMIN))) {
            assertThat(r.status()).as(r.toString()).isEqualTo(400);
            assertThat(r.string("$.error.code")).isEqualTo("invalid_cursor");
            assertThat(r.string("$.error.details.field")).isEqualTo("cursor");
            assertNoInternals(r);
        }
    }

    @Test
    void pagesThroughAListWithTheCursorsItReturns() {
        Funded agent = spenderCredential("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"");
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            created.add(api().post("/v1/authorizations", agent.secret(), spend("\"1\"")).string("$.data.id"));
        }
        List<String> all = api().get("/v1/authorizations?limit=500", agent.secret()).json("$.data.items[*].id");
        assertThat(all).containsAll(created);

        List<String> paged = new ArrayList<>();
        String cursor = null;
        for (int page = 0; page < 300; page++) {
            Api.Response r = api().get("/v1/authorizations?limit=2" + (cursor == null ? "" : "&cursor=" + cursor), agent.secret());
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            List<String> items = r.json("$.data.items[*].id");
            assertThat(items).hasSizeLessThanOrEqualTo(2);
            paged.addAll(items);
            cursor = r.json("$.data.next_cursor");
            if (cursor == null) {
                break;
            }
        }
        assertThat(cursor).isNull();
        assertThat(paged).containsExactlyElementsOf(all);
    }

    @Test
    void answersAmountsInTheirShortestExactForm() {
        Funded agent = spenderCredential("\"per_transaction_limit\":\"10.500000\",\"daily_limit\":\"50.0\"");
        Api.Response me = api().get("/v1/me", agent.secret());
        assertThat(me.string("$.data.credential.per_transaction_limit")).isEqualTo("10.5");
        assertThat(me.string("$.data.credential.daily_limit")).isEqualTo("50");

        Api.Response a = api().post("/v1/authorizations", agent.secret(), spend("\"2.50\""));
        assertThat(a.status()).as(a.toString()).isEqualTo(201);
        assertThat(a.string("$.data.amount")).isEqualTo("2.5");
        Api.Response b = api().post("/v1/authorizations", agent.secret(), spend("\"0.000001\""));
        assertThat(b.string("$.data.amount")).isEqualTo("0.000001");
        Api.Response c = api().post("/v1/authorizations", agent.secret(), spend("\"3.000000\""));
        assertThat(c.string("$.data.amount")).isEqualTo("3");

        me = api().get("/v1/me", agent.secret());
        assertThat(me.string("$.data.today.held")).isEqualTo("5.500001");
        assertThat(me.string("$.data.today.remaining")).isEqualTo("44.499999");

        Api.Response settled = api().post("/v1/authorizations/" + a.string("$.data.id") + "/settle", agent.secret(),
                "{\"amount\":\"2.10\"}");
        assertThat(settled.status()).as(settled.toString()).isEqualTo(200);
        assertThat(settled.string("$.data.settled_amount")).isEqualTo("2.1");
        assertThat(settled.string("$.data.amount")).isEqualTo("2.5");
    }

    private void assertUntouched() {
        assertThat(authorizationsOf(untouched.agentId())).isZero();
        Api.Response me = api().get("/v1/me", untouched.secret());
        assertThat(me.string("$.data.today.held")).isEqualTo("0");
        assertThat(me.string("$.data.today.spent")).isEqualTo("0");
        assertThat(me.string("$.data.agent.balance.held")).isEqualTo("0");
    }

    private long authorizationsOfCredential(String secret) {
        String credentialId = api().get("/v1/me", secret).string("$.data.credential.id");
        return jdbc.sql("SELECT count(*) FROM authorizations WHERE credential_id = :id").param("id", credentialId)
                .query(Long.class).single();
    }

    private long authorizationsOf(String agentId) {
        return jdbc.sql("SELECT count(*) FROM authorizations WHERE agent_id = :id").param("id", agentId)
                .query(Long.class).single();
    }

    private static void assertNoInternals(Api.Response r) {
        assertThat(r.body()).doesNotContain("at dev.purser", "Exception", "\tat ", "tools.jackson", "org.springframework");
        assertThat(r.header("X-Request-Id")).isNotBlank();
    }
}
